/* Frame decoding and frame lists: bad images are clear errors, never crashes; real WCEBleedGen names work. */
#include "hvtest.h"

#include "hemovk/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA HEMOVK_SHARED_DIR "/data/wcebleedgen"
#define FRAME1 DATA "/WCEBleedGen/bleeding/Images/img- (1).png"

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (n) ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

START_TEST(real_frame_decodes) {
    hv_image img;
    ck_assert_int_eq(hv_image_load(FRAME1, &img), HV_OK);
    ck_assert_int_eq(img.width, 224);
    ck_assert_int_eq(img.height, 224);
    long sum = 0;
    for (int i = 0; i < 224 * 224 * 3; i++) sum += img.rgb[i];
    ck_assert_int_gt(sum, 0);
    hv_image_free(&img);
    ck_assert_ptr_null(img.rgb);
}
END_TEST

START_TEST(bad_images_are_clear_errors) {
    const char *dir = hvtest_tmpdir("image");
    char path[4096];
    hv_image img;

    snprintf(path, sizeof path, "%s/zero.png", dir);
    write_bytes(path, "", 0);
    ck_assert_int_eq(hv_image_load(path, &img), HV_ERR_DECODE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "empty file"));
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "zero.png"));

    snprintf(path, sizeof path, "%s/garbage.png", dir);
    write_bytes(path, "this is not a png at all, just text", 35);
    ck_assert_int_eq(hv_image_load(path, &img), HV_ERR_DECODE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "garbage.png"));

    /* Truncations of a real frame at many lengths: each is an error or (header-only cut) never a crash. */
    size_t n;
    unsigned char *png = read_all(FRAME1, &n);
    /* (A cut that only loses the trailing IEND chunk still holds every pixel, so it is not listed.) */
    size_t cuts[] = {1, 8, 16, 33, 57, 100, n / 4, n / 2, n - 40};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        hv_status st = hv_image_load_memory(png, cuts[i], "cut.png", &img);
        ck_assert_msg(st == HV_ERR_DECODE, "truncation at %zu bytes decoded (status %d)", cuts[i], st);
        ck_assert_ptr_null(img.rgb);
    }

    /* Corrupted IHDR claiming 100000 x 100000 pixels: rejected before any allocation. */
    unsigned char *huge = malloc(n);
    memcpy(huge, png, n);
    huge[16] = 0x00; huge[17] = 0x01; huge[18] = 0x86; huge[19] = 0xA0; /* width 100000 */
    huge[20] = 0x00; huge[21] = 0x01; huge[22] = 0x86; huge[23] = 0xA0; /* height 100000 */
    ck_assert_int_eq(hv_image_load_memory(huge, n, "huge.png", &img), HV_ERR_DECODE);
    ck_assert_msg(strstr(hv_last_error(), "100000") || strstr(hv_last_error(), "huge.png"), "%s", hv_last_error());
    free(huge);
    free(png);

    ck_assert_int_eq(hv_image_load("/nonexistent/frame.png", &img), HV_ERR_IO);
}
END_TEST

START_TEST(png_round_trip) {
    hv_image a, b;
    ck_assert_int_eq(hv_image_alloc(5, 3, &a), HV_OK);
    for (int i = 0; i < 5 * 3 * 3; i++) a.rgb[i] = (uint8_t)(i * 7);
    char path[4096];
    snprintf(path, sizeof path, "%s/rt (1).png", hvtest_tmpdir("png"));
    ck_assert_int_eq(hv_image_save_png(path, &a), HV_OK);
    ck_assert_int_eq(hv_image_load(path, &b), HV_OK);
    ck_assert_int_eq(memcmp(a.rgb, b.rgb, 45), 0);
    hv_image_free(&a);
    hv_image_free(&b);
}
END_TEST

START_TEST(natural_order) {
    ck_assert_int_lt(hv_natural_compare("img- (2).png", "img- (10).png"), 0);
    ck_assert_int_gt(hv_natural_compare("img- (100).png", "img- (99).png"), 0);
    ck_assert_int_lt(hv_natural_compare("A0049.png", "A0050.png"), 0);
    ck_assert_int_eq(hv_natural_compare("a1", "a1"), 0);
}
END_TEST

START_TEST(lists_from_folder_glob_and_file) {
    hv_frame_list *l;
    ck_assert_int_eq(hv_frame_list_open(DATA "/WCEBleedGen/bleeding/Images", 0, &l), HV_OK);
    ck_assert_uint_eq(hv_frame_list_count(l), 1309);
    ck_assert_ptr_nonnull(strstr(hv_frame_list_path(l, 0), "img- (1).png"));
    ck_assert_ptr_nonnull(strstr(hv_frame_list_path(l, 1), "img- (2).png"));
    ck_assert_ptr_nonnull(strstr(hv_frame_list_path(l, 1308), "img- (1309).png"));
    hv_frame_list_free(l);

    ck_assert_int_eq(hv_frame_list_open(DATA "/test/Test Dataset 1/A00[0-1]*.png", 0, &l), HV_OK);
    ck_assert_uint_eq(hv_frame_list_count(l), 19); /* A0000-A0019 without A0015 */
    hv_frame_list_free(l);

    const char *dir = hvtest_tmpdir("list");
    char lst[4096];
    snprintf(lst, sizeof lst, "%s/exam.txt", dir);
    FILE *f = fopen(lst, "w");
    fprintf(f, "# two frames, absolute, in my order\n\n%s/WCEBleedGen/bleeding/Images/img- (10).png\n"
               "%s/WCEBleedGen/bleeding/Images/img- (2).png\n", DATA, DATA);
    fclose(f);
    ck_assert_int_eq(hv_frame_list_open(lst, 0, &l), HV_OK);
    ck_assert_uint_eq(hv_frame_list_count(l), 2);
    ck_assert_ptr_nonnull(strstr(hv_frame_list_path(l, 0), "(10)"));
    hv_frame_list_free(l);

    ck_assert_int_eq(hv_frame_list_open("/nonexistent/*.png", 0, &l), HV_ERR_NOT_FOUND);
    ck_assert_int_eq(hv_frame_list_open("/nonexistent", 0, &l), HV_ERR_IO);
}
END_TEST

START_TEST(output_folders) {
    const char *dir = hvtest_tmpdir("mkdirs");
    char path[4096];
    snprintf(path, sizeof path, "%s/a b/(c)/d", dir);
    ck_assert_int_eq(hv_mkdirs(path), HV_OK);
    ck_assert_int_eq(hv_mkdirs(path), HV_OK); /* already there: fine */
    snprintf(path, sizeof path, "%s/x/y/results.jsonl", dir);
    ck_assert_int_eq(hv_mkdirs_for(path), HV_OK);
    snprintf(path, sizeof path, "%s/x/y/file", dir);
    write_bytes(path, "x", 1);
    snprintf(path, sizeof path, "%s/x/y/file/sub", dir);
    ck_assert_int_eq(hv_mkdirs(path), HV_ERR_IO);
    snprintf(path, sizeof path, "%s/x/y/file", dir);
    ck_assert_int_eq(hv_mkdirs(path), HV_ERR_IO);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "not a folder"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("image");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, real_frame_decodes);
    tcase_add_test(tc, bad_images_are_clear_errors);
    tcase_add_test(tc, png_round_trip);
    tcase_add_test(tc, natural_order);
    tcase_add_test(tc, lists_from_folder_glob_and_file);
    tcase_add_test(tc, output_folders);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
