/* Image preprocessing (MODEL_SPEC §1): the Vulkan normalise/pad shader vs its CPU reference, hand
 * values for both model paths (classifier raw RGB; detector BGR→RGB + mmdet mean/std + pad to 32), the
 * packed-byte layout, mmcv's keep-ratio size rule, and the cv2-style uint8 resize on hand cases. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"
#include "opsdcn_vk.h"

static const float k_mean[3] = {123.675f, 116.28f, 103.53f};
static const float k_std[3] = {58.395f, 57.12f, 57.375f};

static hv_preprocess_params detector_params(int h, int w, hv_dtype dt) {
    hv_preprocess_params p = {.in_h = h, .in_w = w, .swap_rb = true, .out_dtype = dt};
    hv_preprocess_padded_size(h, w, 32, &p.out_h, &p.out_w);
    for (int c = 0; c < 3; ++c) {
        p.mean[c] = k_mean[c];
        p.inv_std[c] = (float)(1.0 / k_std[c]);
    }
    return p;
}

/** Random frames packed into words (as f32-typed storage for the op contract). */
static float *packed_frames(int n, int h, int w, uint64_t seed, uint8_t **pixels_out) {
    size_t bytes = (size_t)n * h * w * 3;
    uint8_t *px = malloc(bytes);
    uint64_t s = seed;
    for (size_t i = 0; i < bytes; ++i) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        px[i] = (uint8_t)(s >> 56);
    }
    int64_t words = hv_preprocess_packed_words(h, w);
    uint32_t *packed = malloc((size_t)(n * words) * 4);
    hv_preprocess_pack(px, n, h, w, packed);
    *pixels_out = px;
    return (float *)packed; /* raw bits; the op reads them as bytes */
}

static void run_vk(int n, int h, int w, hv_preprocess_params p) {
    uint8_t *px;
    float *packed = packed_frames(n, h, w, 77 + (uint64_t)(h * w), &px);
    hv_tensor_desc src = {.dtype = HV_F32, .rank = 2, .dims = {n, hv_preprocess_packed_words(h, w), 1, 1}}, dst;
    ck_assert_msg(hv_op_preprocess.infer(&p, &src, 1, &dst) == HV_OK, "%s", hv_last_error());
    size_t nd = (size_t)hv_desc_numel(&dst);
    float *ref = malloc(nd * 4), *got = malloc(nd * 4);
    const float *sd[1] = {packed};
    hv_preprocess_params p32 = p;
    p32.out_dtype = HV_F32;
    hv_tensor_desc d32 = dst;
    d32.dtype = HV_F32;
    ck_assert(hv_op_preprocess.ref(&p32, &src, sd, 1, &d32, ref) == HV_OK);
    /* the reference itself, on one pixel of each image: unpack by hand */
    for (int i = 0; i < n; ++i) {
        const int y = h / 2, x = w - 1;
        for (int c = 0; c < 3; ++c) {
            const int cin = p.swap_rb ? 2 - c : c;
            const double raw = px[(((size_t)i * h + y) * w + x) * 3 + cin];
            const double inv = p.inv_std[c] == 0.0f ? 1.0 : p.inv_std[c];
            const double want = (raw - p.mean[c]) * inv;
            const float r = ref[(((size_t)i * 3 + c) * dst.dims[2] + y) * dst.dims[3] + x];
            ck_assert_msg(fabs(r - want) <= 1e-5 * (1 + fabs(want)), "ref pixel: %g vs %g", (double)r, want);
        }
    }
    ck_assert_msg(opsdcn_run(&hv_op_preprocess, &p, &src, sd, 1, &dst, got) == HV_OK, "%s", hv_last_error());
    if (p.out_dtype == HV_F16) opsdcn_round_f16(ref, nd);
    double e = hvtest_nmse(got, ref, nd);
    printf("preprocess %s %d×%dx%d → %lldx%lld swap=%d: NMSE %.3e\n", hv_dtype_name(p.out_dtype), n, w, h,
           (long long)dst.dims[3], (long long)dst.dims[2], p.swap_rb, e);
    ck_assert_msg(e <= (p.out_dtype == HV_F16 ? 1e-7 : 1e-12), "NMSE %.3e", e);
    /* padding is exactly 0 after normalisation */
    for (int i = 0; i < n; ++i)
        for (int c = 0; c < 3; ++c)
            for (int64_t y = 0; y < dst.dims[2]; ++y)
                for (int64_t x = 0; x < dst.dims[3]; ++x)
                    if (y >= h || x >= w) ck_assert(got[(((size_t)i * 3 + c) * dst.dims[2] + y) * dst.dims[3] + x] == 0.0f);
    free(px); free(packed); free(ref); free(got);
}

