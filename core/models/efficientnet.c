/* core/models/efficientnet.c — mmpretrain EfficientNet as a graph (MODEL_SPEC §2): every ConvModule is
 * one conv2d with its BatchNorm folded in at build time and Swish fused; MBConv's projection conv takes
 * the block input as a fused residual; squeeze-excitation is GAP → 1×1 conv + Swish → 1×1 conv +
 * sigmoid → broadcast multiply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model_ops.h"

hv_status hv_effnet_resolve(const hv_efficientnet_params *p, double *width, double *depth, float *eps,
                            uint32_t *num_out, int32_t *out_idx, const char **prefix) {
    static const hv_efficientnet_params defaults = {0};
    if (!p) p = &defaults;
    hv_status st = hv_effnet_arch_scale(p->arch ? p->arch : "b0", width, depth);
    if (st) return st;
    if (p->width > 0) *width = p->width;
    if (p->depth > 0) *depth = p->depth;
    if (p->width < 0 || p->depth < 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "efficientnet: width %g / depth %g must be > 0 (0 = arch default)",
                        p->width, p->depth);
    if (p->bn_eps < 0) return hv_error(HV_ERR_INVALID_ARGUMENT, "efficientnet: bn_eps %g < 0", (double)p->bn_eps);
    *eps = p->bn_eps > 0 ? p->bn_eps : 1e-3f;
    if (p->padding != HV_EFFNET_PAD_TF_SAME && p->padding != HV_EFFNET_PAD_SYMMETRIC)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "efficientnet: unknown padding mode %d", (int)p->padding);
    static const int32_t def_out[1] = {6};
    st = hv_mb_out_indices("efficientnet", p->num_out, p->out_indices, 7, def_out, 1, num_out, out_idx);
    if (st) return st;
    *prefix = p->prefix ? p->prefix : "backbone.";
    return HV_OK;
}

/* conv (no bias) + BN folded + activation [+ residual], the weights under `mod`.{conv,bn}. */
static hv_tensor *conv_bn(hv_mb *m, hv_tensor *x, const char *mod, int cin, int cout, int k, int stride, int groups,
                          hv_activation act, hv_tensor *residual, hv_effnet_padding pad, float eps) {
    if (hv_graph_status(m->g)) return NULL;
    int64_t wd[4] = {cout, cin / groups, k, k}, cd[1] = {cout};
    hv_conv2d_params cp = {.stride_h = stride, .stride_w = stride, .groups = groups, .act = act};
    if (pad == HV_EFFNET_PAD_TF_SAME) cp.same_tf = true;
    else cp.pad_top = cp.pad_bottom = cp.pad_left = cp.pad_right = k / 2;
    char name[384];
    if (m->calib) { /* BN recalibration: unfolded, train-mode BN */
        hv_tensor *wt = hv_mb_param(m, 4, wd, "%s.conv.weight", mod);
        cp.act = HV_ACT_NONE;
        return hv_effnet_calib_conv_bn(m, m->calib, x, mod, wt, &cp, cout, act, residual, eps);
    }
    float *w = hv_mb_read(m, 4, wd, "%s.conv.weight", mod);
    float *gamma = hv_mb_read(m, 1, cd, "%s.bn.weight", mod);
    float *beta = hv_mb_read(m, 1, cd, "%s.bn.bias", mod);
    float *mean = hv_mb_read(m, 1, cd, "%s.bn.running_mean", mod);
    float *var = hv_mb_read(m, 1, cd, "%s.bn.running_var", mod);
    float *b = malloc((size_t)cout * sizeof(float));
    hv_tensor *y = NULL;
    if (w && gamma && beta && mean && var && b) {
        hv_status st = hv_fold_batchnorm(w, NULL, gamma, beta, mean, var, eps, cout, (int64_t)(cin / groups) * k * k, w, b);
        if (st) {
            hv_graph_fail(m->g, st, "folding %s%s.bn into its conv: %s", m->prefix, mod, hv_last_error());
        } else {
            snprintf(name, sizeof name, "%s%s.conv.weight(bn folded)", m->prefix, mod);
            hv_tensor *wt = hv_mb_const(m, name, 4, wd, w);
            snprintf(name, sizeof name, "%s%s.bn(folded bias)", m->prefix, mod);
            hv_tensor *bt = hv_mb_const(m, name, 1, cd, b);
            snprintf(name, sizeof name, "%s%s", m->prefix, mod);
            y = hv_mo_conv(m->g, x, wt, bt, residual, cp, name);
        }
    } else if (!b) {
        hv_graph_fail(m->g, HV_ERR_OUT_OF_MEMORY, "efficientnet: out of host memory");
    }
    free(w), free(gamma), free(beta), free(mean), free(var), free(b);
    return y;
}

