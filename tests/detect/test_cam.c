/* CAM (§8): Eigen-CAM against numpy's SVD projection (sign rule, ReLU, normalisation), the channel-mean
 * map and its constant-map guard, the jet LUT against the matplotlib algorithm, PIL bilinear resize
 * against Pillow, and the blend's truncation. */
#include <math.h>
#include <stdlib.h>

#include "detect_testutil.h"
#include "hemovk/detect.h"

/* expected Eigen-CAM from a projection: sign rule, ReLU, min-max with 1e-7 */
static void expected_cam(const double *proj, size_t n, float *out) {
    double lo = proj[0], hi = proj[0];
    for (size_t i = 1; i < n; ++i) { lo = fmin(lo, proj[i]); hi = fmax(hi, proj[i]); }
    const double sg = fabs(lo) > fabs(hi) ? -1 : 1;
    double *r = malloc(n * sizeof *r), rl = INFINITY, rh = -INFINITY;
    for (size_t i = 0; i < n; ++i) { r[i] = fmax(sg * proj[i], 0); rl = fmin(rl, r[i]); rh = fmax(rh, r[i]); }
    for (size_t i = 0; i < n; ++i) out[i] = (float)((r[i] - rl) / (rh - rl + 1e-7));
    free(r);
}

START_TEST(eigen_cam_matches_numpy_svd) {
    /* two shapes: C > HW (Gram over pixels, like P6 4×4×256) and C < HW (Gram over channels) */
    const int shapes[2][3] = {{64, 4, 4}, {6, 9, 11}};
    for (int k = 0; k < 2; ++k) {
        const int c = shapes[k][0], h = shapes[k][1], w = shapes[k][2];
        const size_t n = (size_t)c * h * w, P = (size_t)h * w;
        float *act = malloc(n * sizeof *act), *cam = malloc(P * sizeof *cam), *want = malloc(P * sizeof *want);
        hvtest_fill_uniform(act, n, 11 + (uint64_t)k, -1, 1);
        /* a strong spatial pattern along a channel direction gives a clear first component */
        for (int ch = 0; ch < c; ++ch)
            for (size_t p = 0; p < P; ++p) act[(size_t)ch * P + p] += 3.0f * sinf(0.7f * (float)p) * (ch % 3 == 0 ? 1.0f : -0.5f);
        act[5] = NAN; /* NaN → 0 */
        cJSON *req = cJSON_CreateObject();
        float *clean = malloc(n * sizeof *clean);
        for (size_t i = 0; i < n; ++i) clean[i] = isnan(act[i]) ? 0 : act[i];
        cJSON_AddItemToObject(req, "act", dt_floats(clean, n));
        cJSON_AddNumberToObject(req, "c", c);
        cJSON_AddNumberToObject(req, "h", h);
        cJSON_AddNumberToObject(req, "w", w);
        cJSON *ans = dt_python("eigen", req, "detect_eigen");
        ck_assert_ptr_nonnull(ans);
        double *proj = malloc(P * sizeof *proj);
        for (size_t p = 0; p < P; ++p) proj[p] = cJSON_GetArrayItem(cJSON_GetObjectItem(ans, "proj"), (int)p)->valuedouble;
        expected_cam(proj, P, want);
        ck_assert_int_eq(hv_cam_eigen(act, c, h, w, cam), HV_OK);
        double md = 0;
        for (size_t p = 0; p < P; ++p) md = fmax(md, fabs(cam[p] - want[p]));
        printf("Eigen-CAM %dx%dx%d: max |diff| vs numpy SVD %.3g\n", c, h, w, md);
        ck_assert_msg(md <= 1e-4, "Eigen-CAM differs from numpy by %g", md);
        /* the sign rule was applied: the max of the normalised map is 1 (up to the 1e-7) */
        float mx = 0;
        for (size_t p = 0; p < P; ++p) mx = fmaxf(mx, cam[p]);
        ck_assert(mx > 0.999f);
        free(act); free(cam); free(want); free(clean); free(proj);
        cJSON_Delete(ans);
    }
    float z[8] = {0};
    float out[4];
    ck_assert_int_eq(hv_cam_eigen(z, 2, 2, 2, out), HV_OK); /* no variance: zeros, no NaN */
    for (int i = 0; i < 4; ++i) ck_assert(out[i] == 0);
    ck_assert_int_eq(hv_cam_eigen(z, 0, 2, 2, out), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(channel_mean_map) {
    /* 2 channels 2×2: means 0, 1, 2, 3 → 0, 1/3, 2/3, 1 */
    const float act[8] = {0, 2, 4, 6, 0, 0, 0, 0};
    float out[4];
    ck_assert_int_eq(hv_cam_channel_mean(act, 2, 2, 2, out), HV_OK);
    ck_assert(out[0] == 0 && fabsf(out[1] - 1.0f / 3) < 1e-7f && fabsf(out[2] - 2.0f / 3) < 1e-7f && out[3] == 1);
    const float flat[8] = {5, 5, 5, 5, 1, 1, 1, 1};
    ck_assert_int_eq(hv_cam_channel_mean(flat, 2, 2, 2, out), HV_OK);
    for (int i = 0; i < 4; ++i) ck_assert(out[i] == 0); /* constant map: zeros, not NaN */
}
END_TEST

START_TEST(jet_lut_and_colouring) {
    cJSON *ans = dt_python("jet", cJSON_CreateObject(), "detect_jet");
    ck_assert_ptr_nonnull(ans);
    const uint8_t *lut = hv_cam_jet_lut();
    const cJSON *ref = cJSON_GetObjectItem(ans, "lut");
    ck_assert_int_eq(cJSON_GetArraySize(ref), 768);
    for (int i = 0; i < 768; ++i) ck_assert_msg(lut[i] == cJSON_GetArrayItem(ref, i)->valueint, "jet LUT entry %d channel %d", i / 3, i % 3);
    cJSON_Delete(ans);
    /* spot values: jet(0) = (0, 0, 0.5) → 127; jet(1) = (0.5, 0, 0) → 127 */
    ck_assert(lut[0] == 0 && lut[1] == 0 && lut[2] == 127 && lut[765] == 127 && lut[766] == 0 && lut[767] == 0);
    const float v[5] = {0.0f, 1.0f, 0.5f, 255.0f / 256.0f - 1e-7f, -0.2f};
    uint8_t rgb[15];
    hv_cam_jet(v, 5, rgb);
    ck_assert(rgb[3] == lut[765] && rgb[6] == lut[128 * 3] && rgb[9] == lut[254 * 3] && rgb[12] == lut[0]);
}
END_TEST

START_TEST(pil_resize_and_blend) {
    enum { SH = 4, SW = 4, DH = 37, DW = 50 };
    uint8_t src[SH * SW * 3];
    float r[SH * SW * 3];
    hvtest_fill_uniform(r, SH * SW * 3, 3, 0, 255.99f);
    for (int i = 0; i < SH * SW * 3; ++i) src[i] = (uint8_t)r[i];
    cJSON *req = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    for (int i = 0; i < SH * SW * 3; ++i) cJSON_AddItemToArray(arr, cJSON_CreateNumber(src[i]));
    cJSON_AddItemToObject(req, "rgb", arr);
    cJSON_AddNumberToObject(req, "sh", SH);
    cJSON_AddNumberToObject(req, "sw", SW);
    cJSON_AddNumberToObject(req, "dh", DH);
    cJSON_AddNumberToObject(req, "dw", DW);
    cJSON *ans = dt_python("pil", req, "detect_pil");
    static uint8_t dst[DH * DW * 3];
    ck_assert_int_eq(hv_cam_resize_rgb_pil(src, SH, SW, dst, DH, DW), HV_OK);
    if (ans) {
        const cJSON *ref = cJSON_GetObjectItem(ans, "rgb");
        int bad = 0;
        for (int i = 0; i < DH * DW * 3; ++i) bad += dst[i] != cJSON_GetArrayItem(ref, i)->valueint;
        printf("PIL bilinear 4x4 -> %dx%d: %d of %d bytes differ from Pillow\n", DH, DW, bad, DH * DW * 3);
        ck_assert_int_eq(bad, 0);
        cJSON_Delete(ans);
    }
    /* float bilinear: half-pixel centres, edges clamped */
    const float f[4] = {0, 1, 2, 3};
    float o[16];
    ck_assert_int_eq(hv_cam_resize_f32(f, 2, 2, o, 4, 4), HV_OK);
    ck_assert(o[0] == 0 && fabsf(o[1] - 0.25f) < 1e-7f && o[15] == 3);
    /* blend truncates: (3 + 4)/2 = 3.5 → 3 */
    const uint8_t a[3] = {3, 255, 0}, b[3] = {4, 254, 1};
    uint8_t c[3];
    hv_cam_blend(a, b, 1, c);
    ck_assert(c[0] == 3 && c[1] == 254 && c[2] == 0);
    ck_assert_int_eq(hv_cam_resize_rgb_pil(src, 0, SW, dst, DH, DW), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("detect_cam");
    TCase *tc = tcase_create("cam");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, eigen_cam_matches_numpy_svd);
    tcase_add_test(tc, channel_mean_map);
    tcase_add_test(tc, jet_lut_and_colouring);
    tcase_add_test(tc, pil_resize_and_blend);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
