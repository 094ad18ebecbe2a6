/* Overlay drawing: shapes land where asked, clip at the border, text leaves ink. */
#include "hvtest.h"

#include "hemovk/draw.h"

static int px(const hv_image *img, int x, int y) {
    const uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
    return (p[0] << 16) | (p[1] << 8) | p[2];
}

START_TEST(rect_and_clipping) {
    hv_image img;
    ck_assert_int_eq(hv_image_alloc(20, 10, &img), HV_OK);
    hv_draw_rect(&img, 2, 2, 6, 5, 0xFF0000, 1);
    ck_assert_int_eq(px(&img, 2, 2), 0xFF0000);
    ck_assert_int_eq(px(&img, 6, 5), 0xFF0000);
    ck_assert_int_eq(px(&img, 4, 3), 0); /* inside stays untouched */
    hv_draw_rect(&img, -50, -50, 100, 100, 0x00FF00, 2); /* entirely past the border: clipped, no crash */
    hv_draw_fill(&img, -3, -3, 30, 30, 0x0000FF, 1.0f);
    ck_assert_int_eq(px(&img, 19, 9), 0x0000FF);
    hv_image_free(&img);
}
END_TEST

START_TEST(text_leaves_ink) {
    hv_image img;
    ck_assert_int_eq(hv_image_alloc(120, 30, &img), HV_OK);
    int w = hv_draw_text(&img, 2, 2, "bleeding 0.97", 0xFFFFFF, 1);
    ck_assert_int_gt(w, 30);
    int white = 0;
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 120; x++) white += px(&img, x, y) == 0xFFFFFF;
    ck_assert_int_gt(white, 20);
    hv_image_free(&img);
}
END_TEST

START_TEST(mask_outline_is_boundary) {
    hv_image img;
    ck_assert_int_eq(hv_image_alloc(8, 8, &img), HV_OK);
    uint8_t mask[64] = {0};
    for (int y = 2; y <= 5; y++)
        for (int x = 2; x <= 5; x++) mask[y * 8 + x] = 1;
    hv_draw_mask_outline(&img, mask, 0xFFFF00);
    ck_assert_int_eq(px(&img, 2, 2), 0xFFFF00);
    ck_assert_int_eq(px(&img, 5, 3), 0xFFFF00);
    ck_assert_int_eq(px(&img, 3, 3), 0); /* interior */
    ck_assert_int_eq(px(&img, 1, 1), 0); /* outside */
    hv_image_free(&img);
}
END_TEST

START_TEST(blend_truncates) {
    hv_image a, b;
    ck_assert_int_eq(hv_image_alloc(1, 1, &a), HV_OK);
    ck_assert_int_eq(hv_image_alloc(1, 1, &b), HV_OK);
    a.rgb[0] = 3; b.rgb[0] = 0; /* 0.5*3 = 1.5 -> 1 (truncation as numpy uint8 cast) */
    a.rgb[1] = 255; b.rgb[1] = 254;
    hv_draw_blend(&a, &b, 0.5f);
    ck_assert_int_eq(a.rgb[0], 1);
    ck_assert_int_eq(a.rgb[1], 254);
    hv_image_free(&a);
    hv_image_free(&b);
}
END_TEST

int main(void) {
    Suite *s = suite_create("draw");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rect_and_clipping);
    tcase_add_test(tc, text_leaves_ink);
    tcase_add_test(tc, mask_outline_is_boundary);
    tcase_add_test(tc, blend_truncates);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
