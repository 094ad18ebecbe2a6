/* Shared helpers for hemovk's Check tests: run a suite, numeric comparison, scratch folders. */
#ifndef HVTEST_H
#define HVTEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/** Run `s` with Check, print its summary and return the process exit code (0 when all passed). */
int hvtest_run(Suite *s);

/** Normalised mean squared error sum((a-b)^2) / sum(b^2) (b is the reference); 0 when both are 0. */
double hvtest_nmse(const float *a, const float *ref, size_t n);

/** Largest |a-b| / max|ref| over n values. */
double hvtest_max_rel(const float *a, const float *ref, size_t n);

/** Number of NaN or Inf values in a. */
size_t hvtest_count_nonfinite(const float *a, size_t n);

/** Fill with deterministic uniform values in [lo, hi) from a 64-bit seed (xorshift). */
void hvtest_fill_uniform(float *dst, size_t n, uint64_t seed, float lo, float hi);

/** A fresh empty folder under the build's test-tmp/ named after `tag`; returns a static buffer. */
const char *hvtest_tmpdir(const char *tag);

#endif
