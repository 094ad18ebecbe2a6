/* Frames are untrusted input (issue 12): only PNG and JPEG are decoded, known by their magic bytes;
 * headers are checked before any allocation, with messages that say what is wrong; the fuzzer's two
 * stb_image JPEG reproducers are rejected cleanly (under the ASan build too); FIFOs named as frames or
 * weights are refused without blocking; PNG writes that hit a file-size limit fail as HV_ERR_OUTPUT
 * and leave no file behind. */
#include "hvtest.h"

#include "hemovk/image.h"
#include "hemovk/output.h"
#include "hemovk/weights.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPRO HEMOVK_SHARED_DIR "/data/fuzz-repro"
#define IMAGES HEMOVK_SOURCE_DIR "/tests/data/images"
#define FRAME1 HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen/bleeding/Images/img- (1).png"

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n + 1);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (n) ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void assert_error_has(const char *what) {
    ck_assert_msg(strstr(hv_last_error(), what) != NULL, "expected '%s' in: %s", what, hv_last_error());
}

START_TEST(jpeg_baseline_and_progressive_decode) {
    const char *files[] = {IMAGES "/frame-64x48.jpg", IMAGES "/frame-64x48-progressive.jpg"};
    hv_image a, b;
    ck_assert_int_eq(hv_image_load(files[0], &a), HV_OK);
    ck_assert_int_eq(hv_image_load(files[1], &b), HV_OK);
    ck_assert_int_eq(a.width, 64);
    ck_assert_int_eq(a.height, 48);
    ck_assert_int_eq(b.width, 64);
    ck_assert_int_eq(b.height, 48);
    /* two encodings of one picture: close, not equal */
    long diff = 0, sum = 0;
    for (int i = 0; i < 64 * 48 * 3; i++) {
        diff += abs((int)a.rgb[i] - (int)b.rgb[i]);
        sum += a.rgb[i];
    }
    ck_assert_int_gt(sum, 0);
    ck_assert_msg(diff / (64 * 48 * 3) < 8, "mean difference %ld", diff / (64 * 48 * 3));
    hv_image_header h;
    size_t n;
    unsigned char *data = read_all(files[1], &n);
    ck_assert_int_eq(hv_image_probe_memory(data, n, "p.jpg", &h), HV_OK);
    ck_assert_int_eq(h.format, HV_IMAGE_JPEG);
    ck_assert_int_eq(h.progressive, 1);
    free(data);
    hv_image_free(&a);
    hv_image_free(&b);
}
END_TEST

/* Each foreign format under a .png name is refused, the message naming what it is. */
START_TEST(foreign_formats_named_and_refused) {
    static const struct {
        const char *bytes;
        size_t n;
        const char *named;
    } cases[] = {
        {"GIF89a\x10\x00\x10\x00\x80\x00\x00", 13, "GIF"},
        {"8BPS\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03", 14, "Photoshop"},
        {"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 2\n", 45, "Radiance HDR"},
        {"P6\n2 2\n255\n\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 23, "PNM"},
        {"BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00", 12, "BMP"},
        {"not an image at all", 19, "not a PNG or JPEG"},
    };
    const char *dir = hvtest_tmpdir("untrusted");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/frame-%zu.png", dir, i);
        write_bytes(path, cases[i].bytes, cases[i].n);
        hv_image img;
        ck_assert_int_eq(hv_image_load(path, &img), HV_ERR_DECODE);
        ck_assert_ptr_null(img.rgb);
        assert_error_has(cases[i].named);
        assert_error_has(path);
    }
}
END_TEST

/* Header sizes are checked before decoding, and the message gives the claimed size. */
START_TEST(header_limits_before_allocation) {
    size_t n;
    unsigned char *png = read_all(FRAME1, &n);
    hv_image img;
    /* width and height 30000 (0x7530) */
    png[16] = 0, png[17] = 0, png[18] = 0x75, png[19] = 0x30;
    png[20] = 0, png[21] = 0, png[22] = 0x75, png[23] = 0x30;
    ck_assert_int_eq(hv_image_load_memory(png, n, "big.png", &img), HV_ERR_DECODE);
    assert_error_has("PNG header claims 30000×30000 pixels");
    /* 8000x8000 is inside the pixel limit but decoding it would take ~380 MiB: a budget refuses it */
    png[18] = 0x1F, png[19] = 0x40, png[22] = 0x1F, png[23] = 0x40;
    hv_image_header h;
    ck_assert_int_eq(hv_image_probe_memory(png, n, "wide.png", &h), HV_OK);
    ck_assert_int_eq(h.width, 8000);
    ck_assert(h.decode_bytes > (uint64_t)8000 * 8000 * 3);
    ck_assert_int_eq(hv_image_decode_memory(png, n, "wide.png", (uint64_t)64 << 20, &img), HV_ERR_DECODE);
    assert_error_has("decode budget");
    ck_assert_ptr_null(img.rgb);
    free(png);

    /* A JPEG whose frame header claims 60000x60000. */
    unsigned char *jpg = read_all(IMAGES "/frame-64x48.jpg", &n);
    for (size_t i = 2; i + 9 < n; i++)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
            jpg[i + 5] = 0xEA, jpg[i + 6] = 0x60, jpg[i + 7] = 0xEA, jpg[i + 8] = 0x60;
            break;
        }
    ck_assert_int_eq(hv_image_load_memory(jpg, n, "big.jpg", &img), HV_ERR_DECODE);
    assert_error_has("JPEG header claims 60000×60000 pixels");
    /* truncated JPEGs: errors, never crashes */
    unsigned char *good = read_all(IMAGES "/frame-64x48-progressive.jpg", &n);
    size_t cuts[] = {3, 20, 200, n / 2, n - 2};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        hv_status st = hv_image_load_memory(good, cuts[i], "cut.jpg", &img);
        ck_assert_msg(st == HV_ERR_DECODE, "cut at %zu decoded (%d)", cuts[i], st);
    }
    free(good);
    free(jpg);
}
END_TEST

