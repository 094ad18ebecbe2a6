/* Small helpers for the detector-op tests (test_dcnv3*, test_roi_align*, test_preprocess*): raw f32
 * files for the PyTorch reference scripts and running them with Debian's python (HEMOVK_PYTHON). */
#ifndef OPSDCN_TESTUTIL_H
#define OPSDCN_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "hvtest.h"

static inline void opsdcn_write_f32(const char *dir, const char *name, const float *a, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(a, sizeof *a, n, f), n);
    fclose(f);
}

/** Read exactly n floats (fails the test on a size mismatch). Caller frees. */
static inline float *opsdcn_read_f32(const char *dir, const char *name, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "reference output %s missing", path);
    float *a = malloc((n + 1) * sizeof *a);
    ck_assert_ptr_nonnull(a);
    size_t got = fread(a, sizeof *a, n + 1, f);
    fclose(f);
    ck_assert_msg(got == n, "%s holds %zu floats, expected %zu", path, got, n);
    return a;
}

/** Run `/usr/bin/python3 <source>/tools/ref/<script> <dir>`; fails the test when it fails. */
static inline void opsdcn_run_python(const char *script, const char *dir) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tools/ref/%s' '%s'", HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, script, dir);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "reference script failed (rc %d): %s", rc, cmd);
}

#endif
