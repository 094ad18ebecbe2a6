/* Boxes of the WCEBleedGen release (TXT and Pascal VOC XML), box IoU and the greedy one-to-one matching
 * the layout reader uses to compare mask components with boxes and XML with TXT. */
#include "gt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double ev_box_iou(const ev_box *a, const ev_box *b) {
    double iw = (a->x2 < b->x2 ? a->x2 : b->x2) - (a->x1 > b->x1 ? a->x1 : b->x1);
    double ih = (a->y2 < b->y2 ? a->y2 : b->y2) - (a->y1 > b->y1 ? a->y1 : b->y1);
    double inter = iw > 0 && ih > 0 ? iw * ih : 0;
    double uni = (a->x2 - a->x1) * (a->y2 - a->y1) + (b->x2 - b->x1) * (b->y2 - b->y1) - inter;
    return uni > 0 ? inter / uni : 0;
}

typedef struct pair {
    double iou;
    size_t i, j;
} pair;

static int cmp_pair(const void *x, const void *y) {
    const pair *a = x, *b = y;
    if (a->iou != b->iou) return a->iou > b->iou ? -1 : 1;
    if (a->i != b->i) return a->i < b->i ? -1 : 1;
    return a->j < b->j ? -1 : a->j > b->j;
}

hv_status ev_match_greedy(const ev_box *a, size_t na, const ev_box *b, size_t nb, double thr, ptrdiff_t *a_to_b,
                          ptrdiff_t *b_to_a, double *best_a, double *best_b) {
    for (size_t i = 0; i < na; i++) {
        a_to_b[i] = -1;
        if (best_a) best_a[i] = 0;
    }
    for (size_t j = 0; j < nb; j++) {
        b_to_a[j] = -1;
        if (best_b) best_b[j] = 0;
    }
    if (!na || !nb) return HV_OK;
    pair *p = malloc(na * nb * sizeof *p);
    if (!p) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory matching boxes");
    size_t np = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            double v = ev_box_iou(&a[i], &b[j]);
            if (best_a && v > best_a[i]) best_a[i] = v;
            if (best_b && v > best_b[j]) best_b[j] = v;
            if (v >= thr && v > 0) p[np++] = (pair){v, i, j};
        }
    qsort(p, np, sizeof *p, cmp_pair);
    for (size_t k = 0; k < np; k++)
        if (a_to_b[p[k].i] < 0 && b_to_a[p[k].j] < 0) {
            a_to_b[p[k].i] = (ptrdiff_t)p[k].j;
            b_to_a[p[k].j] = (ptrdiff_t)p[k].i;
        }
    free(p);
    return HV_OK;
}

static hv_status push_box(ev_box **out, size_t *n, size_t *cap, const double v[4], const char *path) {
    if (ev_grow((void **)out, cap, *n + 1, sizeof **out))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    (*out)[(*n)++] = (ev_box){v[0], v[1], v[2], v[3]};
    return HV_OK;
}

hv_status ev_read_txt_boxes(const char *path, ev_box **out, size_t *n) {
    *out = NULL;
    *n = 0;
    char *text = NULL;
    hv_status st = ev_read_text(path, "box file", &text, NULL);
    if (st) return st;
    size_t cap = 0, k = 0;
    double v[4];
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        if (!*p) break;
        char *end = NULL;
        double x = strtod(p, &end);
        if (end == p) {
            st = hv_error(HV_ERR_PARSE, "%s: expected a number at byte %zu ('%.10s')", path, (size_t)(p - text), p);
            break;
        }
        p = end;
        v[k++] = x;
        if (k == 4) {
            if ((st = push_box(out, n, &cap, v, path))) break;
            k = 0;
        }
    }
    if (!st && k)
        st = hv_error(HV_ERR_PARSE, "%s: %zu numbers, not a multiple of 4 (xmin ymin xmax ymax per box)", path,
                      *n * 4 + k);
    free(text);
    if (st) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}

/* The number inside <tag>...</tag> in [from, to), or -1 when absent. */
static int xml_number(const char *from, const char *to, const char *tag, double *v) {
    char open[32];
    snprintf(open, sizeof open, "<%s>", tag);
    const char *p = strstr(from, open);
    if (!p || p >= to) return -1;
    p += strlen(open);
    char *end = NULL;
    *v = strtod(p, &end);
    return end == p ? -1 : 0;
}

hv_status ev_read_xml_boxes(const char *path, ev_box **out, size_t *n) {
    *out = NULL;
    *n = 0;
    char *text = NULL;
    hv_status st = ev_read_text(path, "box file", &text, NULL);
    if (st) return st;
    size_t cap = 0;
    const char *p = text;
    while (!st && (p = strstr(p, "<object>"))) {
        const char *end = strstr(p, "</object>");
        if (!end) {
            st = hv_error(HV_ERR_PARSE, "%s: <object> without </object>", path);
            break;
        }
        const char *bb = strstr(p, "<bndbox>");
        double v[4];
        if (!bb || bb > end || xml_number(bb, end, "xmin", &v[0]) || xml_number(bb, end, "ymin", &v[1]) ||
            xml_number(bb, end, "xmax", &v[2]) || xml_number(bb, end, "ymax", &v[3])) {
            st = hv_error(HV_ERR_PARSE, "%s: an <object> without a complete <bndbox> (xmin, ymin, xmax, ymax)", path);
            break;
        }
        st = push_box(out, n, &cap, v, path);
        p = end;
    }
    free(text);
    if (st) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}
