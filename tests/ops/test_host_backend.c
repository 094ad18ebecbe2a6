/* The CPU backend (a device opened as "cpu": core/graph/exec_host.c, oneDNN kernels in core/cpu/)
 * against the reference backend (hv_plan_create with no device), graph by graph:
 *   - conv2d in every geometry the models use and the edge cases (TF-SAME, stride, dilation, groups and
 *     depthwise, asymmetric pads, N > 1, channels not a multiple of 8, each fused activation, residual),
 *     built through the SDK so the planner's fusion decides what the kernel gets;
 *   - linear on rank 2..4 inputs with and without bias, each activation, a residual;
 *   - deconv (kernel = stride) in the mask head's 2×2 s2 geometry and others, with and without bias, each
 *     activation, N > 1;
 *   - binary with every broadcast the models use, each kind and activation, and unary (each activation, a
 *     cast to f16) — hemovk's float rows;
 *   - multi-level RoIAlign (hemovk's own threaded kernel): the level rule and given levels, adaptive and
 *     fixed sampling, aligned or not, RoIs over the border, degenerate and with a bad image index;
 *   - DCNv3 (hemovk's own threaded kernel) in InternImage's geometry, strided, offset_scale 2 (XL), N = 2,
 *     offsets reaching outside the image;
 *   - a small network (conv, activation, depthwise, residual add, layer norm, linear) in f32 and f16
 *     storage, run twice on different inputs and twice on the same (the arena must not lose an input);
 *   - a conv whose weights are computed in the graph (the kernel declines: the reference runs it);
 *   - the device itself: listed last by hv_device_list, opened by "cpu" and by its index, no transfers.
 * Bounds: NMSE ≤ 1e-9 in f32 (oneDNN accumulates in f32, the reference in double), ≤ 1e-5 in f16 where a
 * value near a rounding boundary may land on the neighbouring f16. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/device.h"
#include "hemovk/graph.h"
#include "hemovk/ops_basic.h"
#include "hemovk/ops_conv.h"
#include "hemovk/ops_dcn.h"
#include "hvtest.h"

static hv_device *host_dev(void) {
    static hv_device *dev;
    if (!dev) ck_assert_msg(hv_device_open("cpu", &dev) == HV_OK, "%s", hv_last_error());
    return dev;
}

static hv_tensor_desc d4(hv_dtype dt, int64_t a, int64_t b, int64_t c, int64_t d) {
    return (hv_tensor_desc){.dtype = dt, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {a, b, c, d}};
}

static hv_tensor *weight(hv_graph *g, const char *name, hv_tensor_desc d, uint64_t seed, float scale) {
    size_t n = (size_t)hv_desc_numel(&d);
    float *v = malloc(n * sizeof *v);
    hvtest_fill_uniform(v, n, seed, -scale, scale);
    hv_tensor *t = hv_graph_weight(g, name, &d, v, HV_F32);
    free(v);
    return t;
}

/* Run graph `g` (input "x" of n_in values, output "y" of n_out) on the reference and on the CPU
 * backend with the same input; return the NMSE of the CPU backend's output, checking it is finite. */
static double compare(hv_graph *g, size_t n_in, size_t n_out, uint64_t seed, const char *what) {
    ck_assert_msg(hv_graph_status(g) == HV_OK, "%s: %s", what, hv_last_error());
    float *x = malloc(n_in * sizeof *x), *ref = malloc(n_out * sizeof *ref), *got = malloc(n_out * sizeof *got);
    hvtest_fill_uniform(x, n_in, seed, -2.0f, 2.0f);
    hv_plan *pr = NULL, *ph = NULL;
    ck_assert_msg(hv_plan_create(g, NULL, NULL, &pr) == HV_OK, "%s: %s", what, hv_last_error());
    ck_assert_msg(hv_plan_create(g, host_dev(), NULL, &ph) == HV_OK, "%s: %s", what, hv_last_error());
    ck_assert_int_eq(hv_plan_set_input(pr, "x", x, HV_F32, n_in), HV_OK);
    ck_assert_int_eq(hv_plan_set_input(ph, "x", x, HV_F32, n_in), HV_OK);
    ck_assert_msg(hv_plan_run(pr) == HV_OK, "%s: %s", what, hv_last_error());
    ck_assert_msg(hv_plan_run(ph) == HV_OK, "%s: %s", what, hv_last_error());
    ck_assert_int_eq(hv_plan_get_output(pr, "y", ref, n_out), HV_OK);
    ck_assert_int_eq(hv_plan_get_output(ph, "y", got, n_out), HV_OK);
    ck_assert_msg(hvtest_count_nonfinite(got, n_out) == 0, "%s: non-finite output", what);
    double e = hvtest_nmse(got, ref, n_out);
    if (getenv("HOST_TEST_DEBUG"))
        for (size_t i = 0; i < n_out && i < 8; i++) fprintf(stderr, "%s [%zu] %.9g vs %.9g\n", what, i, got[i], ref[i]);
    hv_plan_free(pr);
    hv_plan_free(ph);
    free(x);
    free(ref);
    free(got);
    return e;
}

