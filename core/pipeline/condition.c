/* `when:` conditions: "S.F" holds for a frame when stage S set F on it — a metadata key "S.F" with a
 * true value, or (no such key) S's classification having label_name F — and "!S.F" negates that. */
#include "pipeline/pipeline_internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

hv_status pl_condition_parse(hv_pipeline *p, const hv_config_node *node, pl_condition *out) {
    memset(out, 0, sizeof *out);
    const char *text = hv_config_text(node);
    if (!text) text = "";
    const char *s = text;
    if (*s == '!') {
        out->negate = 1;
        s++;
    }
    const char *dot = strchr(s, '.');
    if (!dot || dot == s || !dot[1])
        return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: condition '%s': expected STAGE.FIELD or !STAGE.FIELD",
                        hv_config_file(node), hv_config_line(node), hv_config_column(node), text);
    out->stage_id = strndup(s, (size_t)(dot - s));
    out->field = strdup(dot + 1);
    out->meta_key = strdup(s);
    if (!out->stage_id || !out->field || !out->meta_key) {
        pl_condition_free(out);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory parsing a condition");
    }
    out->stage = SIZE_MAX;
    for (size_t i = 0; i < p->n_stages; i++)
        if (!strcmp(p->stages[i].id, out->stage_id)) out->stage = i;
    if (out->stage == SIZE_MAX) {
        hv_status st = hv_error(HV_ERR_SCHEMA, "%s:%d:%d: condition '%s': there is no stage '%s' in this pipeline",
                                hv_config_file(node), hv_config_line(node), hv_config_column(node), text, out->stage_id);
        pl_condition_free(out);
        return st;
    }
    out->present = 1;
    return HV_OK;
}

/* Truthy metadata values; everything else (including "false", "0", "") is false. */
static int truthy(const char *v) {
    return !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1");
}

/* Label names compare case-insensitively with '-' and '_' equal, so "non-bleeding" == "non_bleeding". */
static int label_equal(const char *a, const char *b) {
    for (;; a++, b++) {
        char ca = (char)tolower((unsigned char)(*a == '-' ? '_' : *a));
        char cb = (char)tolower((unsigned char)(*b == '-' ? '_' : *b));
        if (ca != cb) return 0;
        if (!ca) return 1;
    }
}

int pl_condition_eval(const pl_condition *c, const hv_frame *f, size_t cls_owner) {
    if (!c->present) return 1;
    int holds;
    const char *v = hv_frame_get_meta(f, c->meta_key);
    if (v)
        holds = truthy(v);
    else
        holds = f->cls.valid && cls_owner == c->stage && label_equal(f->cls.label_name, c->field);
    return c->negate ? !holds : holds;
}

void pl_condition_free(pl_condition *c) {
    free(c->stage_id);
    free(c->field);
    free(c->meta_key);
    memset(c, 0, sizeof *c);
}
