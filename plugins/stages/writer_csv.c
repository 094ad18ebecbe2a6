/* writer.csv — one row per frame, for a spreadsheet:
 *
 *   id,path,key,label,score,n_detections,max_detection_score,dropped,drop_reason,error,time
 *
 * `id` is the frame's index in the exam, `path` its path as the source listed it, `key` its path relative
 * to the input root, `time` its time in seconds (empty when unknown; see writer.jsonl). `time` is last so
 * that the columns before it keep their places. Fields are quoted when they hold a comma, a quote or a line break (RFC 4180), so paths
 * such as "img- (12).png" or "a,b.png" survive. Rows are flushed (and fsync'ed) every batch, every write
 * checked (a full disk stops the run with HV_ERR_OUTPUT). With --resume the writer appends: it cuts a
 * torn last row and skips frames whose key is already in the file, so a frame finished before a kill is
 * never listed twice. */
#include "stages_plugin.h"

#include "hemovk/config.h"
#include "hemovk/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char st_csv_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "description: one CSV row per frame, written to the output's path (default results.csv in the output folder)\n"
    "properties:\n"
    "  header:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: write the column names as the first row\n"
    "  fsync:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: fsync after every batch\n";

#define CSV_HEADER "id,path,key,label,score,n_detections,max_detection_score,dropped,drop_reason,error,time\n"

typedef struct csv_writer {
    FILE *f;
    char *path;
    int sync;
    char **seen;       /* resume: keys already in the file (sorted for bsearch) */
    size_t n_seen;
} csv_writer;

static void csv_destroy(void *instance) {
    csv_writer *w = instance;
    if (!w) return;
    if (w->f) fclose(w->f);
    for (size_t i = 0; i < w->n_seen; i++) free(w->seen[i]);
    free(w->seen);
    free(w->path);
    free(w);
}

/* Field `want` (0-based) of one CSV row as written by this writer; NULL when absent. */
static char *csv_field(const char *line, int want) {
    int field = 0;
    const char *s = line;
    while (*s && *s != '\n') {
        char *buf = malloc(strlen(s) + 1);
        if (!buf) return NULL;
        size_t n = 0;
        if (*s == '"') {
            for (s++; *s; s++) {
                if (*s == '"' && s[1] == '"') buf[n++] = '"', s++;
                else if (*s == '"') { s++; break; }
                else buf[n++] = *s;
            }
        } else {
            while (*s && *s != ',' && *s != '\n') buf[n++] = *s++;
        }
        buf[n] = '\0';
        if (field == want) return buf;
        free(buf);
        if (*s != ',') break;
        s++;
        field++;
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Resume: cut a torn last row, remember the paths already written. */
static hv_status csv_resume(csv_writer *w, int *has_content) {
    FILE *f = fopen(w->path, "rb");
    *has_content = 0;
    if (!f) return errno == ENOENT ? HV_OK : hv_error(HV_ERR_IO, "writer.csv: cannot read %s: %s", w->path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, cap_seen = 0;
    ssize_t len;
    long good = 0, row = 0;
    int key_col = 2;
    hv_status st = HV_OK;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n') break; /* torn: not kept */
        good = ftell(f);
        if (row++ == 0 && !strncmp(line, "id,path,", 8)) {
            key_col = !strncmp(line, "id,path,key,", 12) ? 2 : 1; /* a file without keys: match paths */
            continue;
        }
        char *p = csv_field(line, key_col);
        if (!p) continue;
        if (w->n_seen == cap_seen) {
            cap_seen = cap_seen ? cap_seen * 2 : 256;
            char **g = realloc(w->seen, cap_seen * sizeof *g);
            if (!g) {
                free(p);
                st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.csv: out of memory");
                break;
            }
            w->seen = g;
        }
        w->seen[w->n_seen++] = p;
    }
    free(line);
    fclose(f);
    if (st) return st;
    if (truncate(w->path, good) != 0) return hv_error(HV_ERR_IO, "writer.csv: cannot cut %s: %s", w->path, strerror(errno));
    if (w->n_seen) qsort(w->seen, w->n_seen, sizeof *w->seen, cmp_str);
    *has_content = good > 0;
    return HV_OK;
}

static hv_status csv_create(const hv_create_info *info, void **instance) {
    csv_writer *w = calloc(1, sizeof *w);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.csv: out of memory");
    int header = 0, has_content = 0;
    hv_status st = hv_config_need_bool(info->params, "header", &header);
    if (!st) st = hv_config_need_bool(info->params, "fsync", &w->sync);
    if (!st) st = hv_writer_output_path(info, "writer.csv", "results.csv", &w->path);
    if (!st) st = hv_mkdirs_for(w->path);
    int resume = HV_CREATE_INFO_HAS(info, resume) && info->resume;
    if (!st && resume) st = csv_resume(w, &has_content);
    if (!st && !(w->f = fopen(w->path, resume ? "ab" : "wb")))
        st = hv_error_context(hv_output_error(w->path, errno), "writer.csv");
    if (!st && header && !has_content && fputs(CSV_HEADER, w->f) == EOF)
        st = hv_error_context(hv_output_error(w->path, errno), "writer.csv");
    if (st) {
        csv_destroy(w);
        return st;
    }
    *instance = w;
    return HV_OK;
}

static void put_field(FILE *f, const char *s) {
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static hv_status csv_process(void *instance, hv_frame *const *frames, size_t n) {
    csv_writer *w = instance;
    for (size_t i = 0; i < n; i++) {
        const hv_frame *f = frames[i];
        const char *key = hv_output_frame_key(f);
        if (w->n_seen && (bsearch(&key, w->seen, w->n_seen, sizeof *w->seen, cmp_str) ||
                          (f->path && bsearch(&f->path, w->seen, w->n_seen, sizeof *w->seen, cmp_str))))
            continue;
        float best = 0;
        for (size_t k = 0; k < f->n_detections; k++)
            if (f->detections[k].score > best) best = f->detections[k].score;
        fprintf(w->f, "%llu,", (unsigned long long)f->id);
        put_field(w->f, f->path);
        fputc(',', w->f);
        put_field(w->f, key);
        fputc(',', w->f);
        if (f->cls.valid) {
            put_field(w->f, f->cls.label_name);
            fprintf(w->f, ",%.6g", st_round6(f->cls.score));
        } else {
            fputc(',', w->f);
        }
        fprintf(w->f, ",%zu,", f->n_detections);
        if (f->n_detections) fprintf(w->f, "%.6g", st_round6(best));
        fprintf(w->f, ",%d,", f->dropped ? 1 : 0);
        put_field(w->f, f->dropped ? f->drop_reason : NULL);
        fputc(',', w->f);
        put_field(w->f, f->error);
        double t = 0;
        if (hv_frame_time(f, &t)) fprintf(w->f, ",%.3f\n", t);
        else fputs(",\n", w->f);
    }
    return st_flush(w->f, w->path, w->sync);
}

static hv_status csv_flush(void *instance) {
    csv_writer *w = instance;
    return st_flush(w->f, w->path, w->sync);
}

const hv_stage_vtable st_csv_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = csv_create,
    .process = csv_process,
    .flush = csv_flush,
    .destroy = csv_destroy,
};
