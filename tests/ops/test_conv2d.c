/* conv2d: TF-SAME pad resolution, shape errors, a hand-computed case, and Vulkan vs the CPU reference
 * over the geometries the models use (EfficientNet TF-SAME 3×3/5×5 s2, depthwise 7×7 p3, ConvNeXt 4×4 s4
 * stem and 2×2 s2 downsample, InternImage 3×3 s2 p1, FPN 1×1 and 3×3) plus edge cases (1×1 images,
 * kernels larger than the input, C not a multiple of 4, N > 1, dilation, groups), every kernel forced,
 * each in both kernel families (HEMOVK_KERNELS=gpu: shared-memory tiles, 64 × 64 for the GEMM kernels;
 * cpu: the *_cpu.comp kernels), and the GEMM kernels once more with their 32 × 32 tile and once with fp16
 * arithmetic (the f16a variants). */
/* CTEST_SPLIT_BY_TCASE cpu vulkan_a vulkan_b vulkan_c vulkan_d vulkan_tile32 vulkan_fp16_arith */
#include <string.h>

#include "opsconv_test.h"
#include "optest.h"

static hv_tensor_desc d4(int64_t a, int64_t b, int64_t c, int64_t d) {
    return (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {a, b, c, d}};
}
static hv_tensor_desc d1(int64_t a) { return (hv_tensor_desc){.dtype = HV_F32, .rank = 1, .dims = {a, 1, 1, 1}}; }

