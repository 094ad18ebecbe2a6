/* Tensor descriptors and half conversion: exhaustive f16 round trip, rounding ties, overflow. */
#include "hvtest.h"

#include "hemovk/tensor.h"

#include <math.h>
#include <string.h>

START_TEST(desc_helpers) {
    hv_tensor_desc d = {HV_F16, HV_LAYOUT_NCHW, 4, {2, 3, 5, 7}};
    ck_assert_int_eq(hv_desc_numel(&d), 210);
    ck_assert_int_eq(hv_desc_bytes(&d), 420);
    char buf[64];
    ck_assert_str_eq(hv_desc_str(&d, buf, sizeof buf), "[2, 3, 5, 7]");
    ck_assert_str_eq(hv_dtype_name(HV_F32), "f32");
}
END_TEST

START_TEST(half_round_trip_exhaustive) {
    for (uint32_t h = 0; h < 65536; h++) {
        float f = hv_f16_to_f32((uint16_t)h);
        if (isnan(f)) {
            ck_assert(isnan(hv_f16_to_f32(hv_f32_to_f16(f))));
            continue;
        }
        ck_assert_uint_eq(hv_f32_to_f16(f), h);
    }
}
END_TEST

START_TEST(half_rounding_and_overflow) {
    ck_assert_uint_eq(hv_f32_to_f16(1.0f + 1.0f / 2048), 0x3C00); /* tie -> even */
    ck_assert_uint_eq(hv_f32_to_f16(1.0f + 3.0f / 2048), 0x3C02);
    ck_assert(hv_f16_to_f32(hv_f32_to_f16(65504.0f)) == 65504.0f);
    ck_assert(isinf(hv_f16_to_f32(hv_f32_to_f16(65520.0f))));
    ck_assert(hv_f16_to_f32(hv_f32_to_f16(5.9604645e-8f)) == 5.9604645e-8f); /* smallest subnormal */
}
END_TEST

START_TEST(half_saturating_store_rule) {
    /* hemovk's f16 store rule: finite overflow and ±Inf clamp to ±65504, NaN stays NaN, the rest is
     * the ordinary round-to-nearest-even conversion. */
    ck_assert_uint_eq(hv_f32_to_f16_sat(65504.0f), 0x7BFF);
    ck_assert_uint_eq(hv_f32_to_f16_sat(65519.0f), 0x7BFF); /* would round to 65504 anyway */
    ck_assert_uint_eq(hv_f32_to_f16_sat(65520.0f), 0x7BFF); /* would round to Inf: clamped */
    ck_assert_uint_eq(hv_f32_to_f16_sat(1e30f), 0x7BFF);
    ck_assert_uint_eq(hv_f32_to_f16_sat(-1e30f), 0xFBFF);
    ck_assert_uint_eq(hv_f32_to_f16_sat(INFINITY), 0x7BFF);
    ck_assert_uint_eq(hv_f32_to_f16_sat(-INFINITY), 0xFBFF);
    ck_assert(isnan(hv_f16_to_f32(hv_f32_to_f16_sat(NAN))));
    for (uint32_t h = 0; h < 0x7C00; h += 7) { /* every finite half below Inf converts the same way */
        float f = hv_f16_to_f32((uint16_t)h);
        ck_assert_uint_eq(hv_f32_to_f16_sat(f), h);
        ck_assert(hv_f16_round(f) == f);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("tensor_desc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, desc_helpers);
    tcase_add_test(tc, half_round_trip_exhaustive);
    tcase_add_test(tc, half_rounding_and_overflow);
    tcase_add_test(tc, half_saturating_store_rule);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