/* Squeeze-excitation on y (mid channels): GAP, conv1 (mid→sq, bias) + Swish, conv2 (sq→mid) + sigmoid, y·s. */
static hv_tensor *squeeze_excite(hv_mb *m, hv_tensor *y, const char *mod, int mid, int sq) {
    char name[384];
    int64_t w1d[4] = {sq, mid, 1, 1}, b1d[1] = {sq}, w2d[4] = {mid, sq, 1, 1}, b2d[1] = {mid};
    hv_tensor *w1 = hv_mb_param(m, 4, w1d, "%s.se.conv1.conv.weight", mod);
    hv_tensor *b1 = hv_mb_param(m, 1, b1d, "%s.se.conv1.conv.bias", mod);
    hv_tensor *w2 = hv_mb_param(m, 4, w2d, "%s.se.conv2.conv.weight", mod);
    hv_tensor *b2 = hv_mb_param(m, 1, b2d, "%s.se.conv2.conv.bias", mod);
    snprintf(name, sizeof name, "%s%s.se", m->prefix, mod);
    hv_tensor *s = hv_global_avg_pool(m->g, y, name);
    s = hv_mo_conv(m->g, s, w1, b1, NULL, (hv_conv2d_params){.act = HV_ACT_SILU}, name);
    s = hv_mo_conv(m->g, s, w2, b2, NULL, (hv_conv2d_params){.act = HV_ACT_SIGMOID}, name);
    return hv_mul(m->g, y, s, name);
}

static hv_tensor *mbconv(hv_mb *m, hv_tensor *x, const hv_effnet_block *b, hv_effnet_padding pad, float eps) {
    char mod[64], sub[96];
    snprintf(mod, sizeof mod, "layers.%d.%d", b->layer, b->index);
    hv_tensor *y = x;
    if (b->has_expand) {
        snprintf(sub, sizeof sub, "%s.expand_conv", mod);
        y = conv_bn(m, y, sub, b->cin, b->mid, 1, 1, 1, HV_ACT_SILU, NULL, pad, eps);
    }
    snprintf(sub, sizeof sub, "%s.depthwise_conv", mod);
    y = conv_bn(m, y, sub, b->mid, b->mid, b->k, b->stride, b->mid, HV_ACT_SILU, NULL, pad, eps);
    if (b->squeeze > 0) y = squeeze_excite(m, y, mod, b->mid, b->squeeze);
    snprintf(sub, sizeof sub, "%s.linear_conv", mod);
    return conv_bn(m, y, sub, b->mid, b->cout, 1, 1, 1, HV_ACT_NONE, b->residual ? x : NULL, pad, eps);
}

hv_status hv_efficientnet_build(hv_graph *g, hv_tensor *x, const hv_weights *w, const hv_efficientnet_params *p,
                                hv_backbone_outputs *out) {
    return hv_effnet_build_ex(g, x, w, p, out, NULL);
}

hv_status hv_effnet_build_ex(hv_graph *g, hv_tensor *x, const hv_weights *w, const hv_efficientnet_params *p,
                             hv_backbone_outputs *out, hv_effnet_calib *cal) {
    if (!g || !w || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_efficientnet_build: NULL graph, weights or out");
    memset(out, 0, sizeof *out);
    if (hv_graph_status(g)) return hv_graph_status(g);
    if (!x) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "hv_efficientnet_build: NULL input");
        return hv_graph_status(g);
    }
    if (!cal && hv_weights_needs_bn_recalibration(w)) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT,
                      "efficientnet: weights %s were averaged with BN policy 'recalibrate' and still hold averaged "
                      "BatchNorm statistics: run hv_efficientnet_recalibrate_bn() on them first",
                      hv_weights_source(w));
        return hv_graph_status(g);
    }
    double width, depth;
    float eps;
    uint32_t n_out;
    int32_t out_idx[HV_BACKBONE_MAX_OUTS];
    const char *prefix;
    hv_effnet_arch *a = malloc(sizeof *a);
    hv_status st = a ? hv_effnet_resolve(p, &width, &depth, &eps, &n_out, out_idx, &prefix)
                     : hv_error(HV_ERR_OUT_OF_MEMORY, "efficientnet: out of host memory");
    if (!st) st = hv_effnet_arch_build(width, depth, a);
    if (st) {
        free(a);
        hv_graph_fail(g, st, "%s", hv_last_error());
        return hv_graph_status(g);
    }
    const hv_tensor_desc *xd = hv_tensor_get_desc(x);
    hv_effnet_padding pad = p ? p->padding : HV_EFFNET_PAD_TF_SAME;
    hv_mb m = {.g = g, .w = w, .prefix = prefix, .dtype = xd->dtype, .calib = cal};

    hv_tensor *layer_out[HV_EFFNET_MAX_LAYERS] = {0};
    int32_t layer_stride[HV_EFFNET_MAX_LAYERS] = {0};
    hv_tensor *y = conv_bn(&m, x, "layers.0", 3, a->stem_out, 3, 2, 1, HV_ACT_SILU, NULL, pad, eps);
    int stride = 2;
    layer_out[0] = y;
    layer_stride[0] = stride;
    for (int i = 0; i < a->num_blocks; i++) {
        y = mbconv(&m, y, &a->blocks[i], pad, eps);
        stride *= a->blocks[i].stride;
        layer_out[a->blocks[i].layer] = y;
        layer_stride[a->blocks[i].layer] = stride;
    }
    char mod[32];
    snprintf(mod, sizeof mod, "layers.%d", a->num_layers - 1);
    y = conv_bn(&m, y, mod, a->head_in, a->head_out, 1, 1, 1, HV_ACT_SILU, NULL, pad, eps);
    layer_out[a->num_layers - 1] = y;
    layer_stride[a->num_layers - 1] = stride;

    for (uint32_t i = 0; i < n_out; i++)
        hv_mb_add_out(&m, out, layer_out[out_idx[i]], out_idx[i], a->layer_channels[out_idx[i]],
                      layer_stride[out_idx[i]]);
    out->last = y;
    out->last_channels = a->head_out;
    free(a);
    return hv_graph_status(g);
}
