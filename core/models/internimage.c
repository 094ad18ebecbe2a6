/* core/models/internimage.c — InternImage (MODEL_SPEC §4) as a graph. The stem and the downsample
 * convs run NCHW (conv2d is NCHW); the levels run NHWC so every Linear acts on the channel axis and
 * the DCNv3 core op gets its NHWC value/offset/mask directly. Feature maps leave as NCHW.
 *
 * Layer scale: pre-norm  x + γ⊙P(f(LN(x)))  → γ is folded into the last projection P (output_proj of
 * the DCN, fc2 of the MLP); post-norm  x + γ⊙LN(f(x))  → γ is folded into that LN's weight and bias.
 * Both are exact up to f32 rounding, and spare one broadcast multiply per branch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model_ops.h"

static const struct {
    const char *name;
    int32_t channels, depths[4], groups[4];
    float offset_scale;
    bool post_norm;
} ARCHS[] = {
    {"t", 64, {4, 4, 18, 4}, {4, 8, 16, 32}, 1.0f, false},
    {"s", 80, {4, 4, 21, 4}, {5, 10, 20, 40}, 1.0f, false},
    {"b", 112, {4, 4, 21, 4}, {7, 14, 28, 56}, 1.0f, false},
    {"l", 160, {5, 5, 22, 5}, {10, 20, 40, 80}, 2.0f, true},
    {"xl", 192, {5, 5, 24, 5}, {12, 24, 48, 96}, 2.0f, true},
};

typedef struct ii_cfg {
    int32_t c0, depths[4], groups[4];
    float mlp_ratio, offset_scale, eps;
    bool post_norm, layer_scale;
} ii_cfg;

/* LayerNorm `mod`.{weight,bias} over `axis`, the affine optionally scaled by gamma (post-norm layer scale). */
static hv_tensor *ln(hv_mb *m, hv_tensor *x, int64_t c, int32_t axis, float eps, const float *gamma, const char *mod) {
    int64_t d[1] = {c};
    char name[256];
    snprintf(name, sizeof name, "%s%s", m->prefix, mod);
    float *w = hv_mb_read(m, 1, d, "%s.weight", mod);
    float *b = hv_mb_read(m, 1, d, "%s.bias", mod);
    hv_tensor *y = NULL;
    if (w && b) {
        if (gamma)
            for (int64_t i = 0; i < c; i++) w[i] *= gamma[i], b[i] *= gamma[i];
        hv_tensor *tw = hv_mb_const(m, name, 1, d, w), *tb = hv_mb_const(m, name, 1, d, b);
        y = hv_mo_layer_norm(m->g, x, tw, tb, axis, eps, name);
    }
    free(w), free(b);
    return y;
}

/* Linear `mod`.{weight [cout, cin], bias} on the last axis, rows optionally scaled by gamma. */
static hv_tensor *linear(hv_mb *m, hv_tensor *x, int64_t cin, int64_t cout, hv_activation act, const float *gamma,
                         const char *mod) {
    int64_t wd[2] = {cout, cin}, bd[1] = {cout};
    char name[256];
    snprintf(name, sizeof name, "%s%s", m->prefix, mod);
    float *w = hv_mb_read(m, 2, wd, "%s.weight", mod);
    float *b = hv_mb_read(m, 1, bd, "%s.bias", mod);
    hv_tensor *y = NULL;
    if (w && b) {
        if (gamma)
            for (int64_t o = 0; o < cout; o++) {
                for (int64_t i = 0; i < cin; i++) w[o * cin + i] *= gamma[o];
                b[o] *= gamma[o];
            }
        hv_tensor *tw = hv_mb_const(m, name, 2, wd, w), *tb = hv_mb_const(m, name, 1, bd, b);
        y = hv_linear(m->g, x, tw, tb, act, name);
    }
    free(w), free(b);
    return y;
}

