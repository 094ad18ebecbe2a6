/* Pipeline-cache persistence across processes: a child process (this binary run again with
 * "--child", never fork() with Vulkan live) builds a pipeline and closes the device, which writes
 * the cache file; a second child must load it. Damaged files (flipped data byte, truncation, another
 * device's key, a foreign Vulkan header with a valid checksum, garbage) are ignored with a warning
 * naming the file, and the run still succeeds and rewrites a good file. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hemovk/log.h"
#include "hvtest.h"
#include "vulkan/runtime.h"

extern char **environ;
static const char *g_self;

#define HEADER 56 /* hemovk cache header: magic 8, version 4, vendor/device/driver 12, uuid 16, size 8, fnv 8 */

/* ---- child mode --------------------------------------------------------------------------------- */

static char g_warned_path[1024];
static unsigned g_cache_warnings;
static void child_sink(hv_log_level level, const char *msg, void *user) {
    (void)user;
    if (level == HV_LOG_WARN && strstr(msg, "pipeline cache") && strstr(msg, g_warned_path) && strstr(msg, "ignored"))
        g_cache_warnings++;
    fprintf(stderr, "child: %s\n", msg);
}

/* argv: --child <expect: loaded|empty|warned>. Exit 0 when the expectation holds. */
static int child_main(const char *expect) {
    hv_device *dev = NULL;
    if (hv_device_open(NULL, &dev) != HV_OK) {
        fprintf(stderr, "child: open failed: %s\n", hv_last_error());
        return 10;
    }
    uint64_t loaded = hv_device_pipeline_cache_loaded(dev);
    uint32_t spec[1] = {64};
    hv_vk_pipeline_desc d = {.shader = "rt_scale", .n_bindings = 2, .push_size = 12, .n_spec = 1, .spec = spec};
    hv_vk_pipeline *p = NULL;
    hv_status st = hv_vk_pipeline_get(dev, &d, &p);
    hv_device_close(dev);
    if (st) {
        fprintf(stderr, "child: pipeline failed: %s\n", hv_last_error());
        return 11;
    }
    if (hv_validation_message_count() != 0) return 12;
    fprintf(stderr, "child: loaded %llu bytes, %u cache warnings\n", (unsigned long long)loaded, g_cache_warnings);
    if (!strcmp(expect, "loaded")) return loaded > 0 ? 0 : 13;
    if (!strcmp(expect, "empty")) return loaded == 0 && g_cache_warnings == 0 ? 0 : 14;
    if (!strcmp(expect, "warned")) return loaded == 0 && g_cache_warnings >= 1 ? 0 : 15;
    return 16;
}

/* ---- parent side --------------------------------------------------------------------------------- */

static int run_child(const char *expect) {
    char *argv[] = {(char *)g_self, "--child", (char *)expect, NULL};
    pid_t pid;
    if (posix_spawn(&pid, g_self, NULL, NULL, argv, environ) != 0) return -1;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static char g_cache_file[2048];

/* Fresh cache folder, one child writes, the next loads; remembers the file path. */
static void prime(const char *tag) {
    const char *dir = hvtest_tmpdir(tag);
    ck_assert_ptr_nonnull(dir);
    char xdg[1024];
    snprintf(xdg, sizeof xdg, "%s/nested/cache", dir); /* missing folders are created */
    setenv("XDG_CACHE_HOME", xdg, 1);
    ck_assert_int_eq(run_child("empty"), 0);
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "ls %s/hemovk/pipelines-*.bin 2>/dev/null | head -1", xdg);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(g_cache_file, sizeof g_cache_file, f));
    pclose(f);
    g_cache_file[strcspn(g_cache_file, "\n")] = 0;
    struct stat st;
    ck_assert_int_eq(stat(g_cache_file, &st), 0);
    ck_assert_int_ge(st.st_size, HEADER + 32); /* our header + at least Vulkan's */
    ck_assert_int_eq(run_child("loaded"), 0);
}

