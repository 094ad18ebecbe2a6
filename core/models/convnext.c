/* core/models/convnext.c — mmcls/mmpretrain ConvNeXt as a graph (MODEL_SPEC §3), NCHW throughout.
 * A block is dwconv7×7 → LayerNorm over C → Linear(C→4C) + GELU → Linear(4C→C) → ·γ → + x. On NCHW data
 * the two Linears are 1×1 convs (the pointwise GEMM kernel); γ is folded into the second one's weight
 * rows and bias, and the residual add is fused into it, so a block is four ops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model_ops.h"

static const struct {
    const char *name;
    int32_t depths[4], dims[4];
} ARCHS[] = {
    {"tiny", {3, 3, 9, 3}, {96, 192, 384, 768}},
    {"small", {3, 3, 27, 3}, {96, 192, 384, 768}},
    {"base", {3, 3, 27, 3}, {128, 256, 512, 1024}},
    {"large", {3, 3, 27, 3}, {192, 384, 768, 1536}},
};

static hv_tensor *ln2d(hv_mb *m, hv_tensor *x, int64_t c, float eps, const char *mod) {
    int64_t d[1] = {c};
    char name[256];
    snprintf(name, sizeof name, "%s%s", m->prefix, mod);
    hv_tensor *w = hv_mb_param(m, 1, d, "%s.weight", mod);
    hv_tensor *b = hv_mb_param(m, 1, d, "%s.bias", mod);
    return hv_mo_layer_norm(m->g, x, w, b, 1, eps, name);
}

static hv_tensor *conv_bias(hv_mb *m, hv_tensor *x, const char *mod, int64_t cin, int64_t cout, int k, int stride,
                            int pad, int groups) {
    int64_t wd[4] = {cout, cin / groups, k, k}, bd[1] = {cout};
    char name[256];
    snprintf(name, sizeof name, "%s%s", m->prefix, mod);
    hv_tensor *w = hv_mb_param(m, 4, wd, "%s.weight", mod);
    hv_tensor *b = hv_mb_param(m, 1, bd, "%s.bias", mod);
    hv_conv2d_params p = {.stride_h = stride, .stride_w = stride, .groups = groups,
                          .pad_top = pad, .pad_bottom = pad, .pad_left = pad, .pad_right = pad};
    return hv_mo_conv(m->g, x, w, b, NULL, p, name);
}

static hv_tensor *block(hv_mb *m, hv_tensor *x, int stage, int j, int64_t c, float eps, bool layer_scale) {
    char mod[96], name[256];
    snprintf(mod, sizeof mod, "stages.%d.%d.depthwise_conv", stage, j);
    hv_tensor *y = conv_bias(m, x, mod, c, c, 7, 1, 3, (int)c);
    snprintf(mod, sizeof mod, "stages.%d.%d.norm", stage, j);
    y = ln2d(m, y, c, eps, mod);

    int64_t w1d[2] = {4 * c, c}, b1d[1] = {4 * c}, w2d[2] = {c, 4 * c}, b2d[1] = {c};
    float *w1 = hv_mb_read(m, 2, w1d, "stages.%d.%d.pointwise_conv1.weight", stage, j);
    float *b1 = hv_mb_read(m, 1, b1d, "stages.%d.%d.pointwise_conv1.bias", stage, j);
    float *w2 = hv_mb_read(m, 2, w2d, "stages.%d.%d.pointwise_conv2.weight", stage, j);
    float *b2 = hv_mb_read(m, 1, b2d, "stages.%d.%d.pointwise_conv2.bias", stage, j);
    float *gamma = layer_scale ? hv_mb_read(m, 1, b2d, "stages.%d.%d.gamma", stage, j) : NULL;
    hv_tensor *out = NULL;
    if (w1 && b1 && w2 && b2 && (gamma || !layer_scale)) {
        if (gamma)
            for (int64_t o = 0; o < c; o++) {
                for (int64_t i = 0; i < 4 * c; i++) w2[o * 4 * c + i] *= gamma[o];
                b2[o] *= gamma[o];
            }
        int64_t cw1[4] = {4 * c, c, 1, 1}, cw2[4] = {c, 4 * c, 1, 1};
        snprintf(name, sizeof name, "%sstages.%d.%d.pointwise_conv1", m->prefix, stage, j);
        hv_tensor *tw1 = hv_mb_const(m, name, 4, cw1, w1), *tb1 = hv_mb_const(m, name, 1, b1d, b1);
        y = hv_mo_conv(m->g, y, tw1, tb1, NULL, (hv_conv2d_params){.act = HV_ACT_GELU}, name);
        snprintf(name, sizeof name, "%sstages.%d.%d.pointwise_conv2(·gamma)", m->prefix, stage, j);
        hv_tensor *tw2 = hv_mb_const(m, name, 4, cw2, w2), *tb2 = hv_mb_const(m, name, 1, b2d, b2);
        out = hv_mo_conv(m->g, y, tw2, tb2, x, (hv_conv2d_params){0}, name);
    }
    free(w1), free(b1), free(w2), free(b2), free(gamma);
    return out;
}

static hv_status resolve(hv_graph *g, const hv_convnext_params *p, int32_t *depths, int32_t *dims) {
    const char *arch = p->arch ? p->arch : "tiny";
    size_t i = 0;
    for (; i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (!strcmp(ARCHS[i].name, arch)) break;
    if (i == sizeof ARCHS / sizeof ARCHS[0])
        return hv_mb_fail(g, HV_ERR_INVALID_ARGUMENT,
                             "convnext: unknown arch '%s' (expected tiny, small, base, large, or depths+dims)", arch);
    memcpy(depths, ARCHS[i].depths, sizeof ARCHS[i].depths);
    memcpy(dims, ARCHS[i].dims, sizeof ARCHS[i].dims);
    bool custom_depths = true, custom_dims = true;
    for (int s = 0; s < 4; s++) {
        custom_depths &= p->depths[s] > 0;
        custom_dims &= p->dims[s] > 0;
    }
    if (custom_depths) memcpy(depths, p->depths, sizeof p->depths);
    if (custom_dims) memcpy(dims, p->dims, sizeof p->dims);
    if (p->ln_eps < 0 || p->downsample_eps < 0)
        return hv_mb_fail(g, HV_ERR_INVALID_ARGUMENT, "convnext: negative LayerNorm eps");
    return HV_OK;
}

hv_status hv_convnext_build(hv_graph *g, hv_tensor *x, const hv_weights *w, const hv_convnext_params *p,
                            hv_backbone_outputs *out) {
    static const hv_convnext_params defaults = {0};
    if (!g || !w || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_convnext_build: NULL graph, weights or out");
    memset(out, 0, sizeof *out);
    if (!p) p = &defaults;
    if (hv_graph_status(g)) return hv_graph_status(g);
    if (!x) return hv_mb_fail(g, HV_ERR_INVALID_ARGUMENT, "hv_convnext_build: NULL input");
    int32_t depths[4], dims[4];
    if (resolve(g, p, depths, dims)) return hv_graph_status(g);
    float eps = p->ln_eps > 0 ? p->ln_eps : 1e-6f, ds_eps = p->downsample_eps > 0 ? p->downsample_eps : 1e-5f;
    static const int32_t def_out[4] = {0, 1, 2, 3};
    uint32_t n_out;
    int32_t out_idx[HV_BACKBONE_MAX_OUTS];
    hv_status st = hv_mb_out_indices("convnext", p->num_out, p->out_indices, 4, def_out, 4, &n_out, out_idx);
    if (st) return hv_mb_fail(g, st, "%s", hv_last_error());
    hv_mb m = {.g = g, .w = w, .prefix = p->prefix ? p->prefix : "backbone.", .dtype = hv_tensor_get_desc(x)->dtype};
    bool norms = p->out_norms == HV_CONVNEXT_OUT_NORMS_ON ||
                 (p->out_norms == HV_CONVNEXT_OUT_NORMS_AUTO && hv_mb_has(&m, "norm0.weight"));
    bool layer_scale = hv_mb_has(&m, "stages.0.0.gamma");

    hv_tensor *y = conv_bias(&m, x, "downsample_layers.0.0", 3, dims[0], 4, 4, 0, 1);
    y = ln2d(&m, y, dims[0], eps, "downsample_layers.0.1");
    int32_t stride = 4, feat_stride[4];
    hv_tensor *feat[4] = {0};
    char mod[64];
    for (int s = 0; s < 4; s++) {
        if (s > 0) {
            snprintf(mod, sizeof mod, "downsample_layers.%d.0", s);
            y = ln2d(&m, y, dims[s - 1], ds_eps, mod);
            snprintf(mod, sizeof mod, "downsample_layers.%d.1", s);
            y = conv_bias(&m, y, mod, dims[s - 1], dims[s], 2, 2, 0, 1);
            stride *= 2;
        }
        for (int j = 0; j < depths[s]; j++) y = block(&m, y, s, j, dims[s], eps, layer_scale);
        feat[s] = y;
        feat_stride[s] = stride;
        if (norms && hv_mb_is_out(out_idx, n_out, s)) {
            /* the FPN gets norm{s}(x); the un-normalised x goes on into the next downsample */
            snprintf(mod, sizeof mod, "norm%d", s);
            feat[s] = ln2d(&m, y, dims[s], eps, mod);
        }
    }
    for (uint32_t i = 0; i < n_out; i++)
        hv_mb_add_out(&m, out, feat[out_idx[i]], out_idx[i], dims[out_idx[i]], feat_stride[out_idx[i]]);
    out->last = y;
    out->last_channels = dims[3];
    return hv_graph_status(g);
}
