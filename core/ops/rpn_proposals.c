/* The RPN's proposal selection as two graph ops (hemovk/ops_dcn.h; MODEL_SPEC §5.5; issue 16), so a
 * features plan can end in its proposals and the RPN maps never leave the device:
 *   rpn_level_topk  one level: sigmoid, the top nms_pre by score, their decoded boxes (shaders/rpn_topk.comp)
 *   rpn_nms         all levels: merged by score, batched NMS, the first max_per_img (shaders/rpn_nms.comp)
 * The references call the functions hv_rpn_proposals is made of (hv_det_sort_desc, hv_delta_decode,
 * hv_nms_batched), so the pair gives exactly its proposals; tests/ops/test_rpn_proposals.c checks both
 * that and the shaders against the references. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_sort.h"
#include "hemovk/detect.h"
#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"

/* ---- rpn_level_topk ---------------------------------------------------------------------------------- */

static hv_status topk_check(const hv_rpn_topk_params *p) {
    if (p->nms_pre < 1 || p->nms_pre > HV_RPN_OP_MAX_PRE || p->n_anchors < 1 || p->n_anchors > HV_RPN_OP_MAX_ANCHORS ||
        !(p->stride > 0.0f) || !(p->img_h > 0.0f) || !(p->img_w > 0.0f) || !(p->min_bbox_size >= 0.0f) ||
        !isfinite(p->stride) || !isfinite(p->img_h) || !isfinite(p->img_w) || !isfinite(p->min_bbox_size))
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "rpn_level_topk: nms_pre %d (1..%d), anchors %d (1..%d), stride %g, img %gx%g (> 0), "
                        "min_bbox_size %g (≥ 0) out of range",
                        p->nms_pre, HV_RPN_OP_MAX_PRE, p->n_anchors, HV_RPN_OP_MAX_ANCHORS, (double)p->stride,
                        (double)p->img_w, (double)p->img_h, (double)p->min_bbox_size);
    return HV_OK;
}

static hv_status topk_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_rpn_topk_params *p = params;
    hv_status st = topk_check(p);
    if (st) return st;
    if (n_src != 2) return hv_error(HV_ERR_SHAPE, "rpn_level_topk: needs cls and reg, got %u inputs", n_src);
    const hv_tensor_desc *c = &src[0], *r = &src[1];
    const int64_t A = p->n_anchors;
    if (c->rank != 4 || r->rank != 4 || c->layout == HV_LAYOUT_NHWC || r->layout == HV_LAYOUT_NHWC ||
        c->dims[1] != A || r->dims[1] != 4 * A || r->dims[0] != c->dims[0] || r->dims[2] != c->dims[2] ||
        r->dims[3] != c->dims[3] || r->dtype != c->dtype)
        return hv_error(HV_ERR_SHAPE, "rpn_level_topk: cls %s and reg %s must be NCHW {N, %lld, H, W} and "
                        "{N, %lld, H, W} of one dtype", opsdcn_shape(c), opsdcn_shape(r), (long long)A,
                        (long long)(4 * A));
    const int64_t n = A * c->dims[2] * c->dims[3];
    if (n < 1 || n >= (1 << 24) || c->dims[0] < 1 || c->dims[0] > 65535)
        return hv_error(HV_ERR_SHAPE, "rpn_level_topk: %lld anchors on %lld frames (1..2^24 − 1 on 1..65535)",
                        (long long)n, (long long)c->dims[0]);
    memset(dst, 0, sizeof *dst);
    dst->dtype = HV_F32;
    dst->layout = HV_LAYOUT_ANY;
    dst->rank = 3;
    dst->dims[0] = c->dims[0];
    dst->dims[1] = n < p->nms_pre ? n : p->nms_pre;
    dst->dims[2] = HV_RPN_OP_ROW;
    return HV_OK;
}