/* The fuzzer's reproducers: stb_image read and wrote out of bounds on them; hemovk must say no. */
START_TEST(fuzz_reproducers_rejected) {
    const char *files[] = {REPRO "/stb_jpeg_huff_decode_heap_oob_read.jpg", REPRO "/stb_jpeg_huffman_oob.jpg"};
    for (int i = 0; i < 2; i++) {
        hv_image img;
        hv_status st = hv_image_load(files[i], &img);
        ck_assert_msg(st == HV_ERR_DECODE, "%s: status %d (%s)", files[i], st, hv_last_error());
        ck_assert_ptr_null(img.rgb);
        assert_error_has("JPEG");
    }
}
END_TEST

/* A FIFO as a frame or as weights: refused at once, never a blocking open(). alarm() fails the test
 * (SIGALRM kills the forked test) if anything blocks. */
START_TEST(fifo_frames_and_weights_refused) {
    const char *dir = hvtest_tmpdir("fifo");
    char fifo[4096];
    snprintf(fifo, sizeof fifo, "%s/frame.png", dir);
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    alarm(10);
    hv_image img;
    ck_assert_int_eq(hv_image_load(fifo, &img), HV_ERR_IO);
    assert_error_has("a FIFO");
    hv_weights *w = NULL;
    ck_assert_int_eq(hv_weights_open(fifo, &w), HV_ERR_IO);
    assert_error_has("a FIFO");
    ck_assert_ptr_null(w);
    hv_frame_list *l = NULL;
    ck_assert_int_ne(hv_frame_list_open(fifo, 0, &l), HV_OK); /* named directly as the input */
    assert_error_has("not a regular file");
    alarm(0);
}
END_TEST

/* A PNG write that hits RLIMIT_FSIZE (EFBIG, like a full disk) fails with HV_ERR_OUTPUT and leaves no
 * file under the final name and no temporary; run in a child so the limit stays there. */
START_TEST(png_write_checked) {
    const char *dir = hvtest_tmpdir("pngfull");
    char path[4096];
    snprintf(path, sizeof path, "%s/full.png", dir);
    unlink(path);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &rl);
        hv_image img;
        if (hv_image_alloc(256, 256, &img)) _exit(10);
        for (size_t i = 0; i < 256 * 256 * 3; i++) img.rgb[i] = (uint8_t)(i * 2654435761u >> 13); /* incompressible */
        hv_status st = hv_image_save_png(path, &img);
        hv_image_free(&img);
        if (st != HV_ERR_OUTPUT) _exit(11);
        if (!strstr(hv_last_error(), "full.png") || !strstr(hv_last_error(), "larger than the system allows")) _exit(12);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    struct stat sb;
    ck_assert_int_ne(stat(path, &sb), 0);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
    ck_assert_int_ne(system(cmd), 0); /* no temporary left */
}
END_TEST

START_TEST(output_file_names_from_keys) {
    const char *dir = hvtest_tmpdir("names");
    hv_frame *f = NULL;
    ck_assert_int_eq(hv_frame_new(3, "/data/x/bleeding/Images/img- (1).png", &f), HV_OK);
    char *p = NULL;
    /* without a key (a frame made outside a run): the base name */
    ck_assert_int_eq(hv_output_frame_file(dir, f, 0, &p), HV_OK);
    ck_assert(strstr(p, "/img- (1).png") && !strstr(p, "Images"));
    free(p);
    ck_assert_int_eq(hv_frame_set_meta(f, HV_FRAME_KEY_META, "bleeding/Images/img- (1).png"), HV_OK);
    ck_assert_int_eq(hv_output_frame_file(dir, f, 0, &p), HV_OK);
    char want[4400];
    snprintf(want, sizeof want, "%s/bleeding/Images/img- (1).png", dir);
    ck_assert_str_eq(p, want);
    free(p);
    ck_assert_int_eq(hv_output_frame_file(dir, f, 1, &p), HV_OK);
    snprintf(want, sizeof want, "%s/bleeding/Images/000003_img- (1).png", dir);
    ck_assert_str_eq(p, want);
    free(p);
    ck_assert_int_eq(hv_frame_set_meta(f, HV_FRAME_KEY_META, "../../etc/a.jpg"), HV_OK);
    ck_assert_int_eq(hv_output_frame_file(dir, f, 0, &p), HV_OK);
    snprintf(want, sizeof want, "%s/%%2e%%2e/%%2e%%2e/etc/a.jpg.png", dir);
    ck_assert_str_eq(p, want);
    free(p);
    hv_frame_free(f);
}
END_TEST

int main(void) {
    Suite *s = suite_create("image_untrusted");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, jpeg_baseline_and_progressive_decode);
    tcase_add_test(tc, foreign_formats_named_and_refused);
    tcase_add_test(tc, header_limits_before_allocation);
    tcase_add_test(tc, fuzz_reproducers_rejected);
    tcase_add_test(tc, fifo_frames_and_weights_refused);
    tcase_add_test(tc, png_write_checked);
    tcase_add_test(tc, output_file_names_from_keys);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