START_TEST(classifier_raw_rgb) {
    hv_preprocess_params p = {.in_h = 9, .in_w = 7, .out_dtype = HV_F32};
    run_vk(2, 9, 7, p);
    /* raw: exactly the byte values */
    uint8_t px[2 * 2 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251, 255};
    uint32_t packed[3];
    hv_preprocess_pack(px, 1, 2, 2, packed);
    ck_assert_uint_eq(packed[0], 0x04030201u);
    ck_assert_uint_eq(packed[2], 0xFFFBFA09u);
    hv_preprocess_params q = {.in_h = 2, .in_w = 2, .out_dtype = HV_F32};
    hv_tensor_desc src = {.dtype = HV_F32, .rank = 2, .dims = {1, 3, 1, 1}}, dst;
    ck_assert(hv_op_preprocess.infer(&q, &src, 1, &dst) == HV_OK);
    float out[12];
    const float *sd[1] = {(const float *)packed};
    ck_assert(hv_op_preprocess.ref(&q, &src, sd, 1, &dst, out) == HV_OK);
    const float want[12] = {1, 4, 7, 250, 2, 5, 8, 251, 3, 6, 9, 255}; /* NCHW: plane R, G, B */
    for (int i = 0; i < 12; ++i) ck_assert_float_eq(out[i], want[i]);
}
END_TEST

START_TEST(detector_bgr_normalise_pad) {
    run_vk(1, 37, 50, detector_params(37, 50, HV_F32));
    run_vk(2, 33, 32, detector_params(33, 32, HV_F32));
    run_vk(1, 5, 3, detector_params(5, 3, HV_F32));
    if (hv_device_get_info(opsdcn_device())->storage16) run_vk(1, 37, 50, detector_params(37, 50, HV_F16));
    else hvtest_skip("preprocess f16: the device has no 16-bit storage");
    /* one BGR pixel by hand: (B, G, R) = (10, 20, 30) → RGB planes normalised */
    uint8_t px[3] = {10, 20, 30};
    uint32_t packed[1];
    hv_preprocess_pack(px, 1, 1, 1, packed);
    hv_preprocess_params p = detector_params(1, 1, HV_F32);
    ck_assert_int_eq(p.out_h, 32);
    hv_tensor_desc src = {.dtype = HV_F32, .rank = 2, .dims = {1, 1, 1, 1}}, dst;
    ck_assert(hv_op_preprocess.infer(&p, &src, 1, &dst) == HV_OK);
    ck_assert_int_eq(dst.dims[2], 32);
    ck_assert_int_eq(dst.dims[3], 32);
    float *out = malloc(3 * 32 * 32 * 4);
    const float *sd[1] = {(const float *)packed};
    ck_assert(hv_op_preprocess.ref(&p, &src, sd, 1, &dst, out) == HV_OK);
    ck_assert(fabs(out[0] - (30 - 123.675) / 58.395) < 1e-5);
    ck_assert(fabs(out[1024] - (20 - 116.28) / 57.12) < 1e-5);
    ck_assert(fabs(out[2048] - (10 - 103.53) / 57.375) < 1e-5);
    ck_assert(out[1] == 0.0f && out[32] == 0.0f);
    free(out);
}
END_TEST

