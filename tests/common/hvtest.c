/* Shared helpers for hemovk's Check tests. */
#include "hvtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int hvtest_run(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
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
    snprintf(path, sizeof path, "%s/test-tmp/%s-%d", HEMOVK_BINARY_DIR, tag, (int)getpid());
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) return NULL;
    if (mkdir(path, 0755) != 0) return NULL;
    return path;
}
