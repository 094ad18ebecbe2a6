/* bench_eval — how long the metric engine takes on a whole exam (not a test: numbers only).
 *
 *   bench_eval [--frames N] [--seed S] [--runs R]
 *
 * Builds a synthetic exam of N frames (default 50,000, the length of a capsule study) of 224×224:
 * about half bleeding with 1–3 elliptic instances each (masks and boxes), 0–5 detections on every frame
 * (most bleeding instances found with a shifted, resized mask; the rest false alarms), scores in steps of
 * 0.01 (ties), classification probabilities for every frame. Then times, best of R runs (default 3):
 * hv_coco_eval with boxes, with masks, hv_eval_localisation_rate and hv_cls_eval, one line each, and the
 * headline numbers so a wrong run is visible. Single-threaded, like the engine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hemovk/eval_metrics.h"

#define H 224
#define W 224

/* xorshift64*: deterministic, no global state */
static double uniform(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

static int irange(uint64_t *s, int lo, int hi) { return lo + (int)(uniform(s) * (hi - lo + 1)); }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The RLE of an ellipse (centre cx, cy; radii rx, ry) clipped to the frame, built column by column (encoding
 * a 224×224 bitmap per mask would dominate the set-up), with its box [x, y, w, h] and pixel count. */
static int ellipse(double cx, double cy, double rx, double ry, hv_rle *r, double *box, double *area) {
    uint32_t *c = malloc((2 * W + 2) * sizeof *c);
    if (!c) return 0;
    size_t n = 0;
    uint32_t zeros = 0;
    int x0 = W, x1 = -1, y0 = H, y1 = -1;
    uint64_t a = 0;
    for (int x = 0; x < W; ++x) {
        const double u = ((double)x + 0.5 - cx) / rx;
        int lo = 1, hi = 0;
        if (fabs(u) < 1) {
            const double hh = ry * sqrt(1 - u * u);
            lo = (int)ceil(cy - hh - 0.5), hi = (int)floor(cy + hh - 0.5);
            if (lo < 0) lo = 0;
            if (hi > H - 1) hi = H - 1;
        }
        if (lo > hi) {
            zeros += H;
            continue;
        }
        zeros += (uint32_t)lo;
        if (zeros == 0 && n > 0) /* touches the previous column's run of ones: extend it */
            c[n - 1] += (uint32_t)(hi - lo + 1);
        else {
            c[n++] = zeros;
            c[n++] = (uint32_t)(hi - lo + 1);
        }
        zeros = (uint32_t)(H - 1 - hi);
        a += (uint64_t)(hi - lo + 1);
        if (x < x0) x0 = x;
        x1 = x;
        if (lo < y0) y0 = lo;
        if (hi > y1) y1 = hi;
    }
    c[n++] = zeros;
    *r = (hv_rle){.h = H, .w = W, .n = n, .counts = c};
    *area = (double)a;
    if (x1 < 0) {
        box[0] = box[1] = box[2] = box[3] = 0;
    } else {
        box[0] = x0, box[1] = y0, box[2] = x1 - x0 + 1, box[3] = y1 - y0 + 1;
    }
    return 1;
}

int main(int argc, char **argv) {
    size_t frames = 50000;
    uint64_t seed = 2024;
    int runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--frames"))
            frames = (size_t)strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--runs"))
            runs = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_eval [--frames N] [--seed S] [--runs R]\n");
            return 2;
        }
    }
    if (frames == 0 || runs < 1) return 2;
    uint64_t s = seed ? seed : 1;
    char *names[2] = {"bleeding", "non-bleeding"};
    int32_t cat = 1;
    hv_eval_gt gt = {.n_images = frames, .category_ids = &cat, .n_categories = 1, .class_names = names, .n_classes = 2};
    hv_eval_results res = {0};
    gt.images = calloc(frames, sizeof *gt.images);
    gt.anns = calloc(frames * 3, sizeof *gt.anns);
    res.dets = calloc(frames * 5, sizeof *res.dets);
    res.cls = calloc(frames, sizeof *res.cls);
    double *probs = malloc(frames * 2 * sizeof *probs);
    if (!gt.images || !gt.anns || !res.dets || !res.cls || !probs) {
        fprintf(stderr, "bench_eval: out of memory\n");
        return 1;
    }
    const double t_setup = now();
    for (size_t f = 0; f < frames; ++f) {
        const int64_t id = (int64_t)f + 1;
        const int bleeding = uniform(&s) < 0.5;
        gt.images[f] = (hv_eval_image){.id = id, .width = W, .height = H, .label = bleeding ? 0 : 1};
        const int n_gt = bleeding ? irange(&s, 1, 3) : 0, n_det = irange(&s, 0, 5);
        double ell[3][4];
        for (int g = 0; g < n_gt; ++g) {
            double *e = ell[g];
            e[0] = irange(&s, 20, 204), e[1] = irange(&s, 20, 204), e[2] = irange(&s, 3, 60), e[3] = irange(&s, 3, 60);
            hv_eval_ann *a = &gt.anns[gt.n_anns];
            *a = (hv_eval_ann){.id = (int64_t)gt.n_anns + 1, .image_id = id, .category_id = 1};
            if (!ellipse(e[0], e[1], e[2], e[3], &a->segm, a->bbox, &a->area)) return 1;
            ++gt.n_anns;
        }
        for (int d = 0; d < n_det; ++d) {
            double e[4];
            const int hit = d < n_gt && uniform(&s) < 0.85;
            if (hit) { /* imperfect */
                e[0] = ell[d][0] + irange(&s, -4, 4), e[1] = ell[d][1] + irange(&s, -4, 4);
                e[2] = ell[d][2] * (0.8 + 0.4 * uniform(&s)), e[3] = ell[d][3] * (0.8 + 0.4 * uniform(&s));
            } else {
                e[0] = irange(&s, 10, 214), e[1] = irange(&s, 10, 214), e[2] = irange(&s, 3, 40), e[3] = irange(&s, 3, 40);
            }
            hv_eval_det *dt = &res.dets[res.n_dets];
            double area;
            /* hits tend to score higher than false alarms, with overlap (and ties, in steps of .01) */
            const double score = hit ? irange(&s, 30, 100) / 100.0 : irange(&s, 1, 70) / 100.0;
            *dt = (hv_eval_det){.image_id = id, .category_id = 1, .score = score};
            if (!ellipse(e[0], e[1], e[2], e[3], &dt->segm, dt->bbox, &area)) return 1;
            ++res.n_dets;
        }
        const double p = bleeding ? 0.35 + 0.65 * uniform(&s) : 0.65 * uniform(&s);
        probs[2 * f] = round(p * 1000) / 1000, probs[2 * f + 1] = 1 - probs[2 * f];
        res.cls[f] = (hv_eval_cls){.image_id = id, .predicted = probs[2 * f] >= 0.5 ? 0 : 1, .probs = probs + 2 * f};
    }
    res.n_cls = frames;
    printf("exam: %zu frames, %zu instances, %zu detections, %zu classifications (set-up %.2f s)\n", frames, gt.n_anns,
           res.n_dets, res.n_cls, now() - t_setup);

    double best[4] = {INFINITY, INFINITY, INFINITY, INFINITY};
    double ap_box = 0, ap_segm = 0, rate = 0, auc = 0;
    for (int run = 0; run < runs; ++run) {
        hv_coco_eval_result *r;
        double t = now();
        if (hv_coco_eval(&gt, &res, HV_COCO_BBOX, NULL, &r)) goto fail;
        best[0] = fmin(best[0], now() - t);
        ap_box = r->stats[0];
        hv_coco_eval_result_free(r);
        t = now();
        if (hv_coco_eval(&gt, &res, HV_COCO_SEGM, NULL, &r)) goto fail;
        best[1] = fmin(best[1], now() - t);
        ap_segm = r->stats[0];
        hv_coco_eval_result_free(r);
        hv_eval_loc_rate lr;
        t = now();
        if (hv_eval_localisation_rate(&gt, &res, 0.5, -INFINITY, &lr, NULL)) goto fail;
        best[2] = fmin(best[2], now() - t);
        rate = lr.rate;
        hv_cls_metrics *m;
        t = now();
        if (hv_cls_eval(&gt, &res, NULL, &m)) goto fail;
        best[3] = fmin(best[3], now() - t);
        auc = m->roc_auc;
        hv_cls_metrics_free(m);
    }
    printf("hv_coco_eval bbox           %.3f s   (AP %.6f)\n", best[0], ap_box);
    printf("hv_coco_eval segm           %.3f s   (AP %.6f)\n", best[1], ap_segm);
    printf("hv_eval_localisation_rate   %.3f s   (rate %.4f)\n", best[2], rate);
    printf("hv_cls_eval                 %.3f s   (ROC-AUC %.4f)\n", best[3], auc);
    printf("total                       %.3f s   (best of %d runs each)\n", best[0] + best[1] + best[2] + best[3], runs);
    for (size_t i = 0; i < gt.n_anns; ++i) hv_rle_free(&gt.anns[i].segm);
    for (size_t i = 0; i < res.n_dets; ++i) hv_rle_free(&res.dets[i].segm);
    free(gt.images), free(gt.anns), free(res.dets), free(res.cls), free(probs);
    return 0;
fail:
    fprintf(stderr, "bench_eval: %s\n", hv_last_error());
    return 1;
}
