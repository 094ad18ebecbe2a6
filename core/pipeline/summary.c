/* The run summary: summary.json (written atomically) and its release. */
#include "hemovk/pipeline.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cJSON *summary_json(const hv_pipeline_summary *s) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "frames_in", (double)s->frames_in);
    cJSON_AddNumberToObject(o, "frames_done", (double)s->frames_done);
    cJSON_AddNumberToObject(o, "skipped_resume", (double)s->skipped_resume);
    cJSON_AddNumberToObject(o, "dropped", (double)s->dropped);
    cJSON_AddNumberToObject(o, "failed", (double)s->failed);
    cJSON_AddNumberToObject(o, "wall_seconds", s->wall_seconds);
    cJSON_AddNumberToObject(o, "frames_per_second", s->frames_per_second);
    cJSON_AddBoolToObject(o, "interrupted", s->interrupted != 0);
    cJSON_AddStringToObject(o, "device", s->device);
    /* host <-> device traffic: in all and per frame done (what decides speed on a discrete GPU) */
    cJSON *x = cJSON_AddObjectToObject(o, "device_transfers");
    const hv_transfer_stats *xs = &s->transfers;
    double per = s->frames_done ? 1.0 / (double)s->frames_done : 0;
    cJSON_AddNumberToObject(x, "uploads", (double)xs->uploads);
    cJSON_AddNumberToObject(x, "upload_bytes", (double)xs->upload_bytes);
    cJSON_AddNumberToObject(x, "downloads", (double)xs->downloads);
    cJSON_AddNumberToObject(x, "download_bytes", (double)xs->download_bytes);
    cJSON_AddNumberToObject(x, "submits", (double)xs->submits);
    cJSON_AddNumberToObject(x, "transfers_per_frame", (double)(xs->uploads + xs->downloads) * per);
    cJSON_AddNumberToObject(x, "bytes_per_frame", (double)(xs->upload_bytes + xs->download_bytes) * per);
    cJSON_AddNumberToObject(x, "submits_per_frame", (double)xs->submits * per);
    cJSON *stages = cJSON_AddArrayToObject(o, "stages");
    for (size_t i = 0; stages && i < s->n_stages; i++) {
        const hv_pipeline_stage_stats *t = &s->stages[i];
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "id", t->id ? t->id : "");
        cJSON_AddStringToObject(e, "component", t->component ? t->component : "");
        cJSON_AddStringToObject(e, "kind", t->is_output ? "output" : "stage");
        cJSON_AddNumberToObject(e, "ran", (double)t->ran);
        cJSON_AddNumberToObject(e, "skipped_when", (double)t->skipped_when);
        cJSON_AddNumberToObject(e, "dropped", (double)t->dropped);
        cJSON_AddNumberToObject(e, "failed", (double)t->failed);
        cJSON_AddNumberToObject(e, "seconds", t->seconds);
        cJSON_AddItemToArray(stages, e);
    }
    cJSON *fails = cJSON_AddArrayToObject(o, "failures");
    for (size_t i = 0; fails && i < s->n_failures; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddNumberToObject(e, "id", (double)s->failures[i].id);
        cJSON_AddStringToObject(e, "path", s->failures[i].path ? s->failures[i].path : "");
        cJSON_AddStringToObject(e, "error", s->failures[i].error ? s->failures[i].error : "");
        cJSON_AddItemToArray(fails, e);
    }
    return o;
}

hv_status hv_pipeline_summary_write_json(const hv_pipeline_summary *summary, const char *path) {
    if (!summary || !path) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_pipeline_summary_write_json: NULL argument");
    cJSON *o = summary_json(summary);
    char *text = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    if (!text) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory writing %s", path);
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hv_status st = HV_OK;
    FILE *f = (n > 0 && (size_t)n < sizeof tmp) ? fopen(tmp, "wb") : NULL;
    if (!f) {
        st = hv_error(HV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    } else {
        int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF;
        bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
        bad |= fclose(f) != 0;
        if (bad || rename(tmp, path) != 0) {
            st = hv_error(HV_ERR_IO, "cannot write %s: %s (disk full?)", path, strerror(errno));
            unlink(tmp);
        }
    }
    free(text);
    return st;
}

void hv_pipeline_summary_free(hv_pipeline_summary *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_stages; i++) {
        free(s->stages[i].id);
        free(s->stages[i].component);
    }
    free(s->stages);
    for (size_t i = 0; i < s->n_failures; i++) {
        free(s->failures[i].path);
        free(s->failures[i].error);
    }
    free(s->failures);
    memset(s, 0, sizeof *s);
}
