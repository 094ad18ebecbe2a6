/* Shared helpers for hemovk's Check tests. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* program_invocation_short_name */
#endif
#include "hvtest.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The test program's own process (Check forks a child per case; the children inherit these). */
static pid_t g_root;
static int g_clean_at_exit; /* the suite passed or skipped: remove its scratch folders at exit */
static int g_skipped;       /* hvtest_skip() called in the root process */

static void clean_at_exit(void);

/* Called from the root process first (main or hvtest_run), so forked cases inherit g_root. */
static void root_init(void) {
    static int registered;
    if (!g_root) g_root = getpid();
    if (!registered && getpid() == g_root) registered = atexit(clean_at_exit) == 0;
}

/* test-tmp/<program>-<root pid>: every scratch folder of this run lives below it. */
static void run_dir(char *buf, size_t cap) {
    root_init();
    snprintf(buf, cap, "%s/test-tmp/%s-%d", HEMOVK_BINARY_DIR, program_invocation_short_name, (int)g_root);
}

/* Skips called in a forked case leave this file for the root process to find. */
static void skip_marker(char *buf, size_t cap) {
    root_init();
    snprintf(buf, cap, "%s/test-tmp/.skip-%s-%d", HEMOVK_BINARY_DIR, program_invocation_short_name, (int)g_root);
}

static void remove_tree(const char *path) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "hvtest: could not remove %s\n", path);
}

static void clean_at_exit(void) {
    if (getpid() != g_root) return; /* a forked case exiting: the run is not over */
    char dir[4096];
    run_dir(dir, sizeof dir);
    struct stat st;
    if (stat(dir, &st) != 0) return;
    if (g_clean_at_exit) remove_tree(dir);
    else fprintf(stderr, "hvtest: a case failed: its files are kept in %s\n", dir);
}

int hvtest_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("SKIP: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    root_init();
    if (getpid() == g_root) {
        g_skipped = 1;
        g_clean_at_exit = 1;
    } else {
        char path[4096];
        snprintf(path, sizeof path, "%s/test-tmp", HEMOVK_BINARY_DIR);
        mkdir(path, 0755);
        skip_marker(path, sizeof path);
        FILE *f = fopen(path, "w");
        if (f) fclose(f);
    }
    return 77;
}

int hvtest_run(Suite *s) {
    root_init();
    char marker[4096];
    skip_marker(marker, sizeof marker);
    unlink(marker);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    /* CK_RUN_CASE/CK_RUN_SUITE naming nothing (a CTest split whose tcase was renamed) runs zero cases:
     * that is a broken test, never a pass. */
    if (srunner_ntests_run(sr) == 0) {
        const char *rc = getenv("CK_RUN_CASE"), *rs = getenv("CK_RUN_SUITE");
        fprintf(stderr, "hvtest: no test case ran (CK_RUN_CASE=%s CK_RUN_SUITE=%s): the name matches no tcase\n",
                rc ? rc : "", rs ? rs : "");
        failed = 1;
    }
    srunner_free(sr);
    int skipped = g_skipped || access(marker, F_OK) == 0;
    unlink(marker);
    g_clean_at_exit = failed == 0;
    if (failed) return 1;
    if (skipped) printf("hvtest: no case failed, but some could not run here (SKIP above): reported as skipped\n");
    return skipped ? 77 : 0;
}

int hvtest_python_has(const char *modules) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' -c 'import %s' > /dev/null 2>&1", HEMOVK_PYTHON, modules);
    return system(cmd) == 0;
}

double hvtest_nmse(const float *a, const float *ref, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)ref[i];
        num += d * d;
        den += (double)ref[i] * (double)ref[i];
    }
    if (den == 0) return num == 0 ? 0 : INFINITY;
    return num / den;
}

double hvtest_max_rel(const float *a, const float *ref, size_t n) {
    double maxd = 0, maxr = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)ref[i]);
        if (!(d <= maxd)) maxd = d; /* NaN propagates */
        if (fabs(ref[i]) > maxr) maxr = fabs(ref[i]);
    }
    return maxr > 0 ? maxd / maxr : maxd;
}

size_t hvtest_count_nonfinite(const float *a, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i])) c++;
    return c;
}

void hvtest_fill_uniform(float *dst, size_t n, uint64_t seed, float lo, float hi) {
    uint64_t x = seed ? seed : 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double u = (double)(x >> 11) / 9007199254740992.0;
        dst[i] = (float)(lo + (hi - lo) * u);
    }
}

const char *hvtest_tmpdir(const char *tag) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/test-tmp", HEMOVK_BINARY_DIR);
    mkdir(path, 0755);
    char dir[3072];
    run_dir(dir, sizeof dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return NULL;
    snprintf(path, sizeof path, "%s/%.900s-%d", dir, tag, (int)getpid());
    remove_tree(path);
    if (mkdir(path, 0755) != 0) return NULL;
    return path;
}

char *hvtest_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1))) s[fread(s, 1, (size_t)n, f)] = '\0';
    fclose(f);
    return s;
}
