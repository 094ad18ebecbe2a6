/* core/maskrcnn/maskrcnn_check.c — no silent wrong answers from a Mask R-CNN: the weights are checked
 * against the model when it is set up (every network built once, every tensor read, none left over), and
 * each detect's network outputs are scanned for non-finite or f16-saturated values, which would otherwise
 * turn into "no detections" (a NaN score is below every threshold). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "maskrcnn/maskrcnn_internal.h"

hv_status hv_maskrcnn_check_weights(const hv_maskrcnn *m, const char *const *ignore, size_t n_ignore) {
    if (!m) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_check_weights: NULL model");
    /* the marks are bookkeeping, not the set's value: the model holds the set const */
    hv_weights_reset_used((hv_weights *)m->w);
    /* 64×64 gives every level P2..P6 at least one cell (stride 64) whatever the pad divisor */
    const int32_t side = 64;
    hv_graph *g = NULL;
    hv_status st = mr_features_graph(m, MR_PLAN_FEAT_IMAGE, side, side, 1, false, &g);
    hv_graph_free(g);
    int32_t fh[4], fw[4];
    for (int l = 0; l < 4; l++) fh[l] = fw[l] = side >> (l + 2);
    for (int k = 0; k < 2 && st == HV_OK; k++) {
        st = mr_head_graph(m, k == 0 ? MR_PLAN_BOX : MR_PLAN_MASK, m->channels, fh, fw, 4, 1, &g);
        hv_graph_free(g);
        g = NULL;
    }
    if (st == HV_OK) st = hv_weights_check_used(m->w, ignore, n_ignore, "maskrcnn");
    return st;
}

void mr_scan_output(hv_maskrcnn *m, const char *what, const float *v, size_t n) {
    if (m->problem[0] || !v) return;
    const int f16 = m->p.dtype == HV_F16;
    size_t nonfinite = 0, saturated = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) nonfinite++;
        else if (f16 && fabsf(v[i]) >= 65504.0f) saturated++;
    }
    if (nonfinite)
        snprintf(m->problem, sizeof m->problem, "%s: %zu of %zu values are NaN or Inf: the network's output is "
                 "meaningless (broken weights, or an overflow)", what, nonfinite, n);
    else if (saturated)
        snprintf(m->problem, sizeof m->problem, "%s: %zu of %zu values saturated at the f16 limit ±65504: the "
                 "activations leave the f16 range; run this model with precision: f32", what, saturated, n);
}

const char *hv_maskrcnn_output_problem(const hv_maskrcnn *m) {
    return m && m->problem[0] ? m->problem : NULL;
}
