/* conv2d on NCHW: shape checking with TF-"SAME" resolution, CPU reference, and the per-shape choice
 * between four Vulkan kernels (direct, pointwise GEMM, implicit GEMM, depthwise). See ops_conv.h. */
#include <math.h>
#include <string.h>

#include "hemovk/ops_conv.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

static int32_t one_if_zero(int32_t v) { return v == 0 ? 1 : v; }

/* Push constants shared by conv2d_direct, conv2d_1x1, conv2d_igemm and dwconv (64 bytes). */
typedef struct conv_push {
    uint32_t n, c, h, w, k, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, groups;
} conv_push;

static int64_t tf_same_pad(int64_t in, int64_t k_eff, int64_t s, int64_t *before) {
    int64_t o = (in + s - 1) / s;
    int64_t p = (o - 1) * s + k_eff - in;
    if (p < 0) p = 0;
    *before = p / 2;
    return p - p / 2;
}

static bool is_pointwise(const hv_conv2d_geom *g) {
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pb == 0 && g->pl == 0 &&
           g->pr == 0 && g->groups == 1;
}

static bool is_depthwise(const hv_conv2d_geom *g) { return g->groups == g->c_in && g->groups == g->c_out; }

hv_status hv_conv2d_resolve(const hv_conv2d_params *p, const hv_tensor_desc *x, const hv_tensor_desc *w,
                            hv_conv2d_geom *g) {
    memset(g, 0, sizeof *g);
    if (x->rank != 4 || x->layout == HV_LAYOUT_NHWC)
        return hv_error(HV_ERR_SHAPE, "conv2d: input must be a rank-4 NCHW tensor, got %s%s", opsconv_shape(x),
                        x->layout == HV_LAYOUT_NHWC ? " (NHWC: permute it first)" : "");
    if (w->rank != 4)
        return hv_error(HV_ERR_SHAPE, "conv2d: weight must be {C_out, C_in/groups, KH, KW}, got %s", opsconv_shape(w));
    g->n = x->dims[0], g->c_in = x->dims[1], g->h = x->dims[2], g->w = x->dims[3];
    g->c_out = w->dims[0], g->kh = w->dims[2], g->kw = w->dims[3];
    g->sh = one_if_zero(p->stride_h), g->sw = one_if_zero(p->stride_w);
    g->dh = one_if_zero(p->dilation_h), g->dw = one_if_zero(p->dilation_w);
    g->groups = one_if_zero(p->groups);
    if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->groups < 1)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "conv2d: stride %dx%d, dilation %dx%d and groups %d must be >= 1",
                        g->sh, g->sw, g->dh, g->dw, g->groups);
    if (g->n < 1 || g->c_in < 1 || g->h < 1 || g->w < 1 || g->c_out < 1 || g->kh < 1 || g->kw < 1)
        return hv_error(HV_ERR_SHAPE, "conv2d: empty input %s or weight %s", opsconv_shape(x), opsconv_shape(w));
    if (g->c_in % g->groups || g->c_out % g->groups || w->dims[1] != g->c_in / g->groups)
        return hv_error(HV_ERR_SHAPE,
                        "conv2d: input %s and weight %s do not fit groups=%d (need C_in and C_out divisible by "
                        "groups and weight dim 1 == C_in/groups = %lld)",
                        opsconv_shape(x), opsconv_shape(w), g->groups, (long long)(g->c_in / g->groups));
    int64_t keh = (g->kh - 1) * g->dh + 1, kew = (g->kw - 1) * g->dw + 1;
    if (p->same_tf) {
        int64_t pt, pl;
        int64_t pb = tf_same_pad(g->h, keh, g->sh, &pt), pr = tf_same_pad(g->w, kew, g->sw, &pl);
        g->pt = (int32_t)pt, g->pb = (int32_t)pb, g->pl = (int32_t)pl, g->pr = (int32_t)pr;
    } else {
        g->pt = p->pad_top, g->pb = p->pad_bottom, g->pl = p->pad_left, g->pr = p->pad_right;
        if (g->pt < 0 || g->pb < 0 || g->pl < 0 || g->pr < 0)
            return hv_error(HV_ERR_INVALID_ARGUMENT, "conv2d: negative padding (%d,%d,%d,%d) (top,bottom,left,right)",
                            g->pt, g->pb, g->pl, g->pr);
    }
    int64_t ih = g->h + g->pt + g->pb, iw = g->w + g->pl + g->pr;
    if (ih < keh || iw < kew)
        return hv_error(HV_ERR_SHAPE,
                        "conv2d: kernel %lldx%lld (dilated %lldx%lld) is larger than the padded input %lldx%lld "
                        "(input %s, pads t%d b%d l%d r%d)",
                        (long long)g->kh, (long long)g->kw, (long long)keh, (long long)kew, (long long)ih,
                        (long long)iw, opsconv_shape(x), g->pt, g->pb, g->pl, g->pr);
    g->oh = (ih - keh) / g->sh + 1;
    g->ow = (iw - kew) / g->sw + 1;
    if (g->n * g->c_out * g->oh * g->ow > (int64_t)UINT32_MAX || g->n * g->c_in * g->h * g->w > (int64_t)UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "conv2d: input %s is too large for 32-bit indexing; split the batch",
                        opsconv_shape(x));
    hv_conv_algo a = p->algo;
    if (a == HV_CONV_ALGO_AUTO)
        a = is_pointwise(g) ? HV_CONV_ALGO_POINTWISE : is_depthwise(g) ? HV_CONV_ALGO_DEPTHWISE
                                                                       : HV_CONV_ALGO_IMPLICIT_GEMM;
    if (a == HV_CONV_ALGO_POINTWISE && !is_pointwise(g))
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "conv2d: algo POINTWISE needs a 1x1 kernel, stride 1, no padding and groups 1 (weight %s)",
                        opsconv_shape(w));
    if (a == HV_CONV_ALGO_DEPTHWISE && !is_depthwise(g))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "conv2d: algo DEPTHWISE needs groups == C_in == C_out (input %s, "
                        "weight %s, groups %d)", opsconv_shape(x), opsconv_shape(w), g->groups);
    if (a < HV_CONV_ALGO_DIRECT || a > HV_CONV_ALGO_DEPTHWISE)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "conv2d: unknown algo %d", (int)a);
    g->algo = a;
    return HV_OK;
}