static long file_size(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void patch_byte(const char *path, long at, unsigned char x) {
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, at, SEEK_SET), 0);
    int c = fgetc(f);
    ck_assert_int_ne(c, EOF);
    ck_assert_int_eq(fseek(f, at, SEEK_SET), 0);
    fputc(c ^ x, f);
    fclose(f);
}

static uint64_t fnv1a64(const unsigned char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

START_TEST(test_written_then_loaded_by_second_process) {
    prime("pcache-load");
    ck_assert_int_eq(run_child("loaded"), 0); /* and again: the rewrite kept it valid */
}
END_TEST

START_TEST(test_flipped_data_byte_is_ignored) {
    prime("pcache-flip");
    patch_byte(g_cache_file, file_size(g_cache_file) - 1, 0x5a);
    ck_assert_int_eq(run_child("warned"), 0);
    ck_assert_int_eq(run_child("loaded"), 0); /* the warned run rewrote a good file */
}
END_TEST

START_TEST(test_truncated_file_is_ignored) {
    prime("pcache-trunc");
    ck_assert_int_eq(truncate(g_cache_file, file_size(g_cache_file) - 7), 0);
    ck_assert_int_eq(run_child("warned"), 0);
    ck_assert_int_eq(truncate(g_cache_file, 20), 0); /* shorter than the header */
    ck_assert_int_eq(run_child("warned"), 0);
    ck_assert_int_eq(truncate(g_cache_file, 0), 0);
    ck_assert_int_eq(run_child("warned"), 0);
}
END_TEST

START_TEST(test_other_device_key_is_ignored) {
    prime("pcache-key");
    patch_byte(g_cache_file, 16, 0x01); /* device id in our header */
    ck_assert_int_eq(run_child("warned"), 0);
    prime("pcache-magic");
    patch_byte(g_cache_file, 0, 0xff);
    ck_assert_int_eq(run_child("warned"), 0);
}
END_TEST

START_TEST(test_foreign_vulkan_header_is_ignored) {
    prime("pcache-vkheader");
    /* Change the vendor id inside Vulkan's own header and fix our checksum, so only the Vulkan
     * header check can catch it. */
    FILE *f = fopen(g_cache_file, "r+b");
    ck_assert_ptr_nonnull(f);
    long n = file_size(g_cache_file);
    ck_assert_int_ge(n, HEADER + 32);
    unsigned char *buf = malloc((size_t)n);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
    buf[HEADER + 8] ^= 0x7f;
    uint64_t sum = fnv1a64(buf + HEADER, (size_t)(n - HEADER));
    memcpy(buf + 48, &sum, 8);
    ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
    ck_assert_int_eq(fwrite(buf, 1, (size_t)n, f), n);
    fclose(f);
    free(buf);
    ck_assert_int_eq(run_child("warned"), 0);
}
END_TEST

START_TEST(test_garbage_file_is_ignored) {
    prime("pcache-garbage");
    FILE *f = fopen(g_cache_file, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 5000; i++) fputc((i * 131) & 0xff, f);
    fclose(f);
    ck_assert_int_eq(run_child("warned"), 0);
    ck_assert_int_eq(run_child("loaded"), 0);
}
END_TEST

int main(int argc, char **argv) {
    g_self = argv[0];
    if (argc == 3 && !strcmp(argv[1], "--child")) {
        /* Warnings about the cache are matched by folder: the file name is known only after open. */
        const char *xdg = getenv("XDG_CACHE_HOME");
        snprintf(g_warned_path, sizeof g_warned_path, "%s/hemovk/pipelines-", xdg ? xdg : "");
        hv_log_set_sink(child_sink, NULL);
        return child_main(argv[2]);
    }
    Suite *s = suite_create("pipeline_cache");
    TCase *tc = tcase_create("pipeline_cache");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_written_then_loaded_by_second_process);
    tcase_add_test(tc, test_flipped_data_byte_is_ignored);
    tcase_add_test(tc, test_truncated_file_is_ignored);
    tcase_add_test(tc, test_other_device_key_is_ignored);
    tcase_add_test(tc, test_foreign_vulkan_header_is_ignored);
    tcase_add_test(tc, test_garbage_file_is_ignored);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