/* MODEL_SPEC §2.2/§2.3 table: (I, k, s) → (pad_before, pad_after). */
START_TEST(tf_same_pads) {
    static const struct { int64_t in, k; int32_t s, before, after; int64_t out; } t[] = {
        {224, 3, 2, 0, 1, 112}, {112, 3, 1, 1, 1, 112}, {56, 5, 2, 1, 2, 28}, {14, 5, 1, 2, 2, 14},
        {14, 5, 2, 1, 2, 7},    {7, 3, 1, 1, 1, 7},     {9, 3, 2, 1, 1, 5},   {1, 3, 2, 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        hv_conv2d_params p = {.stride_h = t[i].s, .stride_w = t[i].s, .same_tf = true};
        hv_tensor_desc x = d4(1, 2, t[i].in, t[i].in), w = d4(4, 2, t[i].k, t[i].k);
        hv_conv2d_geom g;
        ck_assert_int_eq(hv_conv2d_resolve(&p, &x, &w, &g), HV_OK);
        ck_assert_int_eq(g.pt, t[i].before);
        ck_assert_int_eq(g.pl, t[i].before);
        ck_assert_int_eq(g.pb, t[i].after);
        ck_assert_int_eq(g.pr, t[i].after);
        ck_assert_int_eq(g.oh, t[i].out);
    }
}
END_TEST

START_TEST(algo_choice) {
    hv_conv2d_geom g;
    hv_conv2d_params p = {0};
    hv_tensor_desc x = d4(1, 8, 5, 5);
    hv_tensor_desc w1 = d4(4, 8, 1, 1), w3 = d4(4, 8, 3, 3), wd = d4(8, 1, 3, 3);
    ck_assert_int_eq(hv_conv2d_resolve(&p, &x, &w1, &g), HV_OK);
    ck_assert_int_eq(g.algo, HV_CONV_ALGO_POINTWISE);
    ck_assert_int_eq(hv_conv2d_resolve(&p, &x, &w3, &g), HV_OK);
    ck_assert_int_eq(g.algo, HV_CONV_ALGO_IMPLICIT_GEMM);
    p.groups = 8;
    ck_assert_int_eq(hv_conv2d_resolve(&p, &x, &wd, &g), HV_OK);
    ck_assert_int_eq(g.algo, HV_CONV_ALGO_DEPTHWISE);
    p = (hv_conv2d_params){.stride_h = 2, .stride_w = 2};
    ck_assert_int_eq(hv_conv2d_resolve(&p, &x, &w1, &g), HV_OK); /* 1×1 s2 is not a plain GEMM */
    ck_assert_int_eq(g.algo, HV_CONV_ALGO_IMPLICIT_GEMM);
}
END_TEST

START_TEST(shape_errors) {
    hv_tensor_desc out, src[4] = {d4(1, 6, 5, 5), d4(4, 3, 3, 3), d1(4), d4(1, 4, 3, 3)};
    hv_conv2d_params p = {0};
    ck_assert_int_eq(hv_op_conv2d.infer(&p, src, 2, &out), HV_ERR_SHAPE); /* C_in/groups mismatch */
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "[4, 3, 3, 3]"));
    p.groups = 2;
    ck_assert_int_eq(hv_op_conv2d.infer(&p, src, 2, &out), HV_OK);
    ck_assert_int_eq(out.dims[2], 3);
    ck_assert_int_eq(hv_op_conv2d.infer(&p, src, 3, &out), HV_ERR_INVALID_ARGUMENT); /* count vs flags */
    p.has_bias = true;
    src[2] = d1(5);
    ck_assert_int_eq(hv_op_conv2d.infer(&p, src, 3, &out), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "bias"));
    src[2] = d1(4);
    p.has_residual = true;
    src[3] = d4(1, 4, 3, 4);
    ck_assert_int_eq(hv_op_conv2d.infer(&p, src, 4, &out), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "residual"));
    src[3] = d4(1, 4, 3, 3);
    ck_assert_int_eq(hv_op_conv2d.infer(&p, src, 4, &out), HV_OK);
    /* Kernel larger than the input without padding. */
    hv_conv2d_params q = {0};
    hv_tensor_desc big[2] = {d4(1, 2, 2, 2), d4(1, 2, 3, 3)};
    ck_assert_int_eq(hv_op_conv2d.infer(&q, big, 2, &out), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "larger"));
    /* Forced kernels that cannot run the shape. */
    q = (hv_conv2d_params){.algo = HV_CONV_ALGO_POINTWISE, .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1};
    ck_assert_int_eq(hv_op_conv2d.infer(&q, big, 2, &out), HV_ERR_INVALID_ARGUMENT);
    q.algo = HV_CONV_ALGO_DEPTHWISE;
    ck_assert_int_eq(hv_op_conv2d.infer(&q, big, 2, &out), HV_ERR_INVALID_ARGUMENT);
    /* NHWC input and mixed dtypes. */
    hv_tensor_desc nhwc[2] = {d4(1, 5, 5, 2), d4(1, 2, 1, 1)};
    nhwc[0].layout = HV_LAYOUT_NHWC;
    ck_assert_int_eq(hv_op_conv2d.infer(&(hv_conv2d_params){0}, nhwc, 2, &out), HV_ERR_SHAPE);
    hv_tensor_desc mixed[2] = {d4(1, 2, 5, 5), d4(1, 2, 1, 1)};
    mixed[1].dtype = HV_F16;
    ck_assert_int_eq(hv_op_conv2d.infer(&q, mixed, 2, &out), HV_ERR_INVALID_ARGUMENT); /* depthwise forced */
    q.algo = HV_CONV_ALGO_AUTO;
    ck_assert_int_eq(hv_op_conv2d.infer(&q, mixed, 2, &out), HV_ERR_SHAPE);
}
END_TEST

/* 3×3 input 1..9, 2×2 ones kernel, TF-SAME stride 2 → pads (0,1): sums of 2×2 windows at (0,0), (0,2),
 * (2,0), (2,2) with zero padding; bias 0.5, then + residual 100. */
START_TEST(hand_computed) {
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1}, b[1] = {0.5f}, r[4] = {100, 100, 100, 100};
    float y[4];
    hv_conv2d_params p = {.stride_h = 2, .stride_w = 2, .same_tf = true, .has_bias = true, .has_residual = true};
    hv_tensor_desc src[4] = {d4(1, 1, 3, 3), d4(1, 1, 2, 2), d1(1), d4(1, 1, 2, 2)}, out;
    ck_assert_int_eq(hv_op_conv2d.infer(&p, src, 4, &out), HV_OK);
    const float *data[4] = {x, w, b, r};
    ck_assert_int_eq(hv_op_conv2d.ref(&p, src, data, 4, &out, y), HV_OK);
    const float want[4] = {1 + 2 + 4 + 5 + 100.5f, 3 + 6 + 100.5f, 7 + 8 + 100.5f, 9 + 100.5f};
    for (int i = 0; i < 4; i++) ck_assert_float_eq_tol(y[i], want[i], 1e-5);
}
END_TEST

