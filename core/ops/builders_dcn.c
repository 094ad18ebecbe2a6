/* Graph builders for the detector ops (hemovk/ops_dcn.h): thin wrappers over hv_graph_add_op. */
#include "graph/graph_internal.h"
#include "ops/opsdcn_util.h"

hv_tensor *hv_dcnv3(hv_graph *g, hv_tensor *value, hv_tensor *offset, hv_tensor *mask, const hv_dcnv3_params *p,
                    const char *name) {
    if (!p) return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "dcnv3 '%s': no params", name ? name : "");
    hv_tensor *src[3] = {value, offset, mask};
    return hv_graph_add_op(g, &hv_op_dcnv3, p, src, 3, name);
}

hv_tensor *hv_roi_align(hv_graph *g, hv_tensor *const *levels, hv_tensor *rois, hv_tensor *roi_levels,
                        const hv_roi_align_params *p, const char *name) {
    if (!p || !levels || p->num_levels < 1 || p->num_levels > HV_ROI_MAX_LEVELS)
        return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "roi_align '%s': bad params or levels", name ? name : "");
    hv_roi_align_params q = *p;
    q.has_levels = roi_levels != NULL;
    hv_tensor *src[HV_ROI_MAX_LEVELS + 2];
    uint32_t n = 0;
    for (int32_t i = 0; i < p->num_levels; i++) src[n++] = levels[i];
    src[n++] = rois;
    if (roi_levels) src[n++] = roi_levels;
    return hv_graph_add_op(g, &hv_op_roi_align, &q, src, n, name);
}

hv_tensor *hv_preprocess(hv_graph *g, hv_tensor *packed, const hv_preprocess_params *p, const char *name) {
    if (!p) return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "preprocess '%s': no params", name ? name : "");
    return hv_graph_add_op(g, &hv_op_preprocess, p, &packed, 1, name);
}

hv_tensor *hv_rpn_level_topk(hv_graph *g, hv_tensor *cls, hv_tensor *reg, const hv_rpn_topk_params *p,
                             const char *name) {
    if (!p) return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "rpn_level_topk '%s': no params", name ? name : "");
    hv_tensor *src[2] = {cls, reg};
    return hv_graph_add_op(g, &hv_op_rpn_level_topk, p, src, 2, name);
}

hv_tensor *hv_rpn_nms(hv_graph *g, hv_tensor *const *levels, int32_t n_levels, const hv_rpn_nms_params *p,
                      const char *name) {
    if (!p || !levels || n_levels < 1 || n_levels > HV_RPN_OP_MAX_LEVELS)
        return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "rpn_nms '%s': bad params or %d levels (1..%d)",
                             name ? name : "", n_levels, HV_RPN_OP_MAX_LEVELS);
    return hv_graph_add_op(g, &hv_op_rpn_nms, p, levels, (uint32_t)n_levels, name);
}