/* DCNv3 module on NHWC u (MODEL_SPEC §4.5); gamma (or NULL) is folded into output_proj. */
static hv_tensor *dcnv3_module(hv_mb *m, hv_tensor *u, const char *blk, int64_t c, int32_t group, const ii_cfg *cfg,
                               const float *gamma) {
    char mod[160], name[256];
    snprintf(mod, sizeof mod, "%s.dcn.input_proj", blk);
    hv_tensor *v = linear(m, u, c, c, HV_ACT_NONE, NULL, mod);

    /* z = GELU(LN(dwconv3×3(u))): the depthwise conv runs on NCHW */
    int64_t dwd[4] = {c, 1, 3, 3}, bd[1] = {c};
    snprintf(name, sizeof name, "%s%s.dcn.dw_conv.0", m->prefix, blk);
    hv_tensor *dw_w = hv_mb_param(m, 4, dwd, "%s.dcn.dw_conv.0.weight", blk);
    hv_tensor *dw_b = hv_mb_param(m, 1, bd, "%s.dcn.dw_conv.0.bias", blk);
    hv_tensor *z = hv_mo_to_nchw(m->g, u, name);
    z = hv_mo_conv(m->g, z, dw_w, dw_b, NULL,
                   (hv_conv2d_params){.groups = (int32_t)c, .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1},
                   name);
    snprintf(mod, sizeof mod, "%s.dcn.dw_conv.1.1", blk);
    z = ln(m, z, c, 1, cfg->eps, NULL, mod);
    z = hv_activate(m->g, z, HV_ACT_GELU, name);
    z = hv_mo_to_nhwc(m->g, z, name);

    snprintf(mod, sizeof mod, "%s.dcn.offset", blk);
    hv_tensor *off = linear(m, z, c, (int64_t)group * 18, HV_ACT_NONE, NULL, mod);
    snprintf(mod, sizeof mod, "%s.dcn.mask", blk);
    hv_tensor *mask = linear(m, z, c, (int64_t)group * 9, HV_ACT_NONE, NULL, mod);
    snprintf(name, sizeof name, "%s%s.dcn", m->prefix, blk);
    mask = hv_mo_softmax(m->g, mask, 9, name);
    hv_dcnv3_params dp = {.pad_h = 1, .pad_w = 1, .group = group, .group_channels = (int32_t)(c / group),
                          .offset_scale = cfg->offset_scale};
    hv_tensor *y = hv_dcnv3(m->g, v, off, mask, &dp, name);
    snprintf(mod, sizeof mod, "%s.dcn.output_proj", blk);
    return linear(m, y, c, c, HV_ACT_NONE, gamma, mod);
}

static hv_tensor *layer(hv_mb *m, hv_tensor *x, int lvl, int j, int64_t c, int32_t group, const ii_cfg *cfg) {
    char blk[64], mod[128], name[256];
    snprintf(blk, sizeof blk, "levels.%d.blocks.%d", lvl, j);
    int64_t cd[1] = {c};
    float *g1 = cfg->layer_scale ? hv_mb_read(m, 1, cd, "%s.gamma1", blk) : NULL;
    float *g2 = cfg->layer_scale ? hv_mb_read(m, 1, cd, "%s.gamma2", blk) : NULL;
    int64_t hidden = (int64_t)(c * cfg->mlp_ratio);
    snprintf(name, sizeof name, "%s%s", m->prefix, blk);
    hv_tensor *y;
    if (cfg->post_norm) {
        snprintf(mod, sizeof mod, "%s.norm1.0", blk);
        y = ln(m, dcnv3_module(m, x, blk, c, group, cfg, NULL), c, -1, cfg->eps, g1, mod);
        x = hv_add(m->g, x, y, name);
        snprintf(mod, sizeof mod, "%s.mlp.fc1", blk);
        y = linear(m, x, c, hidden, HV_ACT_GELU, NULL, mod);
        snprintf(mod, sizeof mod, "%s.mlp.fc2", blk);
        y = linear(m, y, hidden, c, HV_ACT_NONE, NULL, mod);
        snprintf(mod, sizeof mod, "%s.norm2.0", blk);
        y = ln(m, y, c, -1, cfg->eps, g2, mod);
        x = hv_add(m->g, x, y, name);
    } else {
        snprintf(mod, sizeof mod, "%s.norm1.0", blk);
        y = dcnv3_module(m, ln(m, x, c, -1, cfg->eps, NULL, mod), blk, c, group, cfg, g1);
        x = hv_add(m->g, x, y, name);
        snprintf(mod, sizeof mod, "%s.norm2.0", blk);
        y = ln(m, x, c, -1, cfg->eps, NULL, mod);
        snprintf(mod, sizeof mod, "%s.mlp.fc1", blk);
        y = linear(m, y, c, hidden, HV_ACT_GELU, NULL, mod);
        snprintf(mod, sizeof mod, "%s.mlp.fc2", blk);
        y = linear(m, y, hidden, c, HV_ACT_NONE, g2, mod);
        x = hv_add(m->g, x, y, name);
    }
    free(g1), free(g2);
    return x;
}