typedef struct conv_case {
    const char *name;
    int64_t n, c, h, w, k, kh, kw;
    hv_conv2d_params p;
} conv_case;

static const conv_case cases[] = {
    {"effnet stem 3x3 s2 same (0,1) silu", 1, 3, 10, 8, 5, 3, 3,
     {.stride_h = 2, .stride_w = 2, .same_tf = true, .has_bias = true, .act = HV_ACT_SILU}},
    {"5x5 s2 same (1,2)", 2, 4, 8, 8, 6, 5, 5, {.stride_h = 2, .stride_w = 2, .same_tf = true}},
    {"dw 3x3 s2 same + bias + silu", 1, 6, 9, 8, 6, 3, 3,
     {.stride_h = 2, .stride_w = 2, .same_tf = true, .groups = 6, .has_bias = true, .act = HV_ACT_SILU}},
    {"dw 5x5 s1 same (2,2)", 2, 5, 7, 6, 5, 5, 5, {.same_tf = true, .groups = 5}},
    {"dw 7x7 p3 + bias + residual (ConvNeXt)", 2, 6, 9, 7, 6, 7, 7,
     {.pad_top = 3, .pad_bottom = 3, .pad_left = 3, .pad_right = 3, .groups = 6, .has_bias = true,
      .has_residual = true}},
    {"4x4 s4 stem (ConvNeXt)", 1, 3, 12, 8, 8, 4, 4, {.stride_h = 4, .stride_w = 4, .has_bias = true}},
    {"2x2 s2 downsample, odd input", 2, 5, 7, 6, 10, 2, 2, {.stride_h = 2, .stride_w = 2, .has_bias = true}},
    {"3x3 s2 p1 (InternImage stem) gelu", 1, 3, 9, 9, 6, 3, 3,
     {.stride_h = 2, .stride_w = 2, .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1,
      .has_bias = true, .act = HV_ACT_GELU}},
    {"1x1 + bias + relu + residual, N=2", 2, 7, 5, 3, 9, 1, 1,
     {.has_bias = true, .act = HV_ACT_RELU, .has_residual = true}},
    {"1x1 many tiles (C_out 70, 9x9)", 1, 20, 9, 9, 70, 1, 1, {.has_bias = true}},
    {"3x3 p1 many tiles (K 180, C_out 70)", 1, 20, 9, 9, 70, 3, 3,
     {.pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1, .has_bias = true, .act = HV_ACT_SIGMOID}},
    {"1x1 s2 (not pointwise)", 1, 3, 5, 5, 4, 1, 1, {.stride_h = 2, .stride_w = 2}},
    {"1x1 image, 3x3 p1", 2, 3, 1, 1, 4, 3, 3, {.pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1}},
    {"kernel 5x5 larger than 3x3 input, p2", 1, 2, 3, 3, 3, 5, 5,
     {.pad_top = 2, .pad_bottom = 2, .pad_left = 2, .pad_right = 2, .has_bias = true}},
    {"dilation 2, asymmetric pads", 1, 3, 8, 7, 5, 3, 3,
     {.dilation_h = 2, .dilation_w = 2, .pad_top = 1, .pad_bottom = 2, .pad_left = 0, .pad_right = 3}},
    {"groups 2, stride (2,1)", 1, 6, 6, 5, 4, 3, 2, {.groups = 2, .stride_h = 2, .stride_w = 1, .pad_left = 1}},
    /* Shapes for the CPU kernels' edges: 128-channel × 128-pixel GEMM tiles (8 × 8 lanes of 16 × 16),
     * fewer pixel lanes on small images, and dwconv_cpu's 16-wide rows, 8-wide rows, and a segment too
     * wide for its registers (dilation 5, 7 taps: the generic dwconv runs). */
    {"1x1 two tiles each way (C_out 150, 12x12) + gelu + residual", 1, 9, 12, 12, 150, 1, 1,
     {.has_bias = true, .act = HV_ACT_GELU, .has_residual = true}},
    {"3x3 p1 groups 2, C_out 2x131 (CPU tile tails), 5x4", 2, 6, 5, 4, 262, 3, 3,
     {.groups = 2, .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1, .has_bias = true}},
    {"dw 3x3 d2 p2, 16-wide rows + residual", 1, 3, 4, 16, 3, 3, 3,
     {.dilation_h = 2, .dilation_w = 2, .pad_top = 2, .pad_bottom = 2, .pad_left = 2, .pad_right = 2,
      .groups = 3, .has_bias = true, .has_residual = true}},
    {"dw 3x3 s2 p1, 23-wide input + relu", 1, 4, 5, 23, 4, 3, 3,
     {.stride_h = 2, .stride_w = 2, .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1, .groups = 4,
      .act = HV_ACT_RELU}},
    {"dw 7x7 dilation 5 p15 (segment past the CPU kernel's registers)", 1, 2, 6, 9, 2, 7, 7,
     {.dilation_h = 5, .dilation_w = 5, .pad_top = 15, .pad_bottom = 15, .pad_left = 15, .pad_right = 15,
      .groups = 2}},
};

