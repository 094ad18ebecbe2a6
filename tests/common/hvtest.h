/* Shared helpers for hemovk's Check tests: run a suite, numeric comparison, scratch folders. */
#ifndef HVTEST_H
#define HVTEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/** Run `s` with Check, print its summary and return the process exit code: 0 when all passed, 77 (CTest:
 *  skipped) when none failed but a case called hvtest_skip(), 1 when any failed. On 0 or 77 the scratch
 *  folders of hvtest_tmpdir() are removed; on a failure they are kept and their place is printed. */
int hvtest_run(Suite *s);

/** Say why something cannot be tested here ("SKIP: ..." on stdout) and mark the run skipped. In main()
 *  before hvtest_run: `return hvtest_skip(...)` (it returns 77). Inside a test case (forked or not):
 *  call it and return from the case; hvtest_run then exits 77 unless another case failed. A skip is
 *  never a pass: .ci/run fails when any test is skipped, because CI has every dependency. */
int hvtest_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** 1 when Debian's interpreter (HEMOVK_PYTHON) can `import <modules>` ("torch, torchvision, numpy"). */
int hvtest_python_has(const char *modules);

/** In main(), before anything else: the test needs these Python modules for its references; without them
 *  it is skipped (exit 77) naming what to install, never passed or failed half-way. */
#define HVTEST_NEED_PYTHON(modules, packages)                                                                  \
    do {                                                                                                     \
        if (!hvtest_python_has(modules))                                                                     \
            return hvtest_skip("%s cannot import %s (install %s)", HEMOVK_PYTHON, modules, packages);         \
    } while (0)

/** Normalised mean squared error sum((a-b)^2) / sum(b^2) (b is the reference); 0 when both are 0. */
double hvtest_nmse(const float *a, const float *ref, size_t n);

/** Largest |a-b| / max|ref| over n values. */
double hvtest_max_rel(const float *a, const float *ref, size_t n);

/** Number of NaN or Inf values in a. */
size_t hvtest_count_nonfinite(const float *a, size_t n);

/** Fill with deterministic uniform values in [lo, hi) from a 64-bit seed (xorshift). */
void hvtest_fill_uniform(float *dst, size_t n, uint64_t seed, float lo, float hi);

/** The whole file as a NUL-terminated malloc'ed string (free()), or NULL when it cannot be read. */
char *hvtest_read_file(const char *path);

/** A fresh empty folder test-tmp/<program>-<pid>/<tag>-<pid> under the build folder (the first pid is the
 *  test program's, the second the process that asks: Check forks a child per case); returns a static
 *  buffer. Everything under test-tmp/<program>-<pid> is removed when the program exits after a passing
 *  (or skipped) hvtest_run, and kept when a case failed. */
const char *hvtest_tmpdir(const char *tag);

#endif