static hv_status resolve(hv_graph *g, hv_mb *m, const hv_internimage_params *p, ii_cfg *cfg) {
    const char *arch = p->arch ? p->arch : "t";
    size_t a = 0, na = sizeof ARCHS / sizeof ARCHS[0];
    for (; a < na; a++)
        if (!strcmp(ARCHS[a].name, arch)) break;
    if (a == na) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT,
                      "internimage: unknown arch '%s' (expected t, s, b, l, xl, or channels+depths+groups)", arch);
        return hv_graph_status(g);
    }
    cfg->c0 = p->channels > 0 ? p->channels : ARCHS[a].channels;
    bool cd = true, cg = true;
    for (int i = 0; i < 4; i++) cd &= p->depths[i] > 0, cg &= p->groups[i] > 0;
    memcpy(cfg->depths, cd ? p->depths : ARCHS[a].depths, sizeof cfg->depths);
    memcpy(cfg->groups, cg ? p->groups : ARCHS[a].groups, sizeof cfg->groups);
    cfg->mlp_ratio = p->mlp_ratio > 0 ? p->mlp_ratio : 4.0f;
    cfg->offset_scale = p->offset_scale > 0 ? p->offset_scale : ARCHS[a].offset_scale;
    cfg->post_norm = p->post_norm == HV_TRI_AUTO ? ARCHS[a].post_norm : p->post_norm == HV_TRI_ON;
    cfg->layer_scale = p->layer_scale == HV_TRI_AUTO ? hv_mb_has(m, "levels.0.blocks.0.gamma1")
                                                     : p->layer_scale == HV_TRI_ON;
    cfg->eps = p->ln_eps > 0 ? p->ln_eps : 1e-6f;
    for (int i = 0; i < 4; i++) {
        int64_t c = (int64_t)cfg->c0 << i;
        if (cfg->groups[i] <= 0 || c % cfg->groups[i]) {
            hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "internimage: level %d has %lld channels, not a multiple of its "
                          "%d groups", i, (long long)c, cfg->groups[i]);
            return hv_graph_status(g);
        }
    }
    /* Options of InternImage-H/G that hemovk does not implement: their tensors would otherwise be the first
     * "unused" names, or (center_feature_scale keeps the level norms of a post-norm model) a misleading
     * pre-/post-norm complaint, so name the option itself. */
    static const struct {
        const char *tensor, *option;
    } HG[] = {
        {"levels.0.blocks.0.dcn.center_feature_scale_proj_weight", "center_feature_scale=True"},
        {"levels.0.blocks.0.res_post_norm1.0.weight", "res_post_norm=True"},
        {"levels.2.post_norms.0.0.weight", "level2_post_norm=True"},
    };
    for (size_t k = 0; k < sizeof HG / sizeof HG[0]; k++)
        if (hv_mb_has(m, "%s", HG[k].tensor)) {
            hv_graph_fail(g, HV_ERR_SCHEMA,
                          "internimage: %s holds '%s%s': a checkpoint trained with %s, an option of InternImage-H/G "
                          "that hemovk does not implement (its outputs would be wrong); use an InternImage-T/S/B/L/XL "
                          "checkpoint",
                          hv_weights_source(m->w), m->prefix, HG[k].tensor, HG[k].option);
            return hv_graph_status(g);
        }
    /* Level norms exist exactly in pre-norm checkpoints (post_norm=False). A config that disagrees would
     * read tensors that are not there or leave the level norms unread: say which kind the file is. */
    int has_level_norm = hv_mb_has(m, "levels.0.norm.0.weight");
    if (cfg->post_norm && has_level_norm) {
        hv_graph_fail(g, HV_ERR_SCHEMA,
                      "internimage: post_norm is on (arch '%s') but %s holds '%slevels.0.norm.0.weight', the level norm "
                      "of a pre-norm checkpoint (post_norm=False: arch t, s or b): set post_norm: false or the arch the "
                      "checkpoint was trained with",
                      arch, hv_weights_source(m->w), m->prefix);
        return hv_graph_status(g);
    }
    if (!cfg->post_norm && !has_level_norm && hv_mb_has(m, "levels.0.blocks.0.norm1.0.weight")) {
        hv_graph_fail(g, HV_ERR_SCHEMA,
                      "internimage: post_norm is off (arch '%s') but %s has no level norm '%slevels.0.norm.0.weight': "
                      "a post-norm checkpoint (post_norm=True: arch l or xl): set post_norm: true or the arch the "
                      "checkpoint was trained with",
                      arch, hv_weights_source(m->w), m->prefix);
        return hv_graph_status(g);
    }
    if (cfg->c0 % 2 || p->mlp_ratio < 0 || p->offset_scale < 0 || p->ln_eps < 0) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "internimage: channels must be even and mlp_ratio, offset_scale, "
                      "ln_eps ≥ 0 (channels %d)", cfg->c0);
        return hv_graph_status(g);
    }
    return HV_OK;
}

