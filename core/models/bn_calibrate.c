/* core/models/bn_calibrate.c — SWA BatchNorm recalibration, the engine-side torch.optim.swa_utils.update_bn
 * (MODEL_SPEC §6.3 option (c)).
 *
 * The averaged EfficientNet is built with its BatchNorms UNFOLDED and in train mode: two CPU-only ops
 * defined here, `bn_batch_stats` (per-channel mean and unbiased variance of the conv output over N·H·W)
 * and `bn_train` (normalise with the batch mean and biased variance, then γ, β). Every bn_batch_stats
 * node is a graph output, so one run of the CPU reference backend per calibration batch yields every
 * layer's statistics for that batch, each layer seeing the train-mode outputs of the layers before it —
 * exactly what update_bn's forward pass computes. running_mean/var = the plain average over batches of
 * the batch statistics (update_bn sets momentum None: a cumulative average; the reset running stats
 * never enter it). These ops have no Vulkan recorder: recalibration is an offline step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/log.h"
#include "models/model_ops.h"

/* ---- the two ops --------------------------------------------------------------------------------- */

typedef struct bn_train_params {
    float eps;
} bn_train_params;

static hv_status stats_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    (void)params, (void)n_src;
    if (src[0].rank != 4) return hv_error(HV_ERR_SHAPE, "bn_batch_stats: input must be NCHW rank 4");
    *dst = hv_desc_make(HV_F32, HV_LAYOUT_ANY, 2, (int64_t[]){2, src[0].dims[1]});
    return HV_OK;
}

/* Per-channel mean and biased variance (two passes in double). */
static hv_status channel_stats(const hv_tensor_desc *x, const float *d, int64_t c, double *mean, double *var,
                               const char *op) {
    int64_t n = x->dims[0], hw = x->dims[2] * x->dims[3], cnt = n * hw;
    if (cnt < 2)
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "%s: BatchNorm in train mode needs more than 1 value per channel (batch %lld × %lld×%lld): "
                        "use larger calibration batches or images",
                        op, (long long)n, (long long)x->dims[2], (long long)x->dims[3]);
    double s = 0;
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < hw; i++) s += d[(b * x->dims[1] + c) * hw + i];
    *mean = s / (double)cnt;
    double q = 0;
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < hw; i++) {
            double t = d[(b * x->dims[1] + c) * hw + i] - *mean;
            q += t * t;
        }
    *var = q / (double)cnt;
    return HV_OK;
}

static hv_status stats_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                           const hv_tensor_desc *dst, float *dst_data) {
    (void)params, (void)n_src, (void)dst;
    int64_t C = src[0].dims[1], cnt = src[0].dims[0] * src[0].dims[2] * src[0].dims[3];
    for (int64_t c = 0; c < C; c++) {
        double mean, var;
        hv_status st = channel_stats(&src[0], src_data[0], c, &mean, &var, "bn_batch_stats");
        if (st) return st;
        dst_data[c] = (float)mean;
        dst_data[C + c] = (float)(var * (double)cnt / (double)(cnt - 1)); /* unbiased, as running_var */
    }
    return HV_OK;
}

static hv_status train_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    (void)params, (void)n_src;
    if (src[0].rank != 4 || src[1].rank != 1 || src[2].rank != 1 || src[1].dims[0] != src[0].dims[1] ||
        src[2].dims[0] != src[0].dims[1])
        return hv_error(HV_ERR_SHAPE, "bn_train: x must be NCHW and gamma/beta [C]");
    *dst = src[0];
    return HV_OK;
}

static hv_status train_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                           const hv_tensor_desc *dst, float *dst_data) {
    (void)n_src, (void)dst;
    const bn_train_params *p = params;
    const hv_tensor_desc *x = &src[0];
    int64_t N = x->dims[0], C = x->dims[1], hw = x->dims[2] * x->dims[3];
    for (int64_t c = 0; c < C; c++) {
        double mean, var;
        hv_status st = channel_stats(x, src_data[0], c, &mean, &var, "bn_train");
        if (st) return st;
        double scale = src_data[1][c] / sqrt(var + p->eps), beta = src_data[2][c];
        for (int64_t b = 0; b < N; b++)
            for (int64_t i = 0; i < hw; i++) {
                int64_t k = (b * C + c) * hw + i;
                dst_data[k] = (float)((src_data[0][k] - mean) * scale + beta);
            }
    }
    return HV_OK;
}