START_TEST(shape_errors) {
    hv_preprocess_params p = {.in_h = 4, .in_w = 4, .out_dtype = HV_F32};
    hv_tensor_desc src = {.dtype = HV_F32, .rank = 2, .dims = {1, 11, 1, 1}}, dst;
    ck_assert_int_eq(hv_op_preprocess.infer(&p, &src, 1, &dst), HV_ERR_SHAPE); /* 4·4·3/4 = 12 words */
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "12"));
    src.dims[1] = 12;
    ck_assert_int_eq(hv_op_preprocess.infer(&p, &src, 1, &dst), HV_OK);
    p.out_h = 3;
    ck_assert_int_eq(hv_op_preprocess.infer(&p, &src, 1, &dst), HV_ERR_INVALID_ARGUMENT);
    p.out_h = 0;
    p.in_w = 0;
    ck_assert_int_eq(hv_op_preprocess.infer(&p, &src, 1, &dst), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(keep_ratio_and_pad_sizes) {
    int32_t w, h;
    double s;
    ck_assert(hv_preprocess_keep_ratio_size(224, 224, 224, 224, &w, &h, &s) == HV_OK);
    ck_assert(w == 224 && h == 224 && s == 1.0);
    ck_assert(hv_preprocess_keep_ratio_size(640, 480, 224, 224, &w, &h, &s) == HV_OK);
    ck_assert_int_eq(w, 224);
    ck_assert_int_eq(h, 168);
    ck_assert(hv_preprocess_keep_ratio_size(100, 50, 224, 224, &w, &h, &s) == HV_OK); /* upscale */
    ck_assert(w == 224 && h == 112);
    ck_assert(hv_preprocess_keep_ratio_size(640, 480, 1333, 800, &w, &h, &s) == HV_OK); /* mmdet default scale */
    ck_assert_int_eq(w, 1067);
    ck_assert_int_eq(h, 800);
    ck_assert(hv_preprocess_keep_ratio_size(0, 480, 224, 224, &w, &h, &s) == HV_ERR_INVALID_ARGUMENT);
    int32_t ph, pw;
    hv_preprocess_padded_size(168, 224, 32, &ph, &pw);
    ck_assert(ph == 192 && pw == 224);
    hv_preprocess_padded_size(1, 33, 32, &ph, &pw);
    ck_assert(ph == 32 && pw == 64);
}
END_TEST

START_TEST(resize_u8_hand_cases) {
    /* 2 → 4 (one row, one channel): fx = (dx+0.5)/2 − 0.5 → taps (0,1)·{0, .25, .75, 0(clamped)} */
    const uint8_t a[2] = {0, 100};
    uint8_t out[64];
    ck_assert(hv_preprocess_resize_u8(a, 2, 1, 1, out, 4, 1) == HV_OK);
    ck_assert(out[0] == 0 && out[1] == 25 && out[2] == 75 && out[3] == 100);
    /* 2 → 3: the middle sample is 127.5, which cv2's fixed point rounds up to 128 */
    const uint8_t b[2] = {0, 255};
    ck_assert(hv_preprocess_resize_u8(b, 2, 1, 1, out, 3, 1) == HV_OK);
    ck_assert(out[0] == 0 && out[1] == 128 && out[2] == 255);
    /* same size: a copy */
    const uint8_t c[2 * 2 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    ck_assert(hv_preprocess_resize_u8(c, 2, 2, 3, out, 2, 2) == HV_OK);
    ck_assert(memcmp(out, c, sizeof c) == 0);
    /* exact 2× down: INTER_AREA, (sum + 2) >> 2 per channel */
    const uint8_t d[4 * 2] = {1, 2, 10, 11, 4, 4, 13, 14};
    ck_assert(hv_preprocess_resize_u8(d, 4, 2, 1, out, 2, 1) == HV_OK);
    ck_assert_int_eq(out[0], (1 + 2 + 4 + 4 + 2) >> 2);
    ck_assert_int_eq(out[1], (10 + 11 + 13 + 14 + 2) >> 2);
    /* 2-D upscale of a constant image stays constant; of a vertical ramp stays a ramp, rows clamp */
    const uint8_t e[3 * 2] = {50, 50, 50, 200, 200, 200}; /* 3 wide, 2 tall */
    ck_assert(hv_preprocess_resize_u8(e, 3, 2, 1, out, 5, 4) == HV_OK);
    for (int x = 0; x < 5; ++x) {
        ck_assert_int_eq(out[x], 50);            /* fy < 0 → row 0 */
        ck_assert_int_eq(out[5 + x], 88);        /* fy = .25: 50·.75 + 200·.25 = 87.5 → 88 */
        ck_assert_int_eq(out[10 + x], 163);      /* fy = .75: 162.5 → 163 */
        ck_assert_int_eq(out[15 + x], 200);
    }
    ck_assert(hv_preprocess_resize_u8(e, 3, 2, 5, out, 5, 4) == HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("preprocess");
    TCase *tc = tcase_create("preprocess");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, classifier_raw_rgb);
    tcase_add_test(tc, detector_bgr_normalise_pad);
    tcase_add_test(tc, shape_errors);
    tcase_add_test(tc, keep_ratio_and_pad_sizes);
    tcase_add_test(tc, resize_u8_hand_cases);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
