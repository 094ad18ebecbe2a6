/* File names of per-frame outputs (hemovk/output.h): from the frame's key, never its base name alone,
 * which WCEBleedGen repeats in both class folders (bleeding/Images/img- (1).png and
 * non-bleeding/images/img- (1).png): named by base name, one overlay overwrote the other. */
#include "hemovk/image.h"
#include "hemovk/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *hv_output_frame_key(const hv_frame *f) {
    if (!f) return "frame";
    const char *key = hv_frame_get_meta(f, HV_FRAME_KEY_META);
    if (key && *key) return key;
    if (!f->path || !*f->path) return "frame";
    const char *base = strrchr(f->path, '/');
    return base && base[1] ? base + 1 : f->path;
}

hv_status hv_output_frame_file(const char *dir, const hv_frame *f, int prefix_id, char **out) {
    if (!dir || !f || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_output_frame_file: NULL argument");
    *out = NULL;
    const char *key = hv_output_frame_key(f);
    size_t cap = strlen(dir) + 3 * strlen(key) + 64;
    char *rel = malloc(cap), *path = malloc(cap);
    if (!rel || !path) {
        free(rel);
        free(path);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    }
    /* Copy the key segment by segment: "." and empty segments dropped, ".." escaped. */
    size_t n = 0;
    for (const char *s = key; *s;) {
        while (*s == '/') s++;
        const char *e = s;
        while (*e && *e != '/') e++;
        size_t len = (size_t)(e - s);
        if (len && !(len == 1 && *s == '.')) {
            if (n) rel[n++] = '/';
            if (len == 2 && s[0] == '.' && s[1] == '.') {
                memcpy(rel + n, "%2e%2e", 6);
                n += 6;
            } else {
                memcpy(rel + n, s, len);
                n += len;
            }
        }
        s = e;
    }
    rel[n] = '\0';
    if (!n) snprintf(rel, cap, "frame");
    const char *base = strrchr(rel, '/');
    size_t dir_len = base ? (size_t)(base - rel) + 1 : 0;
    base = base ? base + 1 : rel;
    size_t bl = strlen(base);
    int has_png = bl >= 4 && !strcmp(base + bl - 4, ".png");
    char id[32] = "";
    if (prefix_id) snprintf(id, sizeof id, "%06llu_", (unsigned long long)f->id);
    snprintf(path, cap, "%s%s%.*s%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", (int)dir_len, rel, id, base,
             has_png ? "" : ".png");
    free(rel);
    hv_status st = hv_mkdirs_for(path);
    if (st) {
        free(path);
        return st;
    }
    *out = path;
    return HV_OK;
}