static hv_conv_algo algos_for(const conv_case *c, int i) {
    static const hv_conv_algo all[] = {HV_CONV_ALGO_AUTO, HV_CONV_ALGO_DIRECT, HV_CONV_ALGO_IMPLICIT_GEMM,
                                       HV_CONV_ALGO_POINTWISE, HV_CONV_ALGO_DEPTHWISE};
    return all[i];
    (void)c;
}

/* One case on the device with kernel family `fam` and `algo`, against the reference. */
static void check_case(const conv_case *c, int fam, hv_conv_algo algo) {
    const char *family = optest_use_kernel_family(fam);
    hv_conv2d_params p = c->p;
    p.algo = algo;
    int32_t groups = p.groups ? p.groups : 1;
    hv_tensor_desc src[4] = {d4(c->n, c->c, c->h, c->w), d4(c->k, c->c / groups, c->kh, c->kw), d1(c->k)};
    uint32_t n_src = p.has_bias ? 3 : 2;
    hv_tensor_desc out;
    hv_conv2d_params no_res = p; /* the output shape, to make the residual input */
    no_res.has_residual = false;
    hv_status st = hv_op_conv2d.infer(&no_res, src, n_src, &out);
    if (p.algo == HV_CONV_ALGO_POINTWISE || p.algo == HV_CONV_ALGO_DEPTHWISE) {
        if (st == HV_ERR_INVALID_ARGUMENT) return; /* this kernel cannot run the shape: checked above */
    }
    ck_assert_msg(st == HV_OK, "%s: %s", c->name, hv_last_error());
    if (p.has_residual) src[n_src++] = out;
    char what[160];
    snprintf(what, sizeof what, "conv2d %s algo %d, %s kernels", c->name, (int)p.algo, family);
    oc_check(&hv_op_conv2d, &p, src, n_src, what);
}

START_TEST(vulkan_vs_reference) {
    for (int fam = 0; fam < OPTEST_KERNEL_FAMILIES; fam++)
        for (int a = 0; a < 5; a++) check_case(&cases[_i], fam, algos_for(&cases[_i], a));
}
END_TEST

/* The GEMM kernels (implicit GEMM, pointwise) with their 32 × 32 tile, every case (family 0 forces 64). */
START_TEST(vulkan_gemm_tile32) {
    check_case(&cases[_i], OPTEST_FAMILY_GEMM_TILE32, HV_CONV_ALGO_IMPLICIT_GEMM);
    check_case(&cases[_i], OPTEST_FAMILY_GEMM_TILE32, HV_CONV_ALGO_POINTWISE);
}
END_TEST