hv_status hv_internimage_build(hv_graph *g, hv_tensor *x, const hv_weights *w, const hv_internimage_params *p,
                               hv_backbone_outputs *out) {
    static const hv_internimage_params defaults = {0};
    if (!g || !w || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_internimage_build: NULL graph, weights or out");
    memset(out, 0, sizeof *out);
    if (!p) p = &defaults;
    if (hv_graph_status(g)) return hv_graph_status(g);
    if (!x) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "hv_internimage_build: NULL input");
        return hv_graph_status(g);
    }
    hv_mb m = {.g = g, .w = w, .prefix = p->prefix ? p->prefix : "backbone.", .dtype = hv_tensor_get_desc(x)->dtype};
    ii_cfg cfg = {0};
    if (resolve(g, &m, p, &cfg)) return hv_graph_status(g);
    static const int32_t def_out[4] = {0, 1, 2, 3};
    uint32_t n_out;
    int32_t out_idx[HV_BACKBONE_MAX_OUTS];
    hv_status st = hv_mb_out_indices("internimage", p->num_out, p->out_indices, 4, def_out, 4, &n_out, out_idx);
    if (st) {
        hv_graph_fail(g, st, "%s", hv_last_error());
        return st;
    }

    /* stem: conv1 → LN → GELU → conv2 → LN, NCHW (LN over axis 1 is the NHWC LN of the reference) */
    int64_t c0 = cfg.c0, h1 = c0 / 2;
    int64_t w1d[4] = {h1, 3, 3, 3}, b1d[1] = {h1}, w2d[4] = {c0, h1, 3, 3}, b2d[1] = {c0};
    hv_conv2d_params s2 = {.stride_h = 2, .stride_w = 2, .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1};
    char name[128];
    snprintf(name, sizeof name, "%spatch_embed", m.prefix);
    hv_tensor *y = hv_mo_conv(g, x, hv_mb_param(&m, 4, w1d, "patch_embed.conv1.weight"),
                              hv_mb_param(&m, 1, b1d, "patch_embed.conv1.bias"), NULL, s2, name);
    y = ln(&m, y, h1, 1, cfg.eps, NULL, "patch_embed.norm1.1");
    y = hv_activate(g, y, HV_ACT_GELU, name);
    y = hv_mo_conv(g, y, hv_mb_param(&m, 4, w2d, "patch_embed.conv2.weight"),
                   hv_mb_param(&m, 1, b2d, "patch_embed.conv2.bias"), NULL, s2, name);
    y = ln(&m, y, c0, 1, cfg.eps, NULL, "patch_embed.norm2.1");
    y = hv_mo_to_nhwc(g, y, name);

    hv_tensor *feat[4] = {0};
    int32_t stride = 4, feat_stride[4];
    char mod[64];
    for (int i = 0; i < 4; i++) {
        int64_t c = c0 << i;
        for (int j = 0; j < cfg.depths[i]; j++) y = layer(&m, y, i, j, c, cfg.groups[i], &cfg);
        if (!cfg.post_norm) {
            snprintf(mod, sizeof mod, "levels.%d.norm.0", i);
            y = ln(&m, y, c, -1, cfg.eps, NULL, mod);
        }
        snprintf(name, sizeof name, "%slevels.%d", m.prefix, i);
        hv_tensor *nchw = hv_mo_to_nchw(g, y, name);
        feat[i] = nchw;
        feat_stride[i] = stride;
        if (i < 3) {
            /* downsample: conv 3×3 s2 p1 (no bias) on NCHW, then LN over C, back to NHWC */
            int64_t wd[4] = {2 * c, c, 3, 3};
            snprintf(name, sizeof name, "%slevels.%d.downsample", m.prefix, i);
            y = hv_mo_conv(g, nchw, hv_mb_param(&m, 4, wd, "levels.%d.downsample.conv.weight", i), NULL, NULL, s2, name);
            snprintf(mod, sizeof mod, "levels.%d.downsample.norm.1", i);
            y = ln(&m, y, 2 * c, 1, cfg.eps, NULL, mod);
            y = hv_mo_to_nhwc(g, y, name);
            stride *= 2;
        }
    }
    for (uint32_t i = 0; i < n_out; i++)
        hv_mb_add_out(&m, out, feat[out_idx[i]], out_idx[i], (int32_t)(c0 << out_idx[i]), feat_stride[out_idx[i]]);
    out->last = feat[3];
    out->last_channels = (int32_t)(c0 << 3);
    return hv_graph_status(g);
}
