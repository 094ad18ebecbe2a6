/* COCOeval.summarize: the 12 standard numbers and MODEL_SPEC §9.2's 19-entry layout, each the mean of
 * the selected array entries that are > −1 (−1 when none are). */
#include <string.h>

#include "eval/metrics_internal.h"

enum { Q_PRECISION, Q_RECALL, Q_PRECISION_S };

/* The indices of one axis that a summarize() call selects (at most the axis length). */
typedef struct sel {
    size_t n;
    size_t at[HV_COCO_MAX_IOU_THRS]; /* the longest axis selected is the IoU one */
} sel;

/* `s[..., aind, mind]` with two index lists is numpy advanced indexing: the lists are zipped
 * (broadcast when one has length 1), not crossed; pairs[] receives (a, m). Returns the pair count, 0
 * when either list is empty or they cannot broadcast (numpy would raise; −1 is the honest answer). */
static size_t zip_am(const sel *a, const sel *m, size_t pairs[][2]) {
    size_t n;
    if (a->n == 0 || m->n == 0) return 0;
    if (a->n == m->n)
        n = a->n;
    else if (a->n == 1)
        n = m->n;
    else if (m->n == 1)
        n = a->n;
    else
        return 0;
    for (size_t i = 0; i < n; ++i) {
        pairs[i][0] = a->at[a->n == 1 ? 0 : i];
        pairs[i][1] = m->at[m->n == 1 ? 0 : i];
    }
    return n;
}

/* One _summarize(): quantity q, IoU threshold (iou < 0: all), area label, maxDets value (has_m = 0:
 * the requested maxDets index does not exist, which gives −1 where pycocotools would raise). */
static double summarize(const hv_coco_eval_result *r, int q, double iou, const char *area, int has_m, uint32_t max_det) {
    sel ts = {0}, as = {0}, ms = {0};
    for (size_t t = 0; t < r->T; ++t)
        if (iou < 0 || r->params.iou_thrs[t] == iou) ts.at[ts.n++] = t; /* np.where(iouThr == p.iouThrs) */
    for (size_t a = 0; a < r->A; ++a)
        if (strcmp(r->params.area_lbl[a], area) == 0) as.at[as.n++] = a;
    for (size_t m = 0; has_m && m < r->M; ++m)
        if (r->params.max_dets[m] == max_det) ms.at[ms.n++] = m;
    size_t pairs[HV_COCO_MAX_MAX_DETS > HV_COCO_MAX_AREA_RNGS ? HV_COCO_MAX_MAX_DETS : HV_COCO_MAX_AREA_RNGS][2];
    const size_t np = zip_am(&as, &ms, pairs);
    double sum = 0;
    size_t cnt = 0;
    const size_t nr = q == Q_PRECISION ? r->R : 1;
    for (size_t i = 0; i < ts.n; ++i)
        for (size_t ri = 0; ri < nr; ++ri)
            for (size_t k = 0; k < r->K; ++k)
                for (size_t j = 0; j < np; ++j) {
                    const size_t t = ts.at[i], a = pairs[j][0], m = pairs[j][1];
                    double v;
                    if (q == Q_PRECISION)
                        v = r->precision[(((t * r->R + ri) * r->K + k) * r->A + a) * r->M + m];
                    else if (q == Q_RECALL)
                        v = r->recall[((t * r->K + k) * r->A + a) * r->M + m];
                    else
                        v = r->precision_s[((t * r->K + k) * r->A + a) * r->M + m];
                    if (v > -1) {
                        sum += v;
                        ++cnt;
                    }
                }
    return cnt ? sum / (double)cnt : -1;
}

void hvm_summarize(hv_coco_eval_result *r) {
    const uint32_t *md = r->params.max_dets;
    const int h0 = r->M > 0, h1 = r->M > 1, h2 = r->M > 2;
    const uint32_t m0 = h0 ? md[0] : 0, m1 = h1 ? md[1] : 0, m2 = h2 ? md[2] : 0;
    double *s = r->stats;
    /* _summarizeDets; stats[0] asks for maxDets=100 literally (the default argument) */
    s[0] = summarize(r, Q_PRECISION, -1, "all", 1, 100);
    s[1] = summarize(r, Q_PRECISION, .5, "all", h2, m2);
    s[2] = summarize(r, Q_PRECISION, .75, "all", h2, m2);
    s[3] = summarize(r, Q_PRECISION, -1, "small", h2, m2);
    s[4] = summarize(r, Q_PRECISION, -1, "medium", h2, m2);
    s[5] = summarize(r, Q_PRECISION, -1, "large", h2, m2);
    s[6] = summarize(r, Q_RECALL, -1, "all", h0, m0);
    s[7] = summarize(r, Q_RECALL, -1, "all", h1, m1);
    s[8] = summarize(r, Q_RECALL, -1, "all", h2, m2);
    s[9] = summarize(r, Q_RECALL, -1, "small", h2, m2);
    s[10] = summarize(r, Q_RECALL, -1, "medium", h2, m2);
    s[11] = summarize(r, Q_RECALL, -1, "large", h2, m2);
    /* MODEL_SPEC §9.2 _summarizeDets of the authors' modified COCOeval */
    double *x = r->table2;
    memcpy(x, s, 6 * sizeof *x);
    x[6] = summarize(r, Q_RECALL, .5, "all", h1, m1);
    x[7] = summarize(r, Q_RECALL, -1, "all", h1, m1);
    x[8] = summarize(r, Q_RECALL, -1, "all", h2, m2);
    x[9] = s[9];
    x[10] = s[10];
    x[11] = s[11];
    x[12] = summarize(r, Q_PRECISION_S, -1, "all", h0, m0);
    x[13] = summarize(r, Q_PRECISION_S, -1, "all", h1, m1);
    x[14] = summarize(r, Q_PRECISION_S, -1, "all", h2, m2);
    x[15] = summarize(r, Q_PRECISION_S, .5, "all", h0, m0);
    x[16] = summarize(r, Q_PRECISION_S, .5, "all", h1, m1);
    x[17] = summarize(r, Q_PRECISION_S, .75, "all", h0, m0);
    x[18] = summarize(r, Q_PRECISION_S, .75, "all", h1, m1);
}

const char *hv_coco_stat_name(size_t i) {
    static const char *const names[HV_COCO_N_STATS] = {"AP",    "AP50", "AP75", "APs", "APm", "APl",
                                                       "AR1",   "AR10", "AR100", "ARs", "ARm", "ARl"};
    return i < HV_COCO_N_STATS ? names[i] : NULL;
}

const char *hv_coco_table2_name(size_t i) {
    static const char *const names[HV_COCO_N_TABLE2] = {
        "mAP",     "mAP50",   "mAP75", "mAPs",  "mAPm",   "mAPl",   "AR50@10", "AR@10",  "AR@100", "ARs@100",
        "ARm@100", "ARl@100", "AP@1",  "AP@10", "AP@100", "AP50@1", "AP50@10", "AP75@1", "AP75@10"};
    return i < HV_COCO_N_TABLE2 ? names[i] : NULL;
}
