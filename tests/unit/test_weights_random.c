/* hv_weights_random_init, the made-up weights of `weights: {random: {seed}}`: the same (seed, name,
 * shape) always gives the same values, another seed or name other values, and each kind of tensor lands
 * in the range that keeps a deep network finite (He-uniform for conv/linear, near 1 for norm scales,
 * [0.5, 1.5] for BN running_var, near 0 for biases). Through hv_weights_set_synthesizer a set hands them
 * to a model builder for any tensor it lacks. */
#include "hvtest.h"

#include "hemovk/weights.h"

#include <math.h>
#include <string.h>

static void range(const float *x, size_t n, float lo, float hi, const char *what) {
    float mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++) mn = fminf(mn, x[i]), mx = fmaxf(mx, x[i]);
    ck_assert_msg(mn >= lo && mx <= hi, "%s: [%g, %g] outside [%g, %g]", what, mn, mx, lo, hi);
    /* and spread over it, not a constant */
    ck_assert_msg(mx - mn > 0.5f * (hi - lo), "%s: [%g, %g] covers too little of [%g, %g]", what, mn, mx, lo, hi);
}

START_TEST(deterministic_and_scaled_like_an_init) {
    uint64_t seed = 7, other = 8;
    enum { N = 64 * 3 * 3 * 3 };
    static float a[N], b[N];
    const int64_t conv[4] = {64, 3, 3, 3};
    ck_assert_int_eq(hv_weights_random_init(&seed, "backbone.stem.conv.weight", 4, conv, a), HV_OK);
    ck_assert_int_eq(hv_weights_random_init(&seed, "backbone.stem.conv.weight", 4, conv, b), HV_OK);
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    float bound = sqrtf(6.0f / 27.0f);
    range(a, N, -bound, bound, "conv weight");
    ck_assert_int_eq(hv_weights_random_init(&other, "backbone.stem.conv.weight", 4, conv, b), HV_OK);
    ck_assert_int_ne(memcmp(a, b, sizeof a), 0);
    ck_assert_int_eq(hv_weights_random_init(&seed, "backbone.stem.conv2.weight", 4, conv, b), HV_OK);
    ck_assert_int_ne(memcmp(a, b, sizeof a), 0);

    const int64_t c[1] = {512};
    ck_assert_int_eq(hv_weights_random_init(&seed, "layers.0.bn.running_var", 1, c, a), HV_OK);
    range(a, 512, 0.5f, 1.5f, "running_var");
    ck_assert_int_eq(hv_weights_random_init(&seed, "layers.0.bn.weight", 1, c, a), HV_OK);
    range(a, 512, 0.9f, 1.1f, "bn weight");
    ck_assert_int_eq(hv_weights_random_init(&seed, "stages.0.1.gamma", 1, c, a), HV_OK);
    range(a, 512, 0.9f, 1.1f, "layer scale");
    ck_assert_int_eq(hv_weights_random_init(&seed, "layers.0.bn.bias", 1, c, a), HV_OK);
    range(a, 512, -0.01f, 0.01f, "bias");
    ck_assert_int_eq(hv_weights_random_init(&seed, "layers.0.bn.running_mean", 1, c, a), HV_OK);
    range(a, 512, -0.01f, 0.01f, "running_mean");
    const int64_t fc[2] = {2, 640};
    ck_assert_int_eq(hv_weights_random_init(&seed, "head.fc.weight", 2, fc, a), HV_OK);
    range(a, 1280, -sqrtf(6.0f / 640.0f), sqrtf(6.0f / 640.0f), "linear weight");
    ck_assert_int_eq(hv_weights_random_init(NULL, "x", 1, c, a), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(a_synthetic_set_serves_any_tensor) {
    hv_weights *w = NULL;
    uint64_t seed = 3;
    ck_assert_int_eq(hv_weights_create("random(seed=3)", &w), HV_OK);
    ck_assert_int_eq(hv_weights_set_synthesizer(w, hv_weights_random_init, &seed), HV_OK);
    ck_assert_int_eq(hv_weights_is_synthetic(w), 1);
    float got[8 * 4], want[8 * 4];
    const int64_t dims[2] = {8, 4};
    ck_assert_msg(hv_weights_read_f32_shape(w, "neck.fpn.weight", 2, dims, got) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(hv_weights_random_init(&seed, "neck.fpn.weight", 2, dims, want), HV_OK);
    ck_assert_int_eq(memcmp(got, want, sizeof got), 0);
    ck_assert_int_eq(hv_weights_has(w, "neck.fpn.weight"), 0); /* made up on demand, not stored */
    hv_weights_free(w);
}
END_TEST

int main(void) {
    Suite *s = suite_create("unit.weights_random");
    TCase *tc = tcase_create("random_init");
    tcase_add_test(tc, deterministic_and_scaled_like_an_init);
    tcase_add_test(tc, a_synthetic_set_serves_any_tensor);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