static hv_status topk_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                          const hv_tensor_desc *dst, float *out) {
    (void)n_src;
    const hv_rpn_topk_params *p = params;
    const size_t N = (size_t)src[0].dims[0], A = (size_t)p->n_anchors, W = (size_t)src[0].dims[3];
    const size_t hw = (size_t)src[0].dims[2] * W, n = A * hw, k = (size_t)dst->dims[1];
    float *s = malloc(n * sizeof *s);
    size_t *idx = malloc(n * sizeof *idx), *tmp = malloc(n * sizeof *tmp);
    if (!s || !idx || !tmp) {
        free(s); free(idx); free(tmp);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "rpn_level_topk: %zu anchors", n);
    }
    const hv_delta_coder coder = {.means = {0, 0, 0, 0}, .stds = {1, 1, 1, 1}, .img_h = p->img_h, .img_w = p->img_w};
    hv_status st = HV_OK;
    for (size_t f = 0; f < N && !st; f++) {
        const float *cls = src_data[0] + f * n, *reg = src_data[1] + f * 4 * n;
        for (size_t i = 0; i < n; i++) {
            s[i] = 1.0f / (1.0f + expf(-cls[(i % A) * hw + i / A]));
            idx[i] = i;
        }
        hv_det_sort_desc(idx, n, s, tmp);
        for (size_t j = 0; j < k && !st; j++) {
            const size_t i = idx[j], cell = i / A, a = i % A;
            const float sx = (float)(cell % W) * p->stride, sy = (float)(cell / W) * p->stride;
            const float *h = p->anchor_half[a];
            const hv_box anchor = {-h[0] + sx, -h[1] + sy, h[0] + sx, h[1] + sy};
            const float d[4] = {reg[(4 * a) * hw + cell], reg[(4 * a + 1) * hw + cell], reg[(4 * a + 2) * hw + cell],
                                reg[(4 * a + 3) * hw + cell]};
            hv_box b;
            st = hv_delta_decode(&coder, &anchor, d, 1, &b);
            float *row = out + (f * k + j) * HV_RPN_OP_ROW;
            const int valid = b.x2 - b.x1 > p->min_bbox_size && b.y2 - b.y1 > p->min_bbox_size;
            const float r[HV_RPN_OP_ROW] = {b.x1, b.y1, b.x2, b.y2, s[i], (float)i, valid ? 1.0f : 0.0f, 0.0f};
            memcpy(row, r, sizeof r);
        }
    }
    free(s); free(idx); free(tmp);
    return st;
}

typedef struct topk_push {
    float anchor_half[HV_RPN_OP_MAX_ANCHORS][2];
    uint32_t n, hw, w, a, k;
    float stride, img_h, img_w, min_size, max_ratio;
} topk_push;

static hv_status topk_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                             const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                             const hv_binding *dst_bind, const hv_binding *scratch) {
    (void)n_src;
    (void)scratch;
    const hv_rpn_topk_params *p = params;
    topk_push pc;
    memset(&pc, 0, sizeof pc);
    memcpy(pc.anchor_half, p->anchor_half, sizeof pc.anchor_half);
    pc.hw = (uint32_t)(src[0].dims[2] * src[0].dims[3]);
    pc.w = (uint32_t)src[0].dims[3];
    pc.a = (uint32_t)p->n_anchors;
    pc.n = pc.a * pc.hw;
    pc.k = (uint32_t)dst->dims[1];
    pc.stride = p->stride, pc.img_h = p->img_h, pc.img_w = p->img_w, pc.min_size = p->min_bbox_size;
    pc.max_ratio = (float)HV_DELTA_MAX_RATIO;
    hv_binding b[3] = {src_bind[0], src_bind[1], *dst_bind};
    return opsdcn_dispatch(cmd, dev, "rpn_topk", src[0].dtype, b, 3, &pc, sizeof pc, (uint32_t)src[0].dims[0], 1,
                           "rpn_level_topk");
}

const hv_op_def hv_op_rpn_level_topk = {
    .name = "rpn_level_topk",
    .param_size = sizeof(hv_rpn_topk_params),
    .min_src = 2,
    .max_src = 2,
    .infer = topk_infer,
    .ref = topk_ref,
    .record = topk_record,
};

/* ---- rpn_nms ------------------------------------------------------------------------------------------- */

static hv_status nms_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_rpn_nms_params *p = params;
    if (p->max_per_img < 1 || !(p->iou_thr >= 0.0f) || !isfinite(p->iou_thr))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "rpn_nms: max_per_img %d (≥ 1), iou_thr %g (≥ 0) out of range",
                        p->max_per_img, (double)p->iou_thr);
    if (n_src < 1 || n_src > HV_RPN_OP_MAX_LEVELS)
        return hv_error(HV_ERR_SHAPE, "rpn_nms: %u levels (1..%d)", n_src, HV_RPN_OP_MAX_LEVELS);
    for (uint32_t l = 0; l < n_src; l++)
        if (src[l].dtype != HV_F32 || src[l].rank != 3 || src[l].dims[0] != src[0].dims[0] || src[l].dims[1] < 1 ||
            src[l].dims[1] > HV_RPN_OP_MAX_PRE || src[l].dims[2] != HV_RPN_OP_ROW)
            return hv_error(HV_ERR_SHAPE, "rpn_nms: level %u is %s %s; needs f32 {%lld, 1..%d, %d} (rpn_level_topk)", l,
                            hv_dtype_name(src[l].dtype), opsdcn_shape(&src[l]), (long long)src[0].dims[0],
                            HV_RPN_OP_MAX_PRE, HV_RPN_OP_ROW);
    memset(dst, 0, sizeof *dst);
    dst->dtype = HV_F32;
    dst->layout = HV_LAYOUT_ANY;
    dst->rank = 3;
    dst->dims[0] = src[0].dims[0];
    dst->dims[1] = p->max_per_img;
    dst->dims[2] = HV_RPN_OP_ROW;
    return HV_OK;
}

