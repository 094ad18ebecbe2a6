/* Detection test-time augmentation helpers (MODEL_SPEC §6.2): flips and numpy-style rot90 of boxes and
 * maps, mmdet's mean merge of boxes/scores/mask maps, and a concatenate-then-NMS merge. */
#include <stdlib.h>
#include <string.h>

#include "hemovk/detect.h"

void hv_tta_size(hv_tta_tf tf, int h, int w, int *aug_h, int *aug_w) {
    const int swap = tf == HV_TTA_ROT90 || tf == HV_TTA_ROT270;
    if (aug_h) *aug_h = swap ? w : h;
    if (aug_w) *aug_w = swap ? h : w;
}

static hv_status check_tf(hv_tta_tf tf, int h, int w, const char *what) {
    if ((unsigned)tf > HV_TTA_ROT270) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: unknown TTA transform %d", what, (int)tf);
    if (h < 0 || w < 0) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: image size %dx%d", what, h, w);
    return HV_OK;
}

/* forward continuous-point map of a box, original h×w → augmented */
static hv_box fwd_box(hv_tta_tf tf, float H, float W, hv_box b) {
    switch (tf) {
    case HV_TTA_HFLIP: return (hv_box){W - b.x2, b.y1, W - b.x1, b.y2};
    case HV_TTA_VFLIP: return (hv_box){b.x1, H - b.y2, b.x2, H - b.y1};
    case HV_TTA_ROT90: return (hv_box){b.y1, W - b.x2, b.y2, W - b.x1};  /* (x, y) → (y, W − x) */
    case HV_TTA_ROT180: return (hv_box){W - b.x2, H - b.y2, W - b.x1, H - b.y1};
    case HV_TTA_ROT270: return (hv_box){H - b.y2, b.x1, H - b.y1, b.x2}; /* (x, y) → (H − y, x) */
    default: return b;
    }
}

/* inverse: augmented → original h×w */
static hv_box inv_box(hv_tta_tf tf, float H, float W, hv_box b) {
    switch (tf) {
    case HV_TTA_ROT90: return (hv_box){W - b.y2, b.x1, W - b.y1, b.x2};  /* (x', y') → (W − y', x') */
    case HV_TTA_ROT270: return (hv_box){b.y1, H - b.x2, b.y2, H - b.x1}; /* (x', y') → (y', H − x') */
    default: return fwd_box(tf, H, W, b); /* flips and 180° are involutions */
    }
}

hv_status hv_tta_boxes(hv_tta_tf tf, int h, int w, bool inverse, const hv_box *in, size_t n, hv_box *out) {
    hv_status st = check_tf(tf, h, w, "TTA boxes");
    if (st) return st;
    if (n && (!in || !out)) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA boxes: NULL argument");
    for (size_t i = 0; i < n; ++i) out[i] = inverse ? inv_box(tf, (float)h, (float)w, in[i]) : fwd_box(tf, (float)h, (float)w, in[i]);
    return HV_OK;
}

/* pixel (r, c) of the original h×w image → its index in the augmented image */
static size_t fwd_pixel(hv_tta_tf tf, int h, int w, int r, int c) {
    int ah, aw;
    hv_tta_size(tf, h, w, &ah, &aw);
    int rr = r, cc = c;
    switch (tf) {
    case HV_TTA_HFLIP: cc = w - 1 - c; break;
    case HV_TTA_VFLIP: rr = h - 1 - r; break;
    case HV_TTA_ROT90: rr = w - 1 - c; cc = r; break;  /* np.rot90 k=1: out[i, j] = in[j, w−1−i] */
    case HV_TTA_ROT180: rr = h - 1 - r; cc = w - 1 - c; break;
    case HV_TTA_ROT270: rr = c; cc = h - 1 - r; break; /* k=3: out[i, j] = in[h−1−j, i] */
    default: break;
    }
    return (size_t)rr * (size_t)aw + (size_t)cc;
}

hv_status hv_tta_map(hv_tta_tf tf, int h, int w, size_t elem_size, bool inverse, const void *src, void *dst) {
    hv_status st = check_tf(tf, h, w, "TTA map");
    if (st) return st;
    if (elem_size == 0 || (h && w && (!src || !dst))) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA map: NULL argument or element size 0");
    if (src == dst && h && w) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA map: src and dst must be different buffers");
    const unsigned char *s = src;
    unsigned char *d = dst;
    for (int r = 0; r < h; ++r)
        for (int c = 0; c < w; ++c) {
            const size_t o = (size_t)r * (size_t)w + (size_t)c, a = fwd_pixel(tf, h, w, r, c);
            if (inverse)
                memcpy(d + o * elem_size, s + a * elem_size, elem_size);
            else
                memcpy(d + a * elem_size, s + o * elem_size, elem_size);
        }
    return HV_OK;
}

