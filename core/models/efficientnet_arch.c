/* core/models/efficientnet_arch.c — mmpretrain's EfficientNet layer table (MODEL_SPEC §2.2):
 * width/depth scaling of the base settings, split of stages where the width changes, repeat by
 * ceil(depth·n), and the merge of stride-1 groups into the previous layer. Pure arithmetic, no graph,
 * so the builder and the BN recalibration walk the same table. */
#include <math.h>
#include <string.h>

#include "models/models_internal.h"

/* One base block: kernel, out channels, se_ratio, stride, expand ratio (mmpretrain arch_settings['b']). */
typedef struct base_block {
    int k, out, se_ratio, stride, expand;
} base_block;

/* The five middle layers of the base setting (layers 1..5); the stem (3×3 s2 → 32) and the final
 * 1×1 conv (→ 1280) are handled apart. */
static const base_block BASE_MID[] = {
    {3, 16, 4, 1, 1},                                                               /* layer 1 */
    {3, 24, 4, 2, 6}, {3, 24, 4, 1, 6},                                             /* layer 2 */
    {5, 40, 4, 2, 6}, {5, 40, 4, 1, 6},                                             /* layer 3 */
    {3, 80, 4, 2, 6}, {3, 80, 4, 1, 6}, {3, 80, 4, 1, 6},                           /* layer 4 */
    {5, 112, 4, 1, 6}, {5, 112, 4, 1, 6}, {5, 112, 4, 1, 6},                        /* layer 4 */
    {5, 192, 4, 2, 6}, {5, 192, 4, 1, 6}, {5, 192, 4, 1, 6}, {5, 192, 4, 1, 6},     /* layer 5 */
    {3, 320, 4, 1, 6},                                                              /* layer 5 */
};
/* Layer of each BASE_MID entry: the split happens where the width changes INSIDE a layer. */
static const int BASE_MID_LAYER[] = {1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5};
#define BASE_MID_COUNT ((int)(sizeof BASE_MID / sizeof BASE_MID[0]))

static const struct {
    const char *name;
    double width, depth;
} ARCHS[] = {
    {"b0", 1.0, 1.0}, {"b1", 1.0, 1.1}, {"b2", 1.1, 1.2}, {"b3", 1.2, 1.4},
    {"b4", 1.4, 1.8}, {"b5", 1.6, 2.2}, {"b6", 1.8, 2.6}, {"b7", 2.0, 3.1},
};

int hv_make_divisible(double v, int divisor) {
    /* mmpretrain make_divisible(value, divisor, min_value=None, min_ratio=0.9) */
    int nv = (int)(v + divisor / 2.0) / divisor * divisor;
    if (nv < divisor) nv = divisor;
    if (nv < 0.9 * v) nv += divisor;
    return nv;
}

hv_status hv_effnet_arch_scale(const char *arch, double *width, double *depth) {
    for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (strcmp(ARCHS[i].name, arch) == 0) {
            *width = ARCHS[i].width;
            *depth = ARCHS[i].depth;
            return HV_OK;
        }
    return hv_error(HV_ERR_INVALID_ARGUMENT, "efficientnet: unknown arch '%s' (expected b0..b7, or set width and depth)",
                    arch);
}

hv_status hv_effnet_arch_build(double width, double depth, hv_effnet_arch *a) {
    if (!(width > 0) || !(depth > 0) || width > 16 || depth > 16)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "efficientnet: width %g / depth %g out of range (0, 16]", width, depth);
    memset(a, 0, sizeof *a);
    a->stem_out = hv_make_divisible(hv_make_divisible(32 * width, 8), 8);
    a->head_out = hv_make_divisible(1280 * width, 8);

    /* Split into groups of equal width (model_scaling's first loop), scaled. */
    int gstart[BASE_MID_COUNT], glen[BASE_MID_COUNT], ng = 0;
    for (int i = 0; i < BASE_MID_COUNT; i++) {
        int w = hv_make_divisible(BASE_MID[i].out * width, 8);
        int prev_w = i ? hv_make_divisible(BASE_MID[i - 1].out * width, 8) : -1;
        if (i == 0 || BASE_MID_LAYER[i] != BASE_MID_LAYER[i - 1] || w != prev_w) {
            gstart[ng] = i;
            glen[ng] = 0;
            ng++;
        }
        glen[ng - 1]++;
    }
    /* Repeat each group ceil(depth·n) times (extra blocks copy the group's last config), and merge a
     * group whose first block has stride 1 into the previous layer (except the first group). */
    int layer = 0, cin = a->stem_out;
    for (int gi = 0; gi < ng; gi++) {
        int n = glen[gi], reps = (int)ceil(depth * n);
        const base_block *first = &BASE_MID[gstart[gi]];
        if (!(first->stride == 1 && gi != 0) || layer == 0) layer++;
        for (int r = 0; r < reps; r++) {
            const base_block *b = &BASE_MID[gstart[gi] + (r < n ? r : n - 1)];
            if (a->num_blocks >= HV_EFFNET_MAX_BLOCKS)
                return hv_error(HV_ERR_INVALID_ARGUMENT, "efficientnet: depth %g gives more than %d blocks", depth,
                                HV_EFFNET_MAX_BLOCKS);
            hv_effnet_block *blk = &a->blocks[a->num_blocks];
            blk->layer = layer;
            blk->index = a->layer_blocks[layer]++;
            blk->k = b->k;
            blk->stride = b->stride; /* extra repeats copy the last config (stride 1 in every base group) */
            blk->cin = cin;
            blk->cout = hv_make_divisible(hv_make_divisible(b->out * width, 8), 8);
            blk->mid = cin * b->expand;
            blk->has_expand = blk->mid != cin;
            blk->squeeze = b->se_ratio > 0 ? blk->mid / (b->expand * b->se_ratio) : 0;
            blk->residual = blk->stride == 1 && cin == blk->cout;
            cin = blk->cout;
            a->num_blocks++;
        }
    }
    a->num_layers = layer + 2; /* stem + middle layers + final conv */
    a->head_in = cin;
    if (a->num_layers > HV_EFFNET_MAX_LAYERS) return hv_error(HV_ERR_INTERNAL, "efficientnet: too many layers");
    /* Channels of every layer's output, for out_indices. */
    a->layer_channels[0] = a->stem_out;
    for (int i = 0; i < a->num_blocks; i++) a->layer_channels[a->blocks[i].layer] = a->blocks[i].cout;
    a->layer_channels[a->num_layers - 1] = a->head_out;
    return HV_OK;
}
