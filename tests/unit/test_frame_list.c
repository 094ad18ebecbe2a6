/* Frame lists (issue 12): keys are paths relative to the input root, normalised, so "DIR/", "DIR" and
 * "./DIR//" list the same keys and two folders' "img- (1).png" never share one; recursive listing
 * visits each folder once (a link back to a parent cannot hang it) and reports loops, dangling links
 * and FIFOs with their paths instead of skipping them silently or blocking on them. */
#include "hvtest.h"

#include "hemovk/image.h"
#include "hemovk/log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WCE HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"

static char g_log[16384];

static void sink(hv_log_level level, const char *msg, void *user) {
    (void)user;
    if (level <= HV_LOG_WARN && strlen(g_log) + strlen(msg) + 2 < sizeof g_log) {
        strcat(g_log, msg);
        strcat(g_log, "\n");
    }
}

static void touch_copy(const char *dst) {
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cp '%s/bleeding/Images/img- (1).png' '%s'", WCE, dst);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(normalize_paths) {
    static const char *cases[][2] = {
        {"a//b/./c/", "a/b/c"}, {"./a", "a"},       {"a/../b", "b"},       {"../a/../../b", "../../b"},
        {"/x/../../y", "/y"},   {"//x//y//", "/x/y"}, {".", "."},           {"a/..", "."},
        {"img- (1).png", "img- (1).png"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", cases[i][0]);
        ck_assert_msg(!strcmp(hv_path_normalize(buf), cases[i][1]), "%s -> %s, expected %s", cases[i][0], buf, cases[i][1]);
    }
    /* "" stays "" in its own 1-byte buffer (a list file in the current folder has root ""; writing "."
     * there was a heap overflow under ASan) */
    char *empty = calloc(1, 1);
    ck_assert_str_eq(hv_path_normalize(empty), "");
    free(empty);
}
END_TEST

START_TEST(keys_relative_and_normalised) {
    const char *dir = hvtest_tmpdir("keys");
    char path[4200];
    snprintf(path, sizeof path, "%s/exam/sub", dir);
    ck_assert_int_eq(hv_mkdirs(path), HV_OK);
    snprintf(path, sizeof path, "%s/exam/a.png", dir);
    touch_copy(path);
    snprintf(path, sizeof path, "%s/exam/sub/a.png", dir);
    touch_copy(path);
    const char *spellings[] = {"%s/exam", "%s/exam/", "%s//exam//", "%s/./exam/."};
    for (size_t s = 0; s < 4; s++) {
        char spec[4200];
        snprintf(spec, sizeof spec, spellings[s], dir);
        hv_frame_list *l = NULL;
        ck_assert_int_eq(hv_frame_list_open(spec, 1, &l), HV_OK);
        ck_assert_uint_eq(hv_frame_list_count(l), 2);
        ck_assert_str_eq(hv_frame_list_key(l, 0), "a.png");
        ck_assert_str_eq(hv_frame_list_key(l, 1), "sub/a.png");
        if (s == 1) ck_assert_ptr_null(strstr(hv_frame_list_path(l, 0), "exam//a")); /* no doubled slash added */
        hv_frame_list_free(l);
    }
    /* A glob: keys relative to the folder before the first wildcard. Both WCEBleedGen classes hold
     * "img- (1).png": the keys differ. */
    hv_frame_list *l = NULL;
    ck_assert_int_eq(hv_frame_list_open(WCE "/*/[Ii]mages/img- (1).png", 0, &l), HV_OK);
    ck_assert_uint_eq(hv_frame_list_count(l), 2);
    ck_assert_str_eq(hv_frame_list_key(l, 0), "bleeding/Images/img- (1).png");
    ck_assert_str_eq(hv_frame_list_key(l, 1), "non-bleeding/images/img- (1).png");
    hv_frame_list_free(l);
    /* A list file: relative to its folder. */
    char lst[4200];
    snprintf(lst, sizeof lst, "%s/exam/frames.txt", dir);
    FILE *f = fopen(lst, "w");
    fputs("sub/a.png\n./a.png\n", f);
    fclose(f);
    ck_assert_int_eq(hv_frame_list_open(lst, 0, &l), HV_OK);
    ck_assert_str_eq(hv_frame_list_key(l, 0), "sub/a.png");
    ck_assert_str_eq(hv_frame_list_key(l, 1), "a.png");
    hv_frame_list_free(l);
    /* absolute entries into a dataset: keys relative to the deepest folder holding them all */
    f = fopen(lst, "w");
    fprintf(f, "%s/non-bleeding/images/img- (2).png\n%s/bleeding/Images/img- (2).png\n", WCE, WCE);
    fclose(f);
    ck_assert_int_eq(hv_frame_list_open(lst, 0, &l), HV_OK);
    ck_assert_str_eq(hv_frame_list_key(l, 0), "non-bleeding/images/img- (2).png");
    ck_assert_str_eq(hv_frame_list_key(l, 1), "bleeding/Images/img- (2).png");
    hv_frame_list_free(l);
    f = fopen(lst, "w");
    fprintf(f, "%s/bleeding/Images/img- (2).png\n%s/bleeding/Images/img- (3).png\n", WCE, WCE);
    fclose(f);
    ck_assert_int_eq(hv_frame_list_open(lst, 0, &l), HV_OK);
    ck_assert_str_eq(hv_frame_list_key(l, 1), "img- (3).png");
    hv_frame_list_free(l);
    /* One image: its base name. */
    ck_assert_int_eq(hv_frame_list_open(path, 0, &l), HV_OK);
    ck_assert_str_eq(hv_frame_list_key(l, 0), "a.png");
    hv_frame_list_free(l);
}
END_TEST

/* A folder holding a link to itself and one to its parent, a dangling link and a FIFO named like a
 * frame: recursive listing ends (alarm fails a hang), lists each real frame once and warns about each
 * oddity with its path. */
START_TEST(loops_dangling_links_and_fifos) {
    const char *dir = hvtest_tmpdir("loops");
    char root[4200], path[4300], target[4300];
    snprintf(root, sizeof root, "%s/exam", dir);
    snprintf(path, sizeof path, "%s/deeper", root);
    ck_assert_int_eq(hv_mkdirs(path), HV_OK);
    snprintf(path, sizeof path, "%s/a.png", root);
    touch_copy(path);
    snprintf(path, sizeof path, "%s/deeper/b.png", root);
    touch_copy(path);
    snprintf(path, sizeof path, "%s/self", root);
    ck_assert_int_eq(symlink(".", path), 0);
    snprintf(path, sizeof path, "%s/deeper/up", root);
    ck_assert_int_eq(symlink("..", path), 0);
    snprintf(path, sizeof path, "%s/gone.png", root);
    ck_assert_int_eq(symlink("no-such-file.png", path), 0);
    snprintf(path, sizeof path, "%s/loop.png", root);
    snprintf(target, sizeof target, "%s/loop.png", root);
    ck_assert_int_eq(symlink(target, path), 0); /* a link to itself: ELOOP */
    snprintf(path, sizeof path, "%s/pipe.png", root);
    ck_assert_int_eq(mkfifo(path, 0600), 0);

    g_log[0] = '\0';
    hv_log_set_sink(sink, NULL);
    alarm(20);
    hv_frame_list *l = NULL;
    ck_assert_int_eq(hv_frame_list_open(root, 1, &l), HV_OK);
    alarm(0);
    hv_log_set_sink(NULL, NULL);
    ck_assert_uint_eq(hv_frame_list_count(l), 2);
    ck_assert_str_eq(hv_frame_list_key(l, 0), "a.png");
    ck_assert_str_eq(hv_frame_list_key(l, 1), "deeper/b.png");
    hv_frame_list_free(l);
    ck_assert_msg(strstr(g_log, "/exam/self: folder already listed"), "%s", g_log);
    ck_assert_msg(strstr(g_log, "/exam/deeper/up: folder already listed"), "%s", g_log);
    ck_assert_msg(strstr(g_log, "/exam/gone.png: dangling symbolic link"), "%s", g_log);
    ck_assert_msg(strstr(g_log, "/exam/loop.png: symbolic link loop"), "%s", g_log);
    ck_assert_msg(strstr(g_log, "/exam/pipe.png: not a regular file (a FIFO)"), "%s", g_log);
}
END_TEST

int main(void) {
    Suite *s = suite_create("frame_list");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, normalize_paths);
    tcase_add_test(tc, keys_relative_and_normalised);
    tcase_add_test(tc, loops_dangling_links_and_fifos);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