static const hv_op_def op_bn_batch_stats = {
    .name = "bn_batch_stats", .param_size = 0, .min_src = 1, .max_src = 1, .infer = stats_infer, .ref = stats_ref};
static const hv_op_def op_bn_train = {.name = "bn_train", .param_size = sizeof(bn_train_params), .min_src = 3,
                                      .max_src = 3, .infer = train_infer, .ref = train_ref};

/* ---- train-mode conv + BN for the EfficientNet builder --------------------------------------------- */

struct hv_effnet_calib {
    uint32_t count, cap;
    char **names;        /* "<prefix><module>" of each BN's module (…".bn" appended when writing) */
    int64_t *channels;
    double **sum_mean, **sum_var;
    hv_tensor **stats;   /* this build's bn_batch_stats nodes */
    int building_first;  /* 1 on the first build: names are collected */
};

hv_tensor *hv_effnet_calib_conv_bn(hv_mb *m, hv_effnet_calib *cal, hv_tensor *x, const char *mod, hv_tensor *w,
                                   const hv_conv2d_params *cp, int64_t cout, hv_activation act, hv_tensor *residual,
                                   float eps) {
    char name[384];
    snprintf(name, sizeof name, "%s%s", m->prefix, mod);
    hv_tensor *y = hv_mo_conv(m->g, x, w, NULL, NULL, *cp, name);
    int64_t cd[1] = {cout};
    hv_tensor *gamma = hv_mb_param(m, 1, cd, "%s.bn.weight", mod);
    hv_tensor *beta = hv_mb_param(m, 1, cd, "%s.bn.bias", mod);
    hv_tensor *stats = hv_graph_add_op(m->g, &op_bn_batch_stats, NULL, &y, 1, name);
    hv_tensor *src[3] = {y, gamma, beta};
    bn_train_params bp = {eps};
    y = hv_graph_add_op(m->g, &op_bn_train, &bp, src, 3, name);
    if (act != HV_ACT_NONE) y = hv_activate(m->g, y, act, name);
    if (residual) y = hv_add(m->g, y, residual, name);
    if (!stats) return NULL;
    if (cal->building_first) {
        if (cal->count == cal->cap) {
            uint32_t cap = cal->cap ? 2 * cal->cap : 64;
            char **nn = realloc(cal->names, cap * sizeof *nn);
            if (nn) cal->names = nn;
            int64_t *nc = realloc(cal->channels, cap * sizeof *nc);
            if (nc) cal->channels = nc;
            double **nm = realloc(cal->sum_mean, cap * sizeof *nm);
            if (nm) cal->sum_mean = nm;
            double **nv = realloc(cal->sum_var, cap * sizeof *nv);
            if (nv) cal->sum_var = nv;
            hv_tensor **ns = realloc(cal->stats, cap * sizeof *ns);
            if (ns) cal->stats = ns;
            if (!nn || !nc || !nm || !nv || !ns)
                return hv_graph_fail(m->g, HV_ERR_OUT_OF_MEMORY, "BN recalibration: out of host memory");
            cal->cap = cap;
        }
        cal->names[cal->count] = strdup(name);
        cal->channels[cal->count] = cout;
        cal->sum_mean[cal->count] = calloc((size_t)cout, sizeof(double));
        cal->sum_var[cal->count] = calloc((size_t)cout, sizeof(double));
        if (!cal->names[cal->count] || !cal->sum_mean[cal->count] || !cal->sum_var[cal->count])
            return hv_graph_fail(m->g, HV_ERR_OUT_OF_MEMORY, "BN recalibration: out of host memory");
        cal->stats[cal->count++] = stats;
    } else {
        /* rebuilt for another batch size: same order of BNs */
        uint32_t k = 0;
        while (k < cal->count && strcmp(cal->names[k], name)) k++;
        if (k == cal->count) return hv_graph_fail(m->g, HV_ERR_INTERNAL, "BN recalibration: unknown BN '%s'", name);
        cal->stats[k] = stats;
    }
    return y;
}

static void calib_free(hv_effnet_calib *cal) {
    for (uint32_t i = 0; i < cal->count; i++) free(cal->names[i]), free(cal->sum_mean[i]), free(cal->sum_var[i]);
    free(cal->names), free(cal->channels), free(cal->sum_mean), free(cal->sum_var), free(cal->stats);
}