/* The GEMM kernels with fp16 arithmetic (HEMOVK_FP16_ARITH=1: f16 tensors run conv2d_igemm_f16a /
 * conv2d_1x1_f16a, f32 the f32 kernels), every case, at the same f16 tolerance. */
START_TEST(vulkan_gemm_fp16_arith) {
    check_case(&cases[_i], OPTEST_FAMILY_FP16_ARITH, HV_CONV_ALGO_IMPLICIT_GEMM);
    check_case(&cases[_i], OPTEST_FAMILY_FP16_ARITH, HV_CONV_ALGO_POINTWISE);
}
END_TEST

/* f16 overflow: conv outputs near 8e5 must come back as +65504 (saturated), never +Inf. */
START_TEST(f16_saturates) {
    hv_conv2d_params p = {.pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1};
    hv_tensor_desc src[2] = {d4(1, 4, 3, 3), d4(2, 4, 3, 3)}, out;
    src[0].dtype = src[1].dtype = HV_F16;
    ck_assert_int_eq(hv_op_conv2d.infer(&p, src, 2, &out), HV_OK);
    float x[36], w[72], y[18];
    for (int i = 0; i < 36; i++) x[i] = 150;
    for (int i = 0; i < 72; i++) w[i] = (i < 36) ? 150 : -150;
    const float *data[2] = {x, w};
    /* both families, and the implicit GEMM with fp16 arithmetic (its f16 block sums overflow to Inf first) */
    static const int fams[] = {0, 1, OPTEST_FAMILY_FP16_ARITH};
    for (int f = 0; f < 3; f++)
    for (int a = HV_CONV_ALGO_DIRECT; a <= HV_CONV_ALGO_IMPLICIT_GEMM; a += 2) {
        if (fams[f] == OPTEST_FAMILY_FP16_ARITH && a != HV_CONV_ALGO_IMPLICIT_GEMM) continue;
        optest_use_kernel_family(fams[f]);
        p.algo = (hv_conv_algo)a;
        oc_run_device(&hv_op_conv2d, &p, src, 2, data, &out, y, "conv2d f16 overflow");
        for (int i = 0; i < 18; i++) ck_assert_float_eq(y[i], i < 9 ? 65504.0f : -65504.0f);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("conv2d");
    TCase *tc = tcase_create("cpu");
    tcase_add_test(tc, tf_same_pads);
    tcase_add_test(tc, algo_choice);
    tcase_add_test(tc, shape_errors);
    tcase_add_test(tc, hand_computed);
    suite_add_tcase(s, tc);
    /* The device cases in four parts, each its own CTest test (CTEST_SPLIT_BY_TCASE at the top): every
     * case compiles its own pipelines on lavapipe, and one test of all 21 ran past 10 min on a loaded box. */
    static const char *const k_parts[] = {"vulkan_a", "vulkan_b", "vulkan_c", "vulkan_d"};
    const int n = (int)(sizeof cases / sizeof cases[0]), parts = (int)(sizeof k_parts / sizeof k_parts[0]);
    for (int i = 0; i < parts; i++) {
        TCase *tv = tcase_create(k_parts[i]);
        tcase_set_timeout(tv, 300);
        if (i == 0) tcase_add_test(tv, f16_saturates);
        tcase_add_loop_test(tv, vulkan_vs_reference, n * i / parts, n * (i + 1) / parts);
        suite_add_tcase(s, tv);
    }
    TCase *t32 = tcase_create("vulkan_tile32");
    tcase_set_timeout(t32, 300);
    tcase_add_loop_test(t32, vulkan_gemm_tile32, 0, n);
    suite_add_tcase(s, t32);
    TCase *t16 = tcase_create("vulkan_fp16_arith");
    tcase_set_timeout(t16, 300);
    tcase_add_loop_test(t16, vulkan_gemm_fp16_arith, 0, n);
    suite_add_tcase(s, t16);
    return hvtest_run(s);
}
