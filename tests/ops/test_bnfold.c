/* BatchNorm folding: conv(fold(w), fold(b)) must equal BN(conv(w, b)) numerically (EfficientNet's
 * conv→BN with eps 1e-3, MODEL_SPEC §2.1), with and without a conv bias, in place, and bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hvtest.h"
#include "ops/ops_conv_defs.h"

static hv_tensor_desc d4(int64_t a, int64_t b, int64_t c, int64_t d) {
    return (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {a, b, c, d}};
}

/* Compare BN(conv(x; w, b)) against conv(x; fold(w), fold(b)) for one conv geometry. */
static void check_fold(int64_t cin, int64_t cout, int64_t k, int32_t groups, bool with_bias, uint64_t seed) {
    int64_t n = 2, h = 7, w = 6, per = cin / groups * k * k;
    float *x = malloc(sizeof(float) * (size_t)(n * cin * h * w)), *wt = malloc(sizeof(float) * (size_t)(cout * per));
    float bias[16], gamma[16], beta[16], mean[16], var[16], wf[16 * 64], bf[16];
    ck_assert(cout <= 16 && cout * per <= 16 * 64);
    hvtest_fill_uniform(x, (size_t)(n * cin * h * w), seed, -2, 2);
    hvtest_fill_uniform(wt, (size_t)(cout * per), seed + 1, -1, 1);
    hvtest_fill_uniform(bias, 16, seed + 2, -1, 1);
    hvtest_fill_uniform(gamma, 16, seed + 3, 0.5f, 2);
    hvtest_fill_uniform(beta, 16, seed + 4, -1, 1);
    hvtest_fill_uniform(mean, 16, seed + 5, -0.5f, 0.5f);
    hvtest_fill_uniform(var, 16, seed + 6, 0.01f, 3);
    const float eps = 1e-3f;
    ck_assert_int_eq(hv_fold_batchnorm(wt, with_bias ? bias : NULL, gamma, beta, mean, var, eps, cout, per, wf, bf),
                     HV_OK);

    hv_conv2d_params p = {.same_tf = true, .groups = groups, .has_bias = with_bias};
    hv_tensor_desc src[3] = {d4(n, cin, h, w), d4(cout, cin / groups, k, k),
                             {.dtype = HV_F32, .rank = 1, .dims = {cout, 1, 1, 1}}};
    hv_tensor_desc out;
    ck_assert_int_eq(hv_op_conv2d.infer(&p, src, with_bias ? 3 : 2, &out), HV_OK);
    size_t no = (size_t)hv_desc_numel(&out);
    float *y = malloc(sizeof(float) * no), *yf = malloc(sizeof(float) * no), *ybn = malloc(sizeof(float) * no);
    const float *data[3] = {x, wt, bias};
    ck_assert_int_eq(hv_op_conv2d.ref(&p, src, data, with_bias ? 3 : 2, &out, y), HV_OK);
    /* conv → BN in double. */
    int64_t hw = out.dims[2] * out.dims[3];
    for (size_t i = 0; i < no; i++) {
        int64_t o = ((int64_t)i / hw) % cout;
        ybn[i] = (float)(((double)y[i] - mean[o]) / sqrt((double)var[o] + eps) * gamma[o] + beta[o]);
    }
    /* Folded conv always has a bias. */
    hv_conv2d_params pf = p;
    pf.has_bias = true;
    const float *fdata[3] = {x, wf, bf};
    ck_assert_int_eq(hv_op_conv2d.ref(&pf, src, fdata, 3, &out, yf), HV_OK);
    double e = hvtest_nmse(yf, ybn, no);
    ck_assert_msg(e <= 1e-12, "fold nmse %g (cin %lld cout %lld k %lld g %d bias %d)", e, (long long)cin,
                  (long long)cout, (long long)k, groups, with_bias);
    free(x), free(wt), free(y), free(yf), free(ybn);
}

START_TEST(fold_matches_conv_then_bn) {
    check_fold(3, 5, 3, 1, false, 11);   /* stem-like conv without bias (ConvModule with BN) */
    check_fold(3, 5, 3, 1, true, 12);    /* with a conv bias */
    check_fold(6, 6, 5, 6, false, 13);   /* depthwise 5×5 */
    check_fold(8, 4, 1, 1, false, 14);   /* 1×1 projection */
}
END_TEST

START_TEST(fold_in_place) {
    float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -1};
    float gamma[2] = {2, 0.5f}, beta[2] = {1, 0}, mean[2] = {0.5f, 1}, var[2] = {3, 0.25f};
    float w2[6], b2[2];
    ck_assert_int_eq(hv_fold_batchnorm(w, b, gamma, beta, mean, var, 1e-3f, 2, 3, w2, b2), HV_OK);
    ck_assert_int_eq(hv_fold_batchnorm(w, b, gamma, beta, mean, var, 1e-3f, 2, 3, w, b), HV_OK);
    ck_assert_mem_eq(w, w2, sizeof w);
    ck_assert_mem_eq(b, b2, sizeof b);
    /* Known value: channel 0 scale 2/sqrt(3.001). */
    ck_assert(fabs(w2[0] - 2 / sqrt(3.001)) < 1e-6);
    ck_assert(fabs(b2[0] - (1.0)) < 1e-6); /* (0.5 − 0.5)·s + 1 */
}
END_TEST

START_TEST(fold_rejects_bad_input) {
    float w[2] = {1, 2}, g[2] = {1, 1}, be[2] = {0, 0}, m[2] = {0, 0}, v[2] = {1, -1}, wo[2], bo[2];
    ck_assert_int_eq(hv_fold_batchnorm(w, NULL, g, be, m, v, 0.f, 2, 1, wo, bo), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "channel 1"));
    v[1] = 1;
    v[0] = NAN;
    ck_assert_int_eq(hv_fold_batchnorm(w, NULL, g, be, m, v, 1e-3f, 2, 1, wo, bo), HV_ERR_INVALID_ARGUMENT);
    v[0] = 1;
    ck_assert_int_eq(hv_fold_batchnorm(NULL, NULL, g, be, m, v, 1e-3f, 2, 1, wo, bo), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_fold_batchnorm(w, NULL, g, be, m, v, 1e-3f, 0, 1, wo, bo), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_fold_batchnorm(w, NULL, g, be, m, v, -1.f, 2, 1, wo, bo), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("bnfold");
    TCase *tc = tcase_create("fold");
    tcase_add_test(tc, fold_matches_conv_then_bn);
    tcase_add_test(tc, fold_in_place);
    tcase_add_test(tc, fold_rejects_bad_input);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
