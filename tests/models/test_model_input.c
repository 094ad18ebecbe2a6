/* The graph front (hv_model_input): packed uint8 frames → the float image, in both conventions of
 * MODEL_SPEC §1 — raw 0..255 RGB (the paper's classifier) and BGR frames with ImageNet mean/std and
 * padding to 32 (the detectors) — checked value by value against the formula, on Vulkan and the CPU
 * backend, f32 and f16. */
/* CTEST_ALSO_ON_CPU */
#include <math.h>

#include "models_testutil.h"

static void check_front(hv_device *dev, hv_dtype dt, hv_input_norm norm, bool bgr, int pad, int n, int h, int w) {
    hv_graph *g;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_model_input_params ip = {.batch = n, .height = h, .width = w, .norm = norm, .bgr = bgr, .pad_divisor = pad,
                                .dtype = dt};
    hv_tensor *packed, *image;
    ck_assert_msg(hv_model_input(g, &ip, &packed, &image) == HV_OK, "%s", hv_last_error());
    const hv_tensor_desc *d = hv_tensor_get_desc(image);
    int ph = pad > 1 ? (h + pad - 1) / pad * pad : h, pw = pad > 1 ? (w + pad - 1) / pad * pad : w;
    ck_assert_int_eq(d->dims[0], n);
    ck_assert_int_eq(d->dims[1], 3);
    ck_assert_int_eq(d->dims[2], ph);
    ck_assert_int_eq(d->dims[3], pw);
    ck_assert_int_eq(hv_graph_output(g, image, "image"), HV_OK);
    hv_plan *plan;
    ck_assert_msg(hv_plan_create(g, dev, NULL, &plan) == HV_OK, "%s", hv_last_error());
    size_t bytes = (size_t)n * h * w * 3;
    uint8_t *px = malloc(bytes);
    for (size_t i = 0; i < bytes; i++) px[i] = (uint8_t)((i * 37 + 11) % 256);
    int64_t words = hv_preprocess_packed_words(h, w);
    uint32_t *pk = calloc((size_t)(n * words), 4);
    hv_preprocess_pack(px, n, h, w, pk);
    ck_assert_int_eq(hv_plan_set_input(plan, "frames", pk, HV_F32, (size_t)(n * words)), HV_OK);
    ck_assert_msg(hv_plan_run(plan) == HV_OK, "%s", hv_last_error());
    size_t total = (size_t)n * 3 * ph * pw;
    float *out = malloc(total * sizeof(float));
    ck_assert_int_eq(hv_plan_get_output(plan, "image", out, total), HV_OK);
    static const double mean[3] = {123.675, 116.28, 103.53}, stdv[3] = {58.395, 57.12, 57.375};
    double worst = 0;
    for (int b = 0; b < n; b++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < ph; y++)
                for (int x = 0; x < pw; x++) {
                    double want = 0;
                    if (y < h && x < w) {
                        double v = px[(((size_t)b * h + y) * w + x) * 3 + (bgr ? 2 - c : c)];
                        want = norm == HV_INPUT_IMAGENET ? (v - mean[c]) / stdv[c] : v;
                    }
                    double got = out[(((size_t)b * 3 + c) * ph + y) * pw + x];
                    double e = fabs(got - want) / (norm == HV_INPUT_IMAGENET ? 2.7 : 255.0);
                    if (e > worst) worst = e;
                }
    ck_assert_msg(worst <= (dt == HV_F16 ? 1e-3 : 1e-6), "front %s norm %d bgr %d: %g", hv_dtype_name(dt), (int)norm,
                  (int)bgr, worst);
    free(px), free(pk), free(out);
    hv_plan_free(plan);
    hv_graph_free(g);
}

START_TEST(both_conventions) {
    hv_device *dev = mt_device();
    for (int dt = 0; dt < 2; dt++) {
        check_front(dev, (hv_dtype)dt, HV_INPUT_RAW_RGB, false, 0, 2, 13, 17);
        check_front(dev, (hv_dtype)dt, HV_INPUT_IMAGENET, true, 32, 1, 45, 38);
    }
    check_front(NULL, HV_F32, HV_INPUT_RAW_RGB, false, 0, 1, 9, 7);
    check_front(NULL, HV_F32, HV_INPUT_IMAGENET, true, 32, 2, 33, 20);
    hv_device_close(dev);
    ck_assert_int_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(bad_parameters) {
    hv_graph *g;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor *packed, *image;
    hv_model_input_params ip = {.batch = 0, .height = 8, .width = 8};
    ck_assert_int_eq(hv_model_input(g, &ip, &packed, &image), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(image);
    hv_graph_free(g);
}
END_TEST


/* The host-side twin gives the device op's values exactly (same constants, same f32 rounding). */
START_TEST(host_twin_matches_the_graph_op) {
    const int h = 11, w = 9;
    uint8_t px[11 * 9 * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)((i * 53 + 7) % 256);
    uint32_t pk[256];
    ck_assert_int_le(hv_preprocess_packed_words(h, w), 256);
    hv_preprocess_pack(px, 1, h, w, pk);
    for (int norm = 0; norm < 2; norm++) {
        hv_graph *g;
        ck_assert_int_eq(hv_graph_create(&g), HV_OK);
        hv_model_input_params ip = {.batch = 1, .height = h, .width = w, .norm = (hv_input_norm)norm, .dtype = HV_F32};
        hv_tensor *packed, *image;
        ck_assert_int_eq(hv_model_input(g, &ip, &packed, &image), HV_OK);
        ck_assert_int_eq(hv_graph_output(g, image, "image"), HV_OK);
        hv_plan *plan;
        ck_assert_int_eq(hv_plan_create(g, NULL, NULL, &plan), HV_OK);
        ck_assert_int_eq(hv_plan_set_input(plan, "frames", pk, HV_F32, (size_t)hv_preprocess_packed_words(h, w)), HV_OK);
        ck_assert_int_eq(hv_plan_run(plan), HV_OK);
        float dev_out[3 * 11 * 9], host_out[3 * 11 * 9];
        ck_assert_int_eq(hv_plan_get_output(plan, "image", dev_out, 3 * h * w), HV_OK);
        ck_assert_int_eq(hv_model_input_host(px, h, w, (hv_input_norm)norm, host_out), HV_OK);
        for (int i = 0; i < 3 * h * w; i++) ck_assert_msg(dev_out[i] == host_out[i], "norm %d [%d]: %.9g vs %.9g", norm, i, host_out[i], dev_out[i]);
        hv_plan_free(plan);
        hv_graph_free(g);
    }
    ck_assert_int_eq(hv_model_input_host(px, 0, w, HV_INPUT_RAW_RGB, (float[1]){0}), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("models.model_input");
    TCase *tc = tcase_create("front");
    tcase_add_test(tc, both_conventions);
    tcase_add_test(tc, bad_parameters);
    tcase_add_test(tc, host_twin_matches_the_graph_op);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return hvtest_run(suite()); }