/* Build the train-mode network for a batch of nb images and plan it on the CPU backend. */
static hv_status build_plan(hv_weights *w, const hv_efficientnet_params *p, hv_effnet_calib *cal, int32_t nb,
                            int32_t h, int32_t wd, hv_graph **g_out, hv_plan **plan_out) {
    hv_graph *g = NULL;
    hv_status st = hv_graph_create(&g);
    if (st) return st;
    hv_tensor_desc xd = hv_desc_make(HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){nb, 3, h, wd});
    hv_tensor *x = hv_graph_input(g, "images", &xd);
    hv_backbone_outputs bo;
    st = hv_effnet_build_ex(g, x, w, p, &bo, cal);
    for (uint32_t i = 0; !st && i < cal->count; i++) {
        char oname[32];
        snprintf(oname, sizeof oname, "bn%u", i);
        st = hv_graph_output(g, cal->stats[i], oname);
    }
    if (!st) st = hv_plan_create(g, NULL, NULL, plan_out);
    if (st) {
        hv_graph_free(g);
        return hv_error_context(st, "BN recalibration (batch of %d)", nb);
    }
    *g_out = g;
    return HV_OK;
}

hv_status hv_efficientnet_recalibrate_bn(hv_weights *w, const hv_efficientnet_params *p, const float *images,
                                         int32_t n_images, int32_t batch_size, int32_t height, int32_t width) {
    if (!w || !images || n_images < 1 || batch_size < 1 || height < 1 || width < 1)
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "hv_efficientnet_recalibrate_bn: need weights, images and n_images, batch_size, height, width "
                        "≥ 1 (got %d, %d, %d, %d)", n_images, batch_size, height, width);
    hv_effnet_calib cal = {.building_first = 1};
    hv_graph *g = NULL;
    hv_plan *plan = NULL;
    int32_t plan_batch = 0, n_batches = 0;
    size_t img = (size_t)3 * height * width;
    hv_status st = HV_OK;
    float *stats = NULL;
    for (int32_t start = 0; start < n_images && !st; start += batch_size) {
        int32_t nb = n_images - start < batch_size ? n_images - start : batch_size;
        if (nb != plan_batch) { /* the first batch, or a smaller last one */
            hv_plan_free(plan), plan = NULL;
            hv_graph_free(g), g = NULL;
            st = build_plan(w, p, &cal, nb, height, width, &g, &plan);
            cal.building_first = 0;
            if (st) break;
            plan_batch = nb;
        }
        st = hv_plan_set_input(plan, "images", images + (size_t)start * img, HV_F32, (size_t)nb * img);
        if (!st) st = hv_plan_run(plan);
        for (uint32_t i = 0; !st && i < cal.count; i++) {
            int64_t c = cal.channels[i];
            float *s = realloc(stats, (size_t)(2 * c) * sizeof(float));
            if (!s) {
                st = hv_error(HV_ERR_OUT_OF_MEMORY, "BN recalibration: out of host memory");
                break;
            }
            stats = s;
            char oname[32];
            snprintf(oname, sizeof oname, "bn%u", i);
            st = hv_plan_get_output(plan, oname, stats, (size_t)(2 * c));
            for (int64_t k = 0; !st && k < c; k++) {
                cal.sum_mean[i][k] += stats[k];
                cal.sum_var[i][k] += stats[c + k];
            }
        }
        n_batches++;
    }
    hv_plan_free(plan);
    hv_graph_free(g);
    /* running stats = average over batches; written back in the set's dtype */
    for (uint32_t i = 0; !st && i < cal.count; i++) {
        int64_t c = cal.channels[i];
        float *s = realloc(stats, (size_t)c * sizeof(float));
        if (!s) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "BN recalibration: out of host memory");
            break;
        }
        stats = s;
        char name[448];
        for (int pass = 0; pass < 2 && !st; pass++) {
            double **sum = pass ? cal.sum_var : cal.sum_mean;
            for (int64_t k = 0; k < c; k++) stats[k] = (float)(sum[i][k] / n_batches);
            snprintf(name, sizeof name, "%s.bn.%s", cal.names[i], pass ? "running_var" : "running_mean");
            st = hv_weights_set_tensor_f32(w, name, stats, (size_t)c);
        }
    }
    free(stats);
    if (!st) {
        hv_log_info("recalibrated %u BatchNorm layers of %s over %d images in %d batches", cal.count,
                    hv_weights_source(w), n_images, n_batches);
        hv_weights_mark_bn_recalibrated(w);
    }
    calib_free(&cal);
    return st;
}