typedef struct conv_case {
    const char *name;
    int64_t n, c, h, w, k, kh, kw;
    hv_conv2d_params p;
    int bias, residual;
} conv_case;

static void check_conv(const conv_case *cc, hv_activation act) {
    hv_graph *g = NULL;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = d4(HV_F32, cc->n, cc->c, cc->h, cc->w);
    int32_t groups = cc->p.groups ? cc->p.groups : 1;
    hv_tensor *x = hv_graph_input(g, "x", &xd);
    hv_tensor *w = weight(g, "w", d4(HV_F32, cc->k, cc->c / groups, cc->kh, cc->kw), 7, 0.3f);
    hv_tensor_desc bd = {.dtype = HV_F32, .rank = 1, .dims = {cc->k, 1, 1, 1}};
    hv_tensor *b = cc->bias ? weight(g, "b", bd, 8, 0.5f) : NULL;
    hv_conv2d_params p = cc->p;
    p.act = act;
    hv_tensor *y = hv_conv2d(g, x, w, b, NULL, &p, "conv");
    if (cc->residual) { /* an add the planner folds into the conv as its residual */
        const hv_tensor_desc *yd = hv_tensor_get_desc(y);
        hv_tensor *r = weight(g, "r", *yd, 9, 1.0f);
        y = hv_add(g, y, r, "add");
    }
    ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
    const hv_tensor_desc *yd = hv_tensor_get_desc(y);
    double e = compare(g, (size_t)hv_desc_numel(&xd), (size_t)hv_desc_numel(yd), 11, cc->name);
    ck_assert_msg(e <= 1e-9, "conv %s act %s: NMSE %.3g", cc->name, hv_activation_name(act), e);
    hv_graph_free(g);
}