static hv_status nms_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                         const hv_tensor_desc *dst, float *out) {
    (void)dst;
    const hv_rpn_nms_params *p = params;
    const size_t N = (size_t)src[0].dims[0], max = (size_t)p->max_per_img;
    size_t total = 0;
    for (uint32_t l = 0; l < n_src; l++) total += (size_t)src[l].dims[1];
    hv_box *boxes = malloc(total * sizeof *boxes);
    float *scores = malloc(total * sizeof *scores);
    int32_t *level = malloc(total * sizeof *level);
    const float **row = malloc(total * sizeof *row);
    size_t *keep = malloc(total * sizeof *keep);
    hv_status st = HV_OK;
    if (!boxes || !scores || !level || !row || !keep)
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "rpn_nms: %zu candidates", total);
    memset(out, 0, N * max * HV_RPN_OP_ROW * sizeof *out);
    for (size_t f = 0; f < N && !st; f++) {
        size_t v = 0; /* the valid candidates, level-major (hv_rpn_proposals' min_bbox_size filter) */
        for (uint32_t l = 0; l < n_src; l++)
            for (int64_t j = 0; j < src[l].dims[1]; j++) {
                const float *r = src_data[l] + (f * (size_t)src[l].dims[1] + (size_t)j) * HV_RPN_OP_ROW;
                if (r[6] == 0.0f) continue;
                boxes[v] = (hv_box){r[0], r[1], r[2], r[3]}, scores[v] = r[4], level[v] = (int32_t)l, row[v] = r;
                v++;
            }
        size_t nk = 0;
        st = hv_det_nms_first(boxes, scores, level, v, p->iou_thr, max, keep, &nk);
        for (size_t i = 0; i < nk && i < max && !st; i++) {
            const float *r = row[keep[i]];
            const float o[HV_RPN_OP_ROW] = {r[0], r[1], r[2], r[3], r[4], (float)level[keep[i]], r[5], 1.0f};
            memcpy(out + (f * max + i) * HV_RPN_OP_ROW, o, sizeof o);
        }
    }
    free(boxes); free(scores); free(level); free(row); free(keep);
    return st;
}

static uint64_t nms_scratch(const void *params, const hv_tensor_desc *src, uint32_t n_src, const hv_tensor_desc *dst) {
    (void)params;
    (void)dst;
    uint64_t total = 0;
    for (uint32_t l = 0; l < n_src; l++) total += (uint64_t)src[l].dims[1];
    return (uint64_t)src[0].dims[0] * total * 5 * sizeof(uint32_t); /* each frame's candidates in score order:
                                                                       * box, then (level, row) */
}

typedef struct nms_push {
    uint32_t levels, total, max_out;
    float iou_thr;
    uint32_t ks[HV_RPN_OP_MAX_LEVELS];
} nms_push;

static hv_status nms_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                            const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                            const hv_binding *dst_bind, const hv_binding *scratch) {
    const hv_rpn_nms_params *p = params;
    nms_push pc;
    memset(&pc, 0, sizeof pc);
    pc.levels = n_src, pc.max_out = (uint32_t)p->max_per_img, pc.iou_thr = p->iou_thr;
    hv_binding b[HV_RPN_OP_MAX_LEVELS + 2];
    for (uint32_t l = 0; l < HV_RPN_OP_MAX_LEVELS; l++) {
        b[l] = src_bind[l < n_src ? l : 0]; /* unused bindings repeat level 0; the shader never reads them */
        pc.ks[l] = l < n_src ? (uint32_t)src[l].dims[1] : 0;
        pc.total += pc.ks[l];
    }
    b[HV_RPN_OP_MAX_LEVELS] = *dst_bind;
    b[HV_RPN_OP_MAX_LEVELS + 1] = *scratch;
    return opsdcn_dispatch(cmd, dev, "rpn_nms", HV_F32, b, HV_RPN_OP_MAX_LEVELS + 2, &pc, sizeof pc,
                           (uint32_t)dst->dims[0], 1, "rpn_nms");
}

const hv_op_def hv_op_rpn_nms = {
    .name = "rpn_nms",
    .param_size = sizeof(hv_rpn_nms_params),
    .min_src = 1,
    .max_src = HV_RPN_OP_MAX_LEVELS,
    .infer = nms_infer,
    .ref = nms_ref,
    .scratch_bytes = nms_scratch,
    .record = nms_record,
};
