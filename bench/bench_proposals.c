/* bench_proposals — RPN proposal selection on the device (the rpn_level_topk and rpn_nms ops) against
 * the host path it replaces (read the five levels' RPN maps back, reorder to HWC, hv_rpn_proposals per
 * frame), on random RPN maps of one batch. Not a test: numbers only.
 *
 *   bench_proposals [--size S] [--batch B] [--anchors A] [--nms-pre K] [--max M] [--runs N]
 *
 * Defaults are the demo segmenters': 224×224 input (P2..P6 56², 28², 14², 7², 4²), batch 4, 6 anchors per
 * cell (3 ratios × 2 scales), nms_pre 1000, 300 proposals, IoU 0.7. Device: the ops' GPU time from the
 * plan's profile when the queue has timestamps, and the wall time of hv_plan_run (the maps are inputs
 * here, so the wall time also counts uploading them — what a features plan would not do). Host: the
 * wall time of the reorder and hv_rpn_proposals for every frame of the batch. Bytes: what each path reads
 * back from the device per frame (the RPN maps, or the proposal rows). Medians over N runs (default 7). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hemovk/detect.h"
#include "hemovk/device.h"
#include "hemovk/graph.h"
#include "hemovk/ops_dcn.h"
#include "hemovk/status.h"

#define LEVELS 5

static uint64_t g_rng = 88172645463325252ull;
static float urand(float lo, float hi) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return lo + (hi - lo) * (float)((g_rng >> 11) * (1.0 / 9007199254740992.0));
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return t[n / 2];
}

int main(int argc, char **argv) {
    int size = 224, batch = 4, anchors = 6, nms_pre = 1000, max_out = 300, runs = 7;
    for (int i = 1; i < argc; i++) {
        int *dst = !strcmp(argv[i], "--size") ? &size : !strcmp(argv[i], "--batch") ? &batch
                 : !strcmp(argv[i], "--anchors") ? &anchors : !strcmp(argv[i], "--nms-pre") ? &nms_pre
                 : !strcmp(argv[i], "--max") ? &max_out : !strcmp(argv[i], "--runs") ? &runs : NULL;
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "usage: %s [--size S] [--batch B] [--anchors 3|6] [--nms-pre K] [--max M] [--runs N]\n",
                    argv[0]);
            return 2;
        }
        *dst = atoi(argv[++i]);
    }
    if (runs < 1) runs = 1;
    const float scales2[2] = {4.0f, 5.656854f}, scale1 = 8.0f;
    hv_rpn_params rp;
    hv_rpn_params_default(&rp, (float)size, (float)size);
    rp.nms_pre = nms_pre, rp.max_per_img = max_out, rp.iou_thr = 0.7f;
    if (anchors == 6) rp.n_scales = 2, memcpy(rp.scales, scales2, sizeof scales2);
    else if (anchors != 3) return fprintf(stderr, "bench_proposals: --anchors 3 or 6\n"), 2;
    hv_device *dev = NULL;
    if (hv_device_open(NULL, &dev)) return fprintf(stderr, "bench_proposals: %s\n", hv_last_error()), 3;
    /* the maps: logits mostly negative (few objects), deltas small */
    int h[LEVELS];
    float *cls[LEVELS], *reg[LEVELS];
    size_t map_bytes = 0;
    hv_graph *g = NULL;
    hv_graph_create(&g);
    hv_tensor *cand[LEVELS], *cin[LEVELS], *rin[LEVELS];
    char name[32];
    for (int l = 0; l < LEVELS; l++) {
        h[l] = ((size + 3) / 4 + (1 << l) - 1) >> l;
        size_t n = (size_t)batch * anchors * h[l] * h[l];
        cls[l] = malloc(n * sizeof(float));
        reg[l] = malloc(4 * n * sizeof(float));
        for (size_t i = 0; i < n; i++) cls[l][i] = urand(-8.0f, 2.0f);
        for (size_t i = 0; i < 4 * n; i++) reg[l][i] = urand(-0.5f, 0.5f);
        map_bytes += 5 * n * sizeof(float) / (size_t)batch;
        hv_tensor_desc cd = hv_desc_make(HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){batch, anchors, h[l], h[l]});
        hv_tensor_desc rd = hv_desc_make(HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){batch, 4 * anchors, h[l], h[l]});
        snprintf(name, sizeof name, "cls.%d", l);
        cin[l] = hv_graph_input(g, name, &cd);
        snprintf(name, sizeof name, "reg.%d", l);
        rin[l] = hv_graph_input(g, name, &rd);
        hv_rpn_topk_params tp = {.nms_pre = nms_pre, .n_anchors = anchors, .stride = (float)(4 << l),
                                 .img_h = (float)size, .img_w = (float)size};
        hv_box base[8];
        hv_anchors_base(tp.stride, rp.n_scales ? rp.scales : &scale1, rp.n_scales ? rp.n_scales : 1, rp.ratios, 3, base);
        for (int a = 0; a < anchors; a++) tp.anchor_half[a][0] = base[a].x2, tp.anchor_half[a][1] = base[a].y2;
        cand[l] = hv_rpn_level_topk(g, cin[l], rin[l], &tp, NULL);
    }
    hv_rpn_nms_params np = {.max_per_img = max_out, .iou_thr = rp.iou_thr};
    hv_graph_output(g, hv_rpn_nms(g, cand, LEVELS, &np, NULL), "proposals");
    hv_plan_options opts = {.profile = 1};
    hv_plan *p = NULL;
    hv_status st = hv_graph_status(g);
    if (!st) st = hv_plan_create(g, dev, &opts, &p);
    for (int l = 0; l < LEVELS && !st; l++) {
        size_t n = (size_t)batch * anchors * h[l] * h[l];
        snprintf(name, sizeof name, "cls.%d", l);
        st = hv_plan_set_input(p, name, cls[l], HV_F32, n);
        snprintf(name, sizeof name, "reg.%d", l);
        if (!st) st = hv_plan_set_input(p, name, reg[l], HV_F32, 4 * n);
    }
    const size_t rows_n = (size_t)batch * max_out * HV_RPN_OP_ROW;
    float *rows = malloc(rows_n * sizeof(float));
    double *gpu = calloc((size_t)runs, sizeof(double)), *wall = calloc((size_t)runs, sizeof(double));
    double *host = calloc((size_t)runs, sizeof(double));
    fflush(stderr);
    int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY); /* the profile table after each run */
    if (null >= 0) dup2(null, STDERR_FILENO), close(null);
    hv_op_time ot[8];
    uint32_t n_ot = 0;
    double *per_op[8];
    for (int i = 0; i < 8; i++) per_op[i] = calloc((size_t)runs, sizeof(double));
    for (int r = -2; r < runs && !st; r++) {
        double t0 = now_ns();
        st = hv_plan_run(p);
        if (!st) st = hv_plan_get_output(p, "proposals", rows, rows_n);
        double w = now_ns() - t0, ns = 0;
        n_ot = st ? 0 : hv_plan_profile(p, ot, 8);
        for (uint32_t i = 0; i < n_ot; i++) ns += ot[i].ns;
        for (uint32_t i = 0; i < n_ot && r >= 0; i++) per_op[i][r] = ot[i].ns;
        if (r >= 0) gpu[r] = ns, wall[r] = w;
    }
    if (saved >= 0) fflush(stderr), dup2(saved, STDERR_FILENO), close(saved);
    /* the host path on the same maps: reorder each frame's maps to HWC, hv_rpn_proposals */
    hv_det *out = malloc((size_t)max_out * sizeof(hv_det));
    size_t device_kept = 0, host_kept = 0, agree = 0;
    for (int r = -1; r < runs && !st; r++) {
        double t0 = now_ns();
        for (int f = 0; f < batch && !st; f++) {
            hv_rpn_level lv[LEVELS];
            float *bufs[2 * LEVELS];
            for (int l = 0; l < LEVELS; l++) {
                const size_t hw = (size_t)h[l] * h[l], A = (size_t)anchors;
                float *c = malloc(hw * A * sizeof(float)), *q = malloc(hw * 4 * A * sizeof(float));
                for (size_t ch = 0; ch < A; ch++)
                    for (size_t i = 0; i < hw; i++) c[i * A + ch] = cls[l][((size_t)f * A + ch) * hw + i];
                for (size_t ch = 0; ch < 4 * A; ch++)
                    for (size_t i = 0; i < hw; i++) q[i * 4 * A + ch] = reg[l][((size_t)f * 4 * A + ch) * hw + i];
                lv[l] = (hv_rpn_level){.cls = c, .reg = q, .h = h[l], .w = h[l], .stride = (float)(4 << l)};
                bufs[2 * l] = c, bufs[2 * l + 1] = q;
            }
            size_t n = 0;
            st = hv_rpn_proposals(lv, LEVELS, &rp, out, &n);
            for (int i = 0; i < 2 * LEVELS; i++) free(bufs[i]);
            if (r == runs - 1) { /* how many of the host's proposals the device rows hold, in order */
                const float *fr = rows + (size_t)f * max_out * HV_RPN_OP_ROW;
                host_kept += n;
                for (size_t i = 0; i < (size_t)max_out && fr[i * HV_RPN_OP_ROW + 7] == 1.0f; i++) {
                    device_kept++;
                    agree += i < n && (int)fr[i * HV_RPN_OP_ROW + 6] == out[i].src &&
                             (int)fr[i * HV_RPN_OP_ROW + 5] == out[i].label;
                }
            }
        }
        if (r >= 0) host[r] = now_ns() - t0;
    }
    if (st) {
        fprintf(stderr, "bench_proposals: %s\n", hv_last_error());
        return 1;
    }
    const hv_device_info *info = hv_device_get_info(dev);
    double g_ms = median(gpu, runs) / 1e6, w_ms = median(wall, runs) / 1e6, h_ms = median(host, runs) / 1e6;
    printf("device: %s\n", info ? info->name : "?");
    printf("input %dx%d, batch %d, %d anchors/cell, nms_pre %d, %d proposals; per batch (median of %d):\n", size, size,
           batch, anchors, nms_pre, max_out, runs);
    printf("  device ops   %8.3f ms GPU time%s, %8.3f ms wall (incl. uploading the maps)\n", g_ms,
           g_ms > 0 ? "" : " (no timestamps)", w_ms);
    for (uint32_t i = 0; i < n_ot; i++)
        printf("    %-14s %8.3f ms (%u dispatches)\n", ot[i].op, median(per_op[i], runs) / 1e6, ot[i].count);
    printf("  host path    %8.3f ms (reorder + hv_rpn_proposals, %d frames)\n", h_ms, batch);
    printf("  read back per frame: %zu bytes of RPN maps (host path) vs %zu bytes of rows (device)\n", map_bytes,
           (size_t)max_out * HV_RPN_OP_ROW * sizeof(float));
    printf("  proposals: device %zu, host %zu, same level and anchor at the same rank %zu\n", device_kept, host_kept,
           agree);
    hv_plan_free(p);
    hv_graph_free(g);
    hv_device_close(dev);
    for (int l = 0; l < LEVELS; l++) free(cls[l]), free(reg[l]);
    free(rows), free(gpu), free(wall), free(host), free(out);
    for (int i = 0; i < 8; i++) free(per_op[i]);
    return 0;
}
