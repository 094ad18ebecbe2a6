/* Image preprocessing op (MODEL_SPEC §1): packed uint8 HWC → normalised, zero-padded float NCHW.
 * Semantics are documented with hv_preprocess_params in hemovk/ops_dcn.h. The keep-ratio resize runs on
 * the CPU before upload (preprocess_resize.c): frames are small (224², s = 1 in the paper's data) and
 * cv2's uint8 fixed-point rounding is easier to reproduce exactly in C. */
#include <math.h>
#include <string.h>

#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"

int64_t hv_preprocess_packed_words(int32_t h, int32_t w) { return ((int64_t)h * w * 3 + 3) / 4; }

void hv_preprocess_pack(const uint8_t *src, int32_t n, int32_t h, int32_t w, uint32_t *dst) {
    const int64_t bytes = (int64_t)h * w * 3, words = hv_preprocess_packed_words(h, w);
    for (int32_t i = 0; i < n; ++i) {
        uint32_t *d = dst + i * words;
        const uint8_t *s = src + i * bytes;
        for (int64_t k = 0; k < words; ++k) {
            uint32_t v = 0;
            for (int b = 0; b < 4; ++b) {
                const int64_t idx = k * 4 + b;
                if (idx < bytes) v |= (uint32_t)s[idx] << (8 * b);
            }
            d[k] = v;
        }
    }
}

/** Output size with the 0-means-image-size rule. */
static void pre_out_size(const hv_preprocess_params *p, int64_t *oh, int64_t *ow) {
    *oh = p->out_h == 0 ? p->in_h : p->out_h;
    *ow = p->out_w == 0 ? p->in_w : p->out_w;
}

static hv_status pre_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_preprocess_params *p = params;
    if (n_src != 1) return hv_error(HV_ERR_SHAPE, "preprocess: needs 1 input (packed uint8 frames), got %u", n_src);
    if (p->in_h < 1 || p->in_w < 1)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "preprocess: image size %dx%d must be positive", p->in_w, p->in_h);
    int64_t oh, ow;
    pre_out_size(p, &oh, &ow);
    if (oh < p->in_h || ow < p->in_w)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "preprocess: output %lldx%lld is smaller than the image %dx%d (it only "
                        "pads; resize on the CPU with hv_preprocess_resize_u8 first)", (long long)ow, (long long)oh,
                        p->in_w, p->in_h);
    if (p->out_dtype != HV_F32 && p->out_dtype != HV_F16)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "preprocess: out_dtype must be HV_F32 or HV_F16");
    for (int c = 0; c < 3; ++c)
        if (!isfinite(p->mean[c]) || !isfinite(p->inv_std[c]))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "preprocess: mean[%d] and inv_std[%d] must be finite", c, c);
    const int64_t words = hv_preprocess_packed_words(p->in_h, p->in_w);
    if (src[0].rank != 2 || src[0].dtype != HV_F32 || src[0].dims[1] != words || src[0].dims[0] < 1)
        return hv_error(HV_ERR_SHAPE, "preprocess: input must be [N, %lld] 32-bit words (a %dx%dx3 uint8 frame packed "
                        "by hv_preprocess_pack), got %s %s", (long long)words, p->in_h, p->in_w,
                        hv_dtype_name(src[0].dtype), opsdcn_shape(&src[0]));
    memset(dst, 0, sizeof *dst);
    dst->dtype = p->out_dtype;
    dst->layout = HV_LAYOUT_NCHW;
    dst->rank = 4;
    dst->dims[0] = src[0].dims[0];
    dst->dims[1] = 3;
    dst->dims[2] = oh;
    dst->dims[3] = ow;
    return HV_OK;
}

static float pre_inv_std(const hv_preprocess_params *p, int c) { return p->inv_std[c] == 0.0f ? 1.0f : p->inv_std[c]; }

static hv_status pre_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                         const hv_tensor_desc *dst, float *dst_data) {
    (void)dst;
    const hv_preprocess_params *p = params;
    hv_tensor_desc out;
    hv_status st = pre_infer(params, src, n_src, &out);
    if (st) return st;
    const int64_t words = src[0].dims[1], N = out.dims[0], oh = out.dims[2], ow = out.dims[3];
    for (int64_t n = 0; n < N; ++n)
        for (int c = 0; c < 3; ++c) {
            const int cin = p->swap_rb ? 2 - c : c;
            /* mmcv: cv2.subtract(img, mean) then cv2.multiply(·, 1/std), both with f64 operands. */
            const double mean = p->mean[c], inv = pre_inv_std(p, c);
            for (int64_t y = 0; y < oh; ++y)
                for (int64_t x = 0; x < ow; ++x) {
                    float v = 0.0f;
                    if (y < p->in_h && x < p->in_w) {
                        const int64_t bi = (y * p->in_w + x) * 3 + cin;
                        uint32_t word;
                        memcpy(&word, &src_data[0][n * words + bi / 4], sizeof word); /* raw bits, not a float */
                        const double raw = (double)((word >> (8 * (bi % 4))) & 0xFFu);
                        v = (float)((double)(float)(raw - mean) * inv);
                    }
                    dst_data[((n * 3 + c) * oh + y) * ow + x] = v;
                }
        }
    return HV_OK;
}

/** Push constants of shaders/preprocess.comp (same order). */
typedef struct pre_push {
    float mean[4], inv_std[4];
    uint32_t n, in_h, in_w, out_h, out_w, words, swap_rb;
} pre_push;

static hv_status pre_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                            const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                            const hv_binding *dst_bind, const hv_binding *scratch) {
    (void)scratch;
    (void)n_src;
    const hv_preprocess_params *p = params;
    pre_push pc;
    memset(&pc, 0, sizeof pc);
    for (int c = 0; c < 3; ++c) {
        pc.mean[c] = p->mean[c];
        pc.inv_std[c] = pre_inv_std(p, c);
    }
    pc.n = (uint32_t)dst->dims[0];
    pc.in_h = (uint32_t)p->in_h;
    pc.in_w = (uint32_t)p->in_w;
    pc.out_h = (uint32_t)dst->dims[2];
    pc.out_w = (uint32_t)dst->dims[3];
    pc.words = (uint32_t)src[0].dims[1];
    pc.swap_rb = p->swap_rb ? 1u : 0u;
    uint32_t gx, gy;
    hv_status st = opsdcn_grid1d("preprocess", (uint64_t)hv_desc_numel(dst), &gx, &gy);
    if (st) return st;
    const hv_binding b[2] = {src_bind[0], dst_bind[0]};
    return opsdcn_dispatch(cmd, dev, "preprocess", dst->dtype, b, 2, &pc, sizeof pc, gx, gy, "preprocess");
}

const hv_op_def hv_op_preprocess = {
    .name = "preprocess",
    .param_size = sizeof(hv_preprocess_params),
    .min_src = 1,
    .max_src = 1,
    .infer = pre_infer,
    .ref = pre_ref,
    .scratch_bytes = NULL,
    .record = pre_record,
};
