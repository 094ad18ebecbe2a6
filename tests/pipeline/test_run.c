/* `hemovk run` end to end on real WCEBleedGen frames (a folder whose name has spaces): quality filter +
 * JSONL, CSV and overlay writers — every frame accounted for in each output and in summary.json; plain
 * progress lines when stderr is not a terminal; corrupt, truncated, zero-byte and huge-dimension images
 * reported by name while the run goes on (exit code 1, 4 failed). */
/* CTEST_ALSO_ON_CPU */
#include "ptest.h"

#include <sys/stat.h>

static int g_rc;

/* Run hemovk with `args` (already quoted), stderr into <dir>/err.txt; returns stderr's text. */
static char *run_cli(const char *dir, const char *args) {
    char err[4200];
    snprintf(err, sizeof err, "%s/err.txt", dir);
    g_rc = ptest_sh("'%s' run %s 2>'%s'", HEMOVK_CLI, args, err);
    char *text = ptest_read(err);
    ck_assert_ptr_nonnull(text);
    return text;
}

static cJSON *read_summary(const char *out) {
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *text = ptest_read(path);
    ck_assert_msg(text != NULL, "no %s", path);
    cJSON *s = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Rows of a CSV file (lines), header excluded. */
static size_t csv_rows(const char *path, const char *must_contain_each) {
    char *text = ptest_read(path);
    ck_assert_msg(text != NULL, "no %s", path);
    size_t rows = ptest_count(text, "\n") - 1;
    ck_assert_msg(!strncmp(text, "id,path,key,label,score,n_detections,max_detection_score,dropped,drop_reason,error,time\n", 88),
                  "%s", text);
    if (must_contain_each) ck_assert_uint_eq(ptest_count(text, must_contain_each), rows);
    free(text);
    return rows;
}

START_TEST(test_quality_writers_real_frames) {
    const char *dir = hvtest_tmpdir("run-real");
    char yaml[4200], out[4200], args[12000];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(out, sizeof out, "%s/out dir", dir);
    ptest_write(yaml,
                "version: 1\n"
                "name: real\n"
                "batch: 3\n"
                "stages:\n"
                "  - {id: quality, component: filter.quality}\n"
                "  - {id: mark, component: test.mark, params: {drop_every: 5}}\n"
                "outputs:\n"
                "  - {component: writer.jsonl, path: results.jsonl}\n"
                "  - {component: writer.csv, path: results.csv}\n"
                "  - {component: writer.overlay, path: overlays}\n");
    snprintf(args, sizeof args, "'%s' --input '%s' --output '%s' --limit 20", yaml, PTEST_FRAMES, out);
    char *err = run_cli(dir, args);
    ck_assert_msg(g_rc == 0, "exit %d: %s", g_rc, err);
    /* not a terminal: plain lines, at least one before the end, and the last one says 20/20 */
    ck_assert_msg(ptest_count(err, "progress: ") >= 3, "%s", err);
    ck_assert_msg(strstr(err, "progress: 20/20 frames (100%)"), "%s", err);
    ck_assert_msg(!strstr(err, "\r"), "a bar was drawn on a non-terminal: %s", err);
    ck_assert_msg(strstr(err, "summary of 'real': 20 frames in, 20 done"), "%s", err);
    free(err);

    char path[4400];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(path);
    ck_assert_uint_eq(j.n, 20);
    int seen[20] = {0};
    size_t dropped = 0;
    for (size_t i = 0; i < j.n; i++) {
        const cJSON *r = j.rows[i];
        ck_assert_ptr_nonnull(r);
        int id = (int)ptest_num(r, "id");
        ck_assert(id >= 0 && id < 20);
        seen[id]++;
        ck_assert_ptr_nonnull(strstr(ptest_str(r, "path"), "/Test Dataset 1/"));
        ck_assert_int_gt((int)ptest_num(r, "width"), 0);
        ck_assert_ptr_nonnull(ptest_meta(r, "quality.luminance"));
        int is_dropped = cJSON_IsTrue(cJSON_GetObjectItem(r, "dropped"));
        dropped += is_dropped;
        if (id % 5 == 4) ck_assert_msg(is_dropped, "frame %d should be dropped", id);
        /* an overlay for every frame that was not dropped, named after the input */
        const char *name = strrchr(ptest_str(r, "path"), '/') + 1;
        char png[4600];
        snprintf(png, sizeof png, "%s/overlays/%.*s.png", out, (int)(strrchr(name, '.') - name), name);
        struct stat sb;
        ck_assert_msg((stat(png, &sb) == 0) == !is_dropped, "overlay %s", png);
    }
    for (int i = 0; i < 20; i++) ck_assert_msg(seen[i] == 1, "frame %d written %d times", i, seen[i]);
    ck_assert_uint_ge(dropped, 4);
    snprintf(path, sizeof path, "%s/results.csv", out);
    ck_assert_uint_eq(csv_rows(path, "Test Dataset 1"), 20);

    cJSON *s = read_summary(out);
    ck_assert_int_eq((int)ptest_num(s, "frames_in"), 20);
    ck_assert_int_eq((int)ptest_num(s, "frames_done"), 20);
    ck_assert_int_eq((int)ptest_num(s, "dropped"), (int)dropped);
    ck_assert_int_eq((int)ptest_num(s, "failed"), 0);
    /* host-only stages: no plan ran, nothing crossed to a device */
    const cJSON *xfer = cJSON_GetObjectItem(s, "device_transfers");
    ck_assert_ptr_nonnull(xfer);
    ck_assert_int_eq((int)ptest_num(xfer, "submits") + (int)ptest_num(xfer, "uploads") + (int)ptest_num(xfer, "downloads"), 0);
    const cJSON *stages = cJSON_GetObjectItem(s, "stages");
    ck_assert_int_eq(cJSON_GetArraySize(stages), 5);
    ck_assert_str_eq(ptest_str(cJSON_GetArrayItem(stages, 0), "id"), "quality");
    ck_assert_int_eq((int)ptest_num(cJSON_GetArrayItem(stages, 0), "ran"), 20);
    cJSON_Delete(s);
    ptest_free_jsonl(&j);
}
END_TEST

static void copy_file(const char *from, const char *to, long max_bytes) {
    char *data = NULL;
    FILE *f = fopen(from, "rb");
    ck_assert_ptr_nonnull(f);
    data = malloc(1 << 22);
    size_t n = fread(data, 1, 1 << 22, f);
    fclose(f);
    if (max_bytes >= 0 && (size_t)max_bytes < n) n = (size_t)max_bytes;
    FILE *g = fopen(to, "wb");
    ck_assert_ptr_nonnull(g);
    fwrite(data, 1, n, g);
    fclose(g);
    free(data);
}

START_TEST(test_bad_images_reported_run_continues) {
    const char *dir = hvtest_tmpdir("run-bad");
    char in[1024], path[2048], src[2048], yaml[1024], out[1024], args[4096];
    snprintf(in, sizeof in, "%s/in put (bad)", dir);
    ck_assert_int_eq(mkdir(in, 0755), 0);
    for (int i = 0; i < 6; i++) {
        snprintf(src, sizeof src, "%s/A%04d.png", PTEST_FRAMES, i);
        snprintf(path, sizeof path, "%s/good (%d).png", in, i);
        copy_file(src, path, -1);
    }
    snprintf(src, sizeof src, "%s/A0000.png", PTEST_FRAMES);
    snprintf(path, sizeof path, "%s/truncated.png", in);
    copy_file(src, path, 300);
    snprintf(path, sizeof path, "%s/zero.png", in);
    copy_file(src, path, 0);
    snprintf(path, sizeof path, "%s/corrupt.png", in);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 4096; i++) fputc((i * 7919 + 13) & 0xff, f);
    fclose(f);
    /* huge: a real PNG whose IHDR claims 100000 x 100000 pixels */
    snprintf(path, sizeof path, "%s/huge.png", in);
    copy_file(src, path, -1);
    f = fopen(path, "r+b");
    fseek(f, 16, SEEK_SET);
    const unsigned char dims[8] = {0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0};
    fwrite(dims, 1, 8, f);
    fclose(f);

    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    ptest_write(yaml,
                "version: 1\nstages:\n  - {id: quality, component: filter.quality}\n"
                "outputs:\n  - {component: writer.jsonl}\n  - {component: writer.csv}\n");
    snprintf(args, sizeof args, "'%s' --input '%s' --output '%s' --batch 4", yaml, in, out);
    char *err = run_cli(dir, args);
    ck_assert_msg(g_rc == 1, "exit %d (want 1: some frames failed): %s", g_rc, err);
    const char *bad[4] = {"truncated.png", "zero.png", "corrupt.png", "huge.png"};
    for (int i = 0; i < 4; i++) {
        /* a warning naming the file, and the summary listing it */
        const char *w = strstr(err, "cannot be decoded");
        ck_assert_ptr_nonnull(w);
        ck_assert_msg(ptest_count(err, bad[i]) >= 2, "%s not named twice in: %s", bad[i], err);
    }
    ck_assert_msg(strstr(err, "0 bytes") && strstr(err, "truncated"), "reasons missing: %s", err);
    free(err);
    cJSON *s = read_summary(out);
    ck_assert_int_eq((int)ptest_num(s, "frames_in"), 10);
    ck_assert_int_eq((int)ptest_num(s, "frames_done"), 10);
    ck_assert_int_eq((int)ptest_num(s, "failed"), 4);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s, "failures")), 4);
    cJSON_Delete(s);
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(path);
    ck_assert_uint_eq(j.n, 10);
    int errors = 0;
    for (size_t i = 0; i < j.n; i++) {
        const char *e = ptest_str(j.rows[i], "error");
        if (!e) continue;
        errors++;
        const char *name = strrchr(ptest_str(j.rows[i], "path"), '/') + 1;
        ck_assert_msg(strstr(e, name), "error '%s' does not name %s", e, name);
        ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j.rows[i], "dropped")));
    }
    ck_assert_int_eq(errors, 4);
    ptest_free_jsonl(&j);
    snprintf(path, sizeof path, "%s/results.csv", out);
    ck_assert_uint_eq(csv_rows(path, NULL), 10);
}
END_TEST

