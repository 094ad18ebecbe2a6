/* core/models/cls_head.c — the classification head (MODEL_SPEC §2.4; ConvNeXt's gap_before_final_norm):
 * global average pool → optional LayerNorm → Linear → softmax. It stays 4-D NCHW ([N, C, 1, 1]) so the
 * LayerNorm is the channel LN and the Linear is a 1×1 conv; logits are [N, K, 1, 1], i.e. N×K values. */
#include <stdio.h>
#include <stdlib.h>

#include "models/model_ops.h"

hv_status hv_cls_head_build(hv_graph *g, hv_tensor *feat, const hv_weights *w, const hv_cls_head_params *p,
                            hv_tensor **logits, hv_tensor **probs, int32_t *num_classes) {
    static const hv_cls_head_params defaults = {0};
    if (!g || !w) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cls_head_build: NULL graph or weights");
    if (!p) p = &defaults;
    if (logits) *logits = NULL;
    if (probs) *probs = NULL;
    if (hv_graph_status(g)) return hv_graph_status(g);
    if (!feat) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "hv_cls_head_build: NULL feature map");
        return hv_graph_status(g);
    }
    const hv_tensor_desc *fd = hv_tensor_get_desc(feat);
    if (fd->rank != 4 || fd->layout == HV_LAYOUT_NHWC) {
        hv_graph_fail(g, HV_ERR_SHAPE, "hv_cls_head_build: the feature map must be NCHW rank 4");
        return hv_graph_status(g);
    }
    int64_t c = fd->dims[1];
    const char *fc = p->fc ? p->fc : "head.fc";
    hv_mb m = {.g = g, .w = w, .prefix = "", .dtype = fd->dtype};
    int64_t k = hv_mb_dim0(&m, "%s.weight", fc);
    if (k <= 0) {
        /* let hv_weights name the missing tensor (with its suggestions) */
        char name[256];
        snprintf(name, sizeof name, "%s.weight", fc);
        hv_status st = hv_weights_find(w, name, NULL);
        hv_graph_fail(g, st ? st : HV_ERR_SHAPE, "classification head: %s",
                      st ? hv_last_error() : "the fc weight has no classes");
        return hv_graph_status(g);
    }
    char name[256];
    snprintf(name, sizeof name, "%s(pool)", fc);
    hv_tensor *y = hv_global_avg_pool(g, feat, name);
    if (p->norm) {
        int64_t cd[1] = {c};
        snprintf(name, sizeof name, "%s", p->norm);
        hv_tensor *nw = hv_mb_param(&m, 1, cd, "%s.weight", p->norm);
        hv_tensor *nb = hv_mb_param(&m, 1, cd, "%s.bias", p->norm);
        y = hv_mo_layer_norm(g, y, nw, nb, 1, p->norm_eps > 0 ? p->norm_eps : 1e-6f, name);
    }
    int64_t wd[2] = {k, c}, bd[1] = {k}, cwd[4] = {k, c, 1, 1};
    float *fw = hv_mb_read(&m, 2, wd, "%s.weight", fc);
    snprintf(name, sizeof name, "%s", fc);
    hv_tensor *tw = hv_mb_const(&m, name, 4, cwd, fw);
    free(fw);
    hv_tensor *tb = hv_mb_param(&m, 1, bd, "%s.bias", fc);
    y = hv_mo_conv(g, y, tw, tb, NULL, (hv_conv2d_params){0}, name);
    if (logits) *logits = y;
    if (probs) {
        hv_softmax_params sp = {.axis = 1};
        *probs = hv_graph_add_op(g, &hv_op_softmax, &sp, &y, 1, "softmax");
    }
    if (num_classes) *num_classes = (int32_t)k;
    return hv_graph_status(g);
}