static hv_status conv2d_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_conv2d_params *p = params;
    uint32_t want = 2u + (p->has_bias ? 1u : 0u) + (p->has_residual ? 1u : 0u);
    if (n_src != want)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "conv2d: got %u inputs, expected %u (x, w%s%s)", (unsigned)n_src,
                        (unsigned)want, p->has_bias ? ", bias" : "", p->has_residual ? ", residual" : "");
    if (p->act < HV_ACT_NONE || p->act > HV_ACT_SIGMOID)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "conv2d: unknown fused activation %d", (int)p->act);
    hv_conv2d_geom g;
    hv_status st = hv_conv2d_resolve(p, &src[0], &src[1], &g);
    if (st) return st;
    if ((st = opsconv_same_dtype("conv2d", src, n_src))) return st;
    if (p->has_bias && hv_desc_numel(&src[2]) != g.c_out)
        return hv_error(HV_ERR_SHAPE, "conv2d: bias %s must have C_out = %lld elements", opsconv_shape(&src[2]),
                        (long long)g.c_out);
    *dst = (hv_tensor_desc){.dtype = src[0].dtype, .layout = HV_LAYOUT_NCHW, .rank = 4,
                            .dims = {g.n, g.c_out, g.oh, g.ow}};
    if (p->has_residual) {
        const hv_tensor_desc *r = &src[n_src - 1];
        if (r->rank != 4 || memcmp(r->dims, dst->dims, sizeof dst->dims) != 0)
            return hv_error(HV_ERR_SHAPE, "conv2d: residual %s must match the output %s", opsconv_shape(r),
                            opsconv_shape(dst));
    }
    return HV_OK;
}

double hv_opsconv_act(hv_activation act, double v) {
    switch (act) {
    case HV_ACT_RELU: return v > 0 ? v : 0;
    case HV_ACT_SILU: return v / (1.0 + exp(-v));
    case HV_ACT_GELU: return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    case HV_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    default: return v;
    }
}

static hv_status conv2d_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data,
                            uint32_t n_src, const hv_tensor_desc *dst, float *y) {
    const hv_conv2d_params *p = params;
    hv_conv2d_geom g;
    hv_status st = hv_conv2d_resolve(p, &src[0], &src[1], &g);
    if (st) return st;
    const float *x = src_data[0], *w = src_data[1];
    const float *b = p->has_bias ? src_data[2] : NULL;
    const float *r = p->has_residual ? src_data[n_src - 1] : NULL;
    int64_t cg = g.c_in / g.groups, kg = g.c_out / g.groups;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t o = 0; o < g.c_out; o++) {
            int64_t grp = o / kg;
            for (int64_t oy = 0; oy < g.oh; oy++)
                for (int64_t ox = 0; ox < g.ow; ox++) {
                    double acc = b ? b[o] : 0.0;
                    for (int64_t c = 0; c < cg; c++) {
                        const float *xc = x + ((n * g.c_in + grp * cg + c) * g.h) * g.w;
                        const float *wc = w + ((o * cg + c) * g.kh) * g.kw;
                        for (int64_t ky = 0; ky < g.kh; ky++) {
                            int64_t iy = oy * g.sh - g.pt + ky * g.dh;
                            if (iy < 0 || iy >= g.h) continue;
                            for (int64_t kx = 0; kx < g.kw; kx++) {
                                int64_t ix = ox * g.sw - g.pl + kx * g.dw;
                                if (ix < 0 || ix >= g.w) continue;
                                acc += (double)xc[iy * g.w + ix] * (double)wc[ky * g.kw + kx];
                            }
                        }
                    }
                    int64_t i = ((n * g.c_out + o) * g.oh + oy) * g.ow + ox;
                    double v = hv_opsconv_act(p->act, acc);
                    if (r) v += r[i];
                    y[i] = (float)v;
                }
        }
    (void)dst;
    return HV_OK;
}