hv_status hv_tta_mean(const hv_box *const *boxes, const float *const *scores, int n_aug, size_t n, int n_cols,
                      hv_box *mean_boxes, float *mean_scores) {
    if (n_aug < 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA mean: %d augmentations (need ≥ 1)", n_aug);
    if (n && (!boxes || !mean_boxes)) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA mean: NULL boxes");
    if (n && scores && (!mean_scores || n_cols < 1)) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA mean: scores need an output and n_cols ≥ 1");
    for (int a = 0; a < n_aug && n; ++a)
        if (!boxes[a] || (scores && !scores[a])) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA mean: augmentation %d has no array", a);
    /* torch.stack(...).mean(0) in float32: sum in augmentation order, divide by the count */
    for (size_t i = 0; i < n; ++i) {
        float s[4] = {0, 0, 0, 0};
        for (int a = 0; a < n_aug; ++a) {
            s[0] += boxes[a][i].x1; s[1] += boxes[a][i].y1; s[2] += boxes[a][i].x2; s[3] += boxes[a][i].y2;
        }
        mean_boxes[i] = (hv_box){s[0] / (float)n_aug, s[1] / (float)n_aug, s[2] / (float)n_aug, s[3] / (float)n_aug};
    }
    if (scores)
        for (size_t i = 0; i < n * (size_t)n_cols; ++i) {
            float s = 0;
            for (int a = 0; a < n_aug; ++a) s += scores[a][i];
            mean_scores[i] = s / (float)n_aug;
        }
    return HV_OK;
}

hv_status hv_tta_mean_maps(const float *const *maps, int n_aug, size_t n, float *out) {
    if (n_aug < 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA mean maps: %d augmentations (need ≥ 1)", n_aug);
    if (n && (!maps || !out)) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA mean maps: NULL argument");
    for (int a = 0; a < n_aug && n; ++a)
        if (!maps[a]) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA mean maps: augmentation %d has no map", a);
    for (size_t i = 0; i < n; ++i) {
        float s = 0;
        for (int a = 0; a < n_aug; ++a) s += maps[a][i];
        out[i] = s / (float)n_aug;
    }
    return HV_OK;
}

hv_status hv_tta_merge_nms(const hv_det *const *dets, const size_t *counts, int n_aug, float iou_thr,
                           int max_per_img, hv_det *out, size_t *n_out) {
    if (!dets || !counts || !n_out) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA NMS merge: NULL argument");
    *n_out = 0;
    if (n_aug < 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA NMS merge: %d augmentations (need ≥ 1)", n_aug);
    size_t n = 0;
    for (int a = 0; a < n_aug; ++a) {
        if (counts[a] && !dets[a]) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA NMS merge: augmentation %d has no array", a);
        n += counts[a];
    }
    if (n == 0) return HV_OK;
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "TTA NMS merge: NULL output");
    hv_box *b = malloc(n * sizeof *b);
    float *s = malloc(n * sizeof *s);
    int32_t *g = malloc(n * sizeof *g);
    size_t *keep = malloc(n * sizeof *keep);
    hv_det *all = malloc(n * sizeof *all);
    if (!b || !s || !g || !keep || !all) {
        free(b); free(s); free(g); free(keep); free(all);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "TTA NMS merge: out of memory for %zu boxes", n);
    }
    size_t k = 0;
    for (int a = 0; a < n_aug; ++a)
        for (size_t i = 0; i < counts[a]; ++i, ++k) {
            all[k] = dets[a][i];
            b[k] = all[k].box; s[k] = all[k].score; g[k] = all[k].label;
        }
    size_t nk = 0;
    hv_status st = hv_nms_batched(b, s, g, n, iou_thr, keep, &nk);
    if (!st) {
        if (max_per_img > 0 && nk > (size_t)max_per_img) nk = (size_t)max_per_img;
        for (size_t i = 0; i < nk; ++i) {
            out[i] = all[keep[i]];
            out[i].src = (int32_t)keep[i];
        }
        *n_out = nk;
    }
    free(b); free(s); free(g); free(keep); free(all);
    return st;
}