START_TEST(conv2d_geometries) {
    static const conv_case cases[] = {
        {"efficientnet stem 3x3 s2 TF-SAME", 1, 3, 33, 31, 16, 3, 3, {.stride_h = 2, .stride_w = 2, .same_tf = true}, 1, 0},
        {"depthwise 5x5 s2 TF-SAME", 1, 24, 17, 17, 24, 5, 5, {.stride_h = 2, .stride_w = 2, .groups = 24, .same_tf = true}, 1, 0},
        {"convnext depthwise 7x7 p3", 2, 40, 14, 14, 40, 7, 7, {.groups = 40, .pad_top = 3, .pad_bottom = 3, .pad_left = 3, .pad_right = 3}, 1, 0},
        {"convnext stem 4x4 s4", 1, 3, 32, 32, 48, 4, 4, {.stride_h = 4, .stride_w = 4}, 1, 0},
        {"downsample 2x2 s2", 1, 48, 8, 8, 96, 2, 2, {.stride_h = 2, .stride_w = 2}, 1, 0},
        {"internimage 3x3 s2 p1", 1, 16, 15, 15, 32, 3, 3, {.stride_h = 2, .stride_w = 2, .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1}, 0, 0},
        {"pointwise + residual", 2, 20, 9, 7, 20, 1, 1, {0}, 1, 1},
        {"fpn 3x3 p1 + residual", 1, 13, 10, 6, 13, 3, 3, {.pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1}, 1, 1},
        {"groups 2, dilation 2, asymmetric pads", 1, 6, 11, 9, 10, 3, 3, {.groups = 2, .dilation_h = 2, .dilation_w = 2, .pad_top = 2, .pad_bottom = 1, .pad_left = 0, .pad_right = 3}, 1, 0},
        {"1x1 image, kernel over padding", 3, 5, 1, 1, 7, 3, 3, {.pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1}, 1, 0},
        {"1x1 s2", 1, 9, 8, 8, 5, 1, 1, {.stride_h = 2, .stride_w = 2}, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_conv(&cases[i], HV_ACT_NONE);
}
END_TEST

START_TEST(conv2d_activations) {
    conv_case c = {"3x3 p1", 1, 12, 9, 9, 10, 3, 3, {.pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1}, 1, 0};
    for (int act = HV_ACT_NONE; act <= HV_ACT_SIGMOID; act++) {
        check_conv(&c, (hv_activation)act);
        c.residual = 1; /* act(conv) + r: the activation comes before the residual */
        check_conv(&c, (hv_activation)act);
        c.residual = 0;
    }
}
END_TEST

START_TEST(linear_shapes) {
    static const struct { uint32_t rank; int64_t dims[4]; int64_t n; int bias, residual; } cases[] = {
        {2, {5, 24, 1, 1}, 17, 1, 0}, {3, {2, 7, 32, 1}, 40, 0, 0}, {4, {1, 3, 4, 16}, 64, 1, 1}, {2, {1, 1024, 1, 1}, 6, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int act = HV_ACT_NONE; act <= HV_ACT_SIGMOID; act++) {
            hv_graph *g = NULL;
            ck_assert_int_eq(hv_graph_create(&g), HV_OK);
            hv_tensor_desc xd = {.dtype = HV_F32, .layout = HV_LAYOUT_NHWC, .rank = cases[i].rank};
            memcpy(xd.dims, cases[i].dims, sizeof xd.dims);
            int64_t k = xd.dims[xd.rank - 1];
            hv_tensor *x = hv_graph_input(g, "x", &xd);
            hv_tensor_desc wd = {.dtype = HV_F32, .rank = 2, .dims = {cases[i].n, k, 1, 1}};
            hv_tensor_desc bd = {.dtype = HV_F32, .rank = 1, .dims = {cases[i].n, 1, 1, 1}};
            hv_tensor *b = cases[i].bias ? weight(g, "b", bd, 3, 0.5f) : NULL;
            hv_tensor *y = hv_linear(g, x, weight(g, "w", wd, 2, 0.2f), b, (hv_activation)act, "fc");
            if (cases[i].residual) y = hv_add(g, y, weight(g, "r", *hv_tensor_get_desc(y), 4, 1.0f), "add");
            ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
            double e = compare(g, (size_t)hv_desc_numel(&xd), (size_t)hv_desc_numel(hv_tensor_get_desc(y)), 5, "linear");
            ck_assert_msg(e <= 1e-9, "linear case %zu act %s: NMSE %.3g", i, hv_activation_name((hv_activation)act), e);
            hv_graph_free(g);
        }
}
END_TEST

START_TEST(deconv_shapes) {
    static const struct { int64_t n, c, h, w, k, ks; int bias; } cases[] = {
        {6, 16, 14, 14, 16, 2, 1}, /* the mask head's upsampler (fewer channels) over six RoIs */
        {1, 5, 3, 7, 9, 2, 0},    /* odd channel counts, no bias */
        {2, 8, 4, 5, 3, 3, 1},    /* 3×3 s3 */
        {3, 4, 1, 1, 6, 1, 1},    /* 1×1 s1: a pointwise product */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int act = HV_ACT_NONE; act <= HV_ACT_SIGMOID; act++) {
            hv_graph *g = NULL;
            ck_assert_int_eq(hv_graph_create(&g), HV_OK);
            hv_tensor_desc xd = d4(HV_F32, cases[i].n, cases[i].c, cases[i].h, cases[i].w);
            hv_tensor *x = hv_graph_input(g, "x", &xd);
            hv_tensor *w = weight(g, "w", d4(HV_F32, cases[i].c, cases[i].k, cases[i].ks, cases[i].ks), 31, 0.3f);
            hv_tensor_desc bd = {.dtype = HV_F32, .rank = 1, .dims = {cases[i].k, 1, 1, 1}};
            hv_tensor *b = cases[i].bias ? weight(g, "b", bd, 32, 0.5f) : NULL;
            hv_tensor *y = hv_deconv2d(g, x, w, b, (hv_activation)act, "up");
            ck_assert_ptr_nonnull(y);
            ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
            double e = compare(g, (size_t)hv_desc_numel(&xd), (size_t)hv_desc_numel(hv_tensor_get_desc(y)), 33, "deconv");
            ck_assert_msg(e <= 1e-9, "deconv case %zu act %s: NMSE %.3g", i, hv_activation_name((hv_activation)act), e);
            hv_graph_free(g);
        }
}
END_TEST

/* RoIAlign over four FPN levels of two images: x is level 0, the coarser levels are constants. */
static void check_roi_align(const hv_roi_align_params *p, const char *what) {
    static const float rois[][5] = {
        {0, 10, 12, 40, 30},     {1, 0, 0, 127, 127},   {1, -20, -8, 30, 25},  {0, 100, 90, 160, 150},
        {0, 50, 50, 50, 50},     {1, 64, 3, 70.5f, 9},  {-1, 5, 5, 20, 20},    {2, 5, 5, 20, 20},
        {0, 2.25f, 7.5f, 230, 99}, {1, 30, 40, 31, 42}, {0, 0, 0, 300, 300},   {1, 77, 13, 96, 60},
    };
    const int64_t R = sizeof rois / sizeof rois[0], N = 2, C = 5, S = 32;
    hv_graph *g = NULL;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = d4(HV_F32, N, C, S, S);
    hv_tensor *levels[4] = {hv_graph_input(g, "x", &xd)};
    for (int l = 1; l < 4; l++) {
        char name[8];
        snprintf(name, sizeof name, "p%d", l);
        levels[l] = weight(g, name, d4(HV_F32, N, C, S >> l, S >> l), 120 + (uint64_t)l, 2.0f);
    }
    hv_tensor_desc rd = {.dtype = HV_F32, .rank = 2, .dims = {R, 5, 1, 1}};
    hv_tensor *r = hv_graph_weight(g, "rois", &rd, &rois[0][0], HV_F32);
    hv_tensor *lv = NULL;
    if (p->has_levels) {
        float given[sizeof rois / sizeof rois[0]];
        for (int64_t i = 0; i < R; i++) given[i] = (float)((i * 7) % 5) - 0.4f; /* -0.4 .. 3.6: clamped */
        hv_tensor_desc ld = {.dtype = HV_F32, .rank = 1, .dims = {R, 1, 1, 1}};
        lv = hv_graph_weight(g, "levels", &ld, given, HV_F32);
    }
    hv_tensor *y = hv_roi_align(g, levels, r, lv, p, "roi");
    ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
    double e = compare(g, (size_t)hv_desc_numel(&xd), (size_t)hv_desc_numel(hv_tensor_get_desc(y)), 131, what);
    ck_assert_msg(e <= 1e-9, "roi_align %s: NMSE %.3g", what, e);
    hv_graph_free(g);
}

START_TEST(roi_align_geometries) {
    hv_roi_align_params p = {.num_levels = 4, .strides = {4, 8, 16, 32}, .output_size = 7, .aligned = true};
    check_roi_align(&p, "box head: level rule, adaptive sampling, aligned");
    p.output_size = 14, p.sampling_ratio = 2, p.aligned = false, p.has_levels = true;
    check_roi_align(&p, "mask size, given levels, 2x2 samples, not aligned");
    p.num_levels = 1, p.output_size = 3, p.sampling_ratio = 0, p.has_levels = false, p.finest_scale = 20;
    check_roi_align(&p, "one level, 3x3 bins");
}
END_TEST

START_TEST(dcnv3_geometries) {
    static const struct { int64_t n, h, w, g, cg; hv_dcnv3_params p; } cases[] = {
        {1, 9, 11, 4, 8, {.pad_h = 1, .pad_w = 1, .group = 4, .group_channels = 8}},
        {2, 8, 8, 2, 4, {.pad_h = 1, .pad_w = 1, .stride_h = 2, .stride_w = 2, .group = 2, .group_channels = 4}},
        {1, 7, 6, 3, 5, {.pad_h = 1, .pad_w = 1, .group = 3, .group_channels = 5, .offset_scale = 2.0f}},
        {1, 10, 10, 1, 16, {.kernel_h = 5, .kernel_w = 5, .pad_h = 4, .pad_w = 4, .dilation_h = 2, .dilation_w = 2, .group = 1, .group_channels = 16}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hv_graph *g = NULL;
        ck_assert_int_eq(hv_graph_create(&g), HV_OK);
        int64_t c = cases[i].g * cases[i].cg;
        hv_tensor_desc xd = {.dtype = HV_F32, .layout = HV_LAYOUT_NHWC, .rank = 4, .dims = {cases[i].n, cases[i].h, cases[i].w, c}};
        int32_t kh = cases[i].p.kernel_h ? cases[i].p.kernel_h : 3, kw = cases[i].p.kernel_w ? cases[i].p.kernel_w : 3;
        int32_t sh = cases[i].p.stride_h ? cases[i].p.stride_h : 1, dl = cases[i].p.dilation_h ? cases[i].p.dilation_h : 1;
        int64_t ho = (cases[i].h + 2 * cases[i].p.pad_h - (dl * (kh - 1) + 1)) / sh + 1;
        int64_t wo = (cases[i].w + 2 * cases[i].p.pad_w - (dl * (kw - 1) + 1)) / sh + 1;
        hv_tensor_desc od = {.dtype = HV_F32, .layout = HV_LAYOUT_NHWC, .rank = 4,
                             .dims = {cases[i].n, ho, wo, cases[i].g * kh * kw * 2}};
        hv_tensor_desc md = od;
        md.dims[3] = cases[i].g * kh * kw;
        hv_tensor *x = hv_graph_input(g, "x", &xd);
        hv_tensor *off = weight(g, "offset", od, 71 + i, 2.5f); /* some samples fall outside the image */
        hv_tensor *msk = weight(g, "mask", md, 81 + i, 1.0f);
        hv_tensor *y = hv_dcnv3(g, x, off, msk, &cases[i].p, "dcn");
        ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
        double e = compare(g, (size_t)hv_desc_numel(&xd), (size_t)hv_desc_numel(hv_tensor_get_desc(y)), 91, "dcnv3");
        ck_assert_msg(e <= 1e-9, "dcnv3 case %zu: NMSE %.3g", i, e);
        hv_graph_free(g);
    }
}
END_TEST

/* binary with broadcasting (the host backend's float rows): squeeze-excitation [N,C,H,W]·[N,C,1,1],
 * layer scale [N,H,W,C]·[C], a row against a column, each kind and activation. */
START_TEST(binary_broadcasts) {
    static const struct { uint32_t ra; int64_t a[4]; uint32_t rb; int64_t b[4]; } cases[] = {
        {4, {2, 16, 7, 9}, 4, {2, 16, 1, 1}}, {4, {1, 5, 6, 24}, 1, {24, 1, 1, 1}},
        {4, {1, 3, 8, 1}, 4, {1, 3, 1, 10}},  {3, {4, 5, 6, 1}, 3, {4, 5, 6, 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int kind = HV_BINARY_ADD; kind <= HV_BINARY_MUL; kind++)
            for (int act = HV_ACT_NONE; act <= HV_ACT_SIGMOID; act++) {
                hv_graph *g = NULL;
                ck_assert_int_eq(hv_graph_create(&g), HV_OK);
                hv_tensor_desc ad = {.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = cases[i].ra};
                hv_tensor_desc bd = {.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = cases[i].rb};
                memcpy(ad.dims, cases[i].a, sizeof ad.dims);
                memcpy(bd.dims, cases[i].b, sizeof bd.dims);
                hv_tensor *x = hv_graph_input(g, "x", &ad);
                hv_tensor *y = hv_binary(g, x, weight(g, "b", bd, 101 + i, 1.5f), (hv_binary_kind)kind,
                                         (hv_activation)act, "op");
                ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
                double e = compare(g, (size_t)hv_desc_numel(&ad), (size_t)hv_desc_numel(hv_tensor_get_desc(y)), 111,
                                   "binary");
                ck_assert_msg(e <= 1e-9, "binary case %zu kind %d act %d: NMSE %.3g", i, kind, act, e);
                hv_graph_free(g);
            }
}
END_TEST

/* unary: each activation on its own (not fused: its input is the graph input), and a cast to f16. */
START_TEST(unary_activations_and_cast) {
    for (int act = HV_ACT_NONE; act <= HV_ACT_SIGMOID + 1; act++) {
        hv_graph *g = NULL;
        ck_assert_int_eq(hv_graph_create(&g), HV_OK);
        hv_tensor_desc xd = {.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {2, 3, 17, 19}};
        hv_tensor *x = hv_graph_input(g, "x", &xd);
        hv_tensor *y = act <= HV_ACT_SIGMOID ? hv_activate(g, x, (hv_activation)act, "act") : hv_cast(g, x, HV_F16, "cast");
        ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
        double e = compare(g, (size_t)hv_desc_numel(&xd), (size_t)hv_desc_numel(&xd), 121, "unary");
        ck_assert_msg(e <= 1e-9, "unary %d: NMSE %.3g", act, e);
        hv_graph_free(g);
    }
}
END_TEST

/* conv → SiLU → depthwise conv → + skip → layer norm (channels last) → linear → GELU, in `dt`. */
static hv_graph *small_network(hv_dtype dt) {
    hv_graph *g = NULL;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = d4(dt, 2, 8, 12, 12);
    hv_tensor *x = hv_graph_input(g, "x", &xd);
    hv_conv2d_params p3 = {.pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1};
    hv_tensor_desc bd = {.dtype = dt, .rank = 1, .dims = {16, 1, 1, 1}};
    hv_tensor *a = hv_conv2d(g, x, weight(g, "w1", d4(dt, 16, 8, 3, 3), 21, 0.3f), weight(g, "b1", bd, 22, 0.2f), NULL,
                             &p3, "conv1");
    a = hv_activate(g, a, HV_ACT_SILU, "silu");
    hv_conv2d_params dw = p3;
    dw.groups = 16;
    hv_tensor *d = hv_conv2d(g, a, weight(g, "w2", d4(dt, 16, 1, 3, 3), 23, 0.5f), NULL, NULL, &dw, "dw");
    d = hv_add(g, d, a, "skip");
    int32_t perm[HV_MAX_DIMS] = {0, 2, 3, 1};
    hv_tensor *t = hv_permute(g, d, perm, "to_nhwc");
    t = hv_layer_norm(g, t, weight(g, "ln_w", bd, 24, 1.0f), weight(g, "ln_b", bd, 25, 0.1f), -1, 1e-6f, "ln");
    hv_tensor_desc wd = {.dtype = dt, .rank = 2, .dims = {24, 16, 1, 1}};
    hv_tensor *y = hv_linear(g, t, weight(g, "w3", wd, 26, 0.3f), NULL, HV_ACT_GELU, "fc");
    ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
    ck_assert_msg(hv_graph_status(g) == HV_OK, "%s", hv_last_error());
    return g;
}

START_TEST(network_f32_and_f16_runs_repeat) {
    for (int f16 = 0; f16 < 2; f16++) {
        hv_graph *g = small_network(f16 ? HV_F16 : HV_F32);
        size_t n_in = 2 * 8 * 12 * 12, n_out = 2 * 12 * 12 * 24;
        double bound = f16 ? 1e-5 : 1e-9;
        double e = compare(g, n_in, n_out, 31, "network");
        ck_assert_msg(e <= bound, "network %s: NMSE %.3g", f16 ? "f16" : "f32", e);
        /* one CPU plan, three runs: inputs A, B, then A again without setting it (it must survive) */
        hv_plan *ph = NULL, *pr = NULL;
        ck_assert_int_eq(hv_plan_create(g, host_dev(), NULL, &ph), HV_OK);
        ck_assert_int_eq(hv_plan_create(g, NULL, NULL, &pr), HV_OK);
        float *a = malloc(n_in * 4), *b = malloc(n_in * 4), *ya = malloc(n_out * 4), *yb = malloc(n_out * 4),
              *ya2 = malloc(n_out * 4), *rb = malloc(n_out * 4);
        hvtest_fill_uniform(a, n_in, 41, -1.0f, 1.0f);
        hvtest_fill_uniform(b, n_in, 42, -1.0f, 1.0f);
        ck_assert_int_eq(hv_plan_set_input(ph, "x", a, HV_F32, n_in), HV_OK);
        ck_assert_int_eq(hv_plan_run(ph), HV_OK);
        ck_assert_int_eq(hv_plan_get_output(ph, "y", ya, n_out), HV_OK);
        ck_assert_int_eq(hv_plan_set_input(ph, "x", b, HV_F32, n_in), HV_OK);
        ck_assert_int_eq(hv_plan_run(ph), HV_OK);
        ck_assert_int_eq(hv_plan_get_output(ph, "y", yb, n_out), HV_OK);
        ck_assert_int_eq(hv_plan_set_input(pr, "x", b, HV_F32, n_in), HV_OK);
        ck_assert_int_eq(hv_plan_run(pr), HV_OK);
        ck_assert_int_eq(hv_plan_get_output(pr, "y", rb, n_out), HV_OK);
        ck_assert_msg(hvtest_nmse(yb, rb, n_out) <= bound, "second input: NMSE %.3g", hvtest_nmse(yb, rb, n_out));
        ck_assert_int_eq(hv_plan_set_input(ph, "x", a, HV_F32, n_in), HV_OK);
        ck_assert_int_eq(hv_plan_run(ph), HV_OK);
        ck_assert_int_eq(hv_plan_run(ph), HV_OK); /* again, input not set again */
        ck_assert_int_eq(hv_plan_get_output(ph, "y", ya2, n_out), HV_OK);
        ck_assert_int_eq(memcmp(ya, ya2, n_out * 4), 0); /* deterministic and the input intact */
        ck_assert_uint_gt(hv_plan_peak_bytes(ph), 0);
        hv_plan_free(ph);
        hv_plan_free(pr);
        free(a), free(b), free(ya), free(yb), free(ya2), free(rb);
        hv_graph_free(g);
    }
}
END_TEST

START_TEST(computed_weights_run_the_reference) {
    hv_graph *g = NULL;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = d4(HV_F32, 1, 4, 6, 6);
    hv_tensor *x = hv_graph_input(g, "x", &xd);
    hv_tensor *w = weight(g, "w", d4(HV_F32, 5, 4, 3, 3), 51, 0.4f);
    w = hv_activate(g, w, HV_ACT_SIGMOID, "w_sigmoid"); /* weights computed in the graph: not constant */
    hv_conv2d_params p = {0};
    hv_tensor *y = hv_conv2d(g, x, w, NULL, NULL, &p, "conv");
    ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
    double e = compare(g, 4 * 36, 5 * 16, 52, "computed weights");
    ck_assert_msg(e <= 1e-12, "NMSE %.3g (the reference should have run)", e);
    hv_graph_free(g);
}
END_TEST

START_TEST(the_cpu_device) {
    const hv_device_info *list = NULL;
    uint32_t n = 0;
    ck_assert_msg(hv_device_list(&list, &n) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_ge(n, 1);
    ck_assert(list[n - 1].host); /* listed last */
    for (uint32_t i = 0; i + 1 < n; i++) ck_assert(!list[i].host);
    ck_assert_ptr_nonnull(strstr(list[n - 1].name, "cpu"));
    ck_assert_uint_ge(list[n - 1].threads, 1);
    uint32_t chosen = 99;
    ck_assert_int_eq(hv_device_choose(list, n, "cpu", &chosen), HV_OK);
    ck_assert_uint_eq(chosen, n - 1);
    char idx[16];
    snprintf(idx, sizeof idx, "%u", n - 1);
    hv_device *by_index = NULL, *by_name = host_dev();
    ck_assert_msg(hv_device_open(idx, &by_index) == HV_OK, "%s", hv_last_error());
    ck_assert(hv_device_get_info(by_index)->host && hv_device_get_info(by_name)->host);
    ck_assert_uint_eq(hv_device_get_info(by_index)->index, n - 1);
    ck_assert_str_eq(hv_device_get_info(by_index)->name, hv_device_get_info(by_name)->name);
    hv_device_close(by_index);
    hv_device *spaced = NULL;
    ck_assert_int_eq(hv_device_open("  CPU ", &spaced), HV_OK);
    ck_assert(hv_device_get_info(spaced)->host);
    hv_device_close(spaced);
    /* runs on it move nothing between host and device */
    hv_graph *g = small_network(HV_F32);
    (void)compare(g, 2 * 8 * 12 * 12, 2 * 12 * 12 * 24, 61, "network");
    hv_transfer_stats ts;
    hv_device_transfer_stats(host_dev(), &ts);
    ck_assert_uint_eq(ts.uploads + ts.downloads + ts.submits, 0);
    hv_graph_free(g);
}
END_TEST

int main(void) {
    Suite *s = suite_create("host_backend");
    TCase *tc = tcase_create("host_backend");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, conv2d_geometries);
    tcase_add_test(tc, conv2d_activations);
    tcase_add_test(tc, linear_shapes);
    tcase_add_test(tc, deconv_shapes);
    tcase_add_test(tc, roi_align_geometries);
    tcase_add_test(tc, dcnv3_geometries);
    tcase_add_test(tc, binary_broadcasts);
    tcase_add_test(tc, unary_activations_and_cast);
    tcase_add_test(tc, network_f32_and_f16_runs_repeat);
    tcase_add_test(tc, computed_weights_run_the_reference);
    tcase_add_test(tc, the_cpu_device);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