/* Register tile of conv2d_1x1_cpu / conv2d_igemm_cpu (shaders/include/conv2d_gemm_cpu_body.glsl):
 * TM channels × TP pixels per invocation, 64 invocations per workgroup. */
#define CONV_CPU_TM 16u
#define CONV_CPU_TP 16u

/* dwconv_cpu.comp: TX output pixels per invocation share one input segment of
 * (TX−1)·SW + (KW−1)·DW + 1 values held in registers (at most DWCONV_CPU_SEG_MAX). */
#define DWCONV_CPU_SEG_MAX 32
#define DWCONV_CPU_LOCAL 64u

/* TX for dwconv_cpu (16 or 8, whichever pads the output row less, 16 on a tie), or 0 when even 8
 * pixels need a segment past DWCONV_CPU_SEG_MAX (then the generic dwconv.comp runs). */
static uint32_t dwconv_cpu_tx(const hv_conv2d_geom *g) {
    int64_t halo = (g->kw - 1) * g->dw + 1;
    bool fits16 = 15 * g->sw + halo <= DWCONV_CPU_SEG_MAX, fits8 = 7 * g->sw + halo <= DWCONV_CPU_SEG_MAX;
    int64_t pad16 = (g->ow + 15) / 16 * 16, pad8 = (g->ow + 7) / 8 * 8;
    if (fits16 && pad16 <= pad8) return 16;
    return fits8 ? 8 : fits16 ? 16 : 0;
}

/* Lanes of the 64-invocation CPU workgroup along the pixels (spec constant LANES_P; the other
 * 64 / LANES_P go along the channels), chosen by opsconv_cpu_lanes. LANES_P < 8 is charged 25 % more:
 * then one 8-lane SIMD step spans several weight rows, measured 40 % slower on a 1×1 conv (80→480
 * channels, 28×28) for 7 % less padded work. */
static uint32_t conv_cpu_lanes_p(uint64_t pixels, uint64_t channels) {
    return opsconv_cpu_lanes(pixels, CONV_CPU_TP, channels, CONV_CPU_TM, true);
}