START_TEST(test_usage_errors) {
    const char *dir = hvtest_tmpdir("run-usage");
    char args[8400], yaml[4200];
    char *err = run_cli(dir, "");
    ck_assert_int_eq(g_rc, 2);
    free(err);
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    ptest_write(yaml, "version: 1\nstages:\n  - {id: q, component: filter.quality, params: {min_luminance: -1}}\n");
    snprintf(args, sizeof args, "'%s' --output '%s/out'", yaml, dir);
    err = run_cli(dir, args);
    ck_assert_msg(g_rc == 3 && strstr(err, "p.yaml:3:64"), "exit %d: %s", g_rc, err);
    free(err);
    /* --resume without a JSONL output: says what to add */
    ptest_write(yaml, "version: 1\nstages:\n  - {id: q, component: filter.quality}\n");
    snprintf(args, sizeof args, "'%s' --input '%s' --output '%s/out' --resume", yaml, PTEST_FRAMES, dir);
    err = run_cli(dir, args);
    ck_assert_msg(g_rc == 3 && strstr(err, "writer.jsonl"), "exit %d: %s", g_rc, err);
    free(err);
}
END_TEST

int main(void) {
    ptest_env();
    Suite *s = suite_create("pipeline.run");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_quality_writers_real_frames);
    tcase_add_test(tc, test_bad_images_reported_run_continues);
    tcase_add_test(tc, test_usage_errors);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