static hv_status conv2d_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                               const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                               const hv_binding *dst_bind, const hv_binding *scratch) {
    const hv_conv2d_params *p = params;
    hv_conv2d_geom g;
    hv_status st = hv_conv2d_resolve(p, &src[0], &src[1], &g);
    if (st) return st;
    hv_binding binds[5] = {src_bind[0], src_bind[1],
                           p->has_bias ? src_bind[2] : src_bind[0],
                           p->has_residual ? src_bind[n_src - 1] : src_bind[0], *dst_bind};
    conv_push pc = {(uint32_t)g.n, (uint32_t)g.c_in, (uint32_t)g.h, (uint32_t)g.w, (uint32_t)g.c_out,
                    (uint32_t)g.oh, (uint32_t)g.ow, (uint32_t)g.kh, (uint32_t)g.kw, (uint32_t)g.sh,
                    (uint32_t)g.sw, (uint32_t)g.dh, (uint32_t)g.dw, (uint32_t)g.pt, (uint32_t)g.pl,
                    (uint32_t)g.groups};
    /* spec[3..]: LANES_P (conv2d_*_cpu); TILE and the workgroup size (TILE/4)² (conv2d_1x1, conv2d_igemm:
     * shaders/include/conv2d_gemm_body.glsl); KW, SW, DW, TX (dwconv_cpu). */
    uint32_t spec[7] = {(uint32_t)p->act, p->has_bias ? 1u : 0u, p->has_residual ? 1u : 0u, 8u, 1u, 1u, 8u},
             n_spec = 3;
    uint32_t gx, gy, gz = 1;
    const char *stem;
    switch (g.algo) {
    case HV_CONV_ALGO_POINTWISE:
    case HV_CONV_ALGO_IMPLICIT_GEMM: {
        bool cpu = opsconv_cpu_kernels(dev);
        uint64_t pixels = (uint64_t)g.oh * (uint64_t)g.ow, kg = (uint64_t)(g.c_out / g.groups);
        uint32_t lanes_p = conv_cpu_lanes_p(pixels, kg);
        if (g.algo == HV_CONV_ALGO_POINTWISE) stem = cpu ? "conv2d_1x1_cpu" : "conv2d_1x1";
        else stem = cpu ? "conv2d_igemm_cpu" : "conv2d_igemm";
        /* the GEMM is kg × pixels in each of N·G workgroup layers */
        uint32_t tile = cpu ? 0 : opsconv_gemm_tile(hv_device_get_info(dev), kg, pixels * (uint64_t)g.n * g.groups);
        spec[3] = cpu ? lanes_p : tile, spec[4] = (tile / 4u) * (tile / 4u);
        n_spec = cpu ? 4 : 5;
        uint64_t tile_m = cpu ? (64u / lanes_p) * CONV_CPU_TM : tile;
        uint64_t tile_p = cpu ? lanes_p * CONV_CPU_TP : tile;
        uint64_t x_groups = (pixels + tile_p - 1) / tile_p, y_groups = (kg + tile_m - 1) / tile_m;
        uint64_t z_groups = (uint64_t)g.n * (uint64_t)g.groups;
        if (x_groups > 65535 || y_groups > 65535 || z_groups > 65535)
            return hv_error(HV_ERR_UNSUPPORTED, "conv2d: output %s needs a %llux%llux%llu grid (max 65535 each)",
                            opsconv_shape(dst), (unsigned long long)x_groups, (unsigned long long)y_groups,
                            (unsigned long long)z_groups);
        gx = (uint32_t)x_groups, gy = (uint32_t)y_groups, gz = (uint32_t)z_groups;
        break;
    }
    case HV_CONV_ALGO_DEPTHWISE:
        if (opsconv_cpu_kernels(dev) && (spec[6] = dwconv_cpu_tx(&g)) != 0) {
            spec[3] = (uint32_t)g.kw, spec[4] = (uint32_t)g.sw, spec[5] = (uint32_t)g.dw;
            n_spec = 7;
            stem = "dwconv_cpu";
            uint64_t xblocks = (uint64_t)(g.ow + spec[6] - 1) / spec[6];
            uint64_t inv = (uint64_t)g.n * (uint64_t)g.c_out * (uint64_t)g.oh * xblocks;
            uint64_t groups = (inv + DWCONV_CPU_LOCAL - 1) / DWCONV_CPU_LOCAL;
            gx = (uint32_t)(groups < 65535 ? groups : 65535);
            uint64_t y = (groups + gx - 1) / gx;
            if (y > 65535)
                return hv_error(HV_ERR_UNSUPPORTED, "conv2d: output %s needs too many workgroups; split the batch",
                                opsconv_shape(dst));
            gy = (uint32_t)y;
            break;
        }
        stem = "dwconv"; /* the generic kernel (GPUs, or a segment too wide for dwconv_cpu) */
        if ((st = opsconv_grid1d("conv2d", (uint64_t)hv_desc_numel(dst), &gx, &gy))) return st;
        break;
    case HV_CONV_ALGO_DIRECT:
    default:
        stem = "conv2d_direct";
        if ((st = opsconv_grid1d("conv2d", (uint64_t)hv_desc_numel(dst), &gx, &gy))) return st;
        break;
    }
    (void)scratch;
    return opsconv_dispatch(cmd, dev, stem, src[0].dtype, binds, 5, &pc, sizeof pc, spec, n_spec, gx, gy, gz,
                            "conv2d");
}

/* Fusion hooks (graph/op.h): the planner folds a following activation or residual add into the conv. */
static int conv2d_fuse_activation(void *params, int act) {
    hv_conv2d_params *p = params;
    if (p->act != HV_ACT_NONE || p->has_residual) return 0;
    p->act = (hv_activation)act;
    return 1;
}

static int conv2d_fuse_residual(void *params) {
    hv_conv2d_params *p = params;
    if (p->has_residual) return 0;
    p->has_residual = true;
    return 1;
}

const hv_op_def hv_op_conv2d = {
    .name = "conv2d",
    .param_size = sizeof(hv_conv2d_params),
    .min_src = 2,
    .max_src = 4,
    .infer = conv2d_infer,
    .ref = conv2d_ref,
    .scratch_bytes = NULL,
    .record = conv2d_record,
    .fuse_activation = conv2d_fuse_activation,
    .fuse_residual = conv2d_fuse_residual,
};
