/* Op-test runner for the conv-family tests: runs one op on Vulkan in f32 and f16 storage and compares
 * with its CPU reference (NMSE f32 ≤ 1e-9, f16 ≤ 1e-5 unless a test passes a looser bound and says why),
 * checks NaN/Inf, and surrounds the output with guard regions so an out-of-bounds write fails.
 * For f16 the reference runs on the f16-rounded inputs, so the bound measures the kernel, not the
 * input rounding. One device per test process (Check forks per test). */
#ifndef OPSCONV_TEST_H
#define OPSCONV_TEST_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/device.h"
#include "hvtest.h"
#include "ops/ops_conv_defs.h"
#include "vulkan/runtime.h"

#define OC_GUARD_BYTES 256u
#define OC_GUARD_WORD 0x7E7E7E7Eu

static inline hv_device *oc_dev(void) {
    static hv_device *dev;
    if (!dev) ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "device: %s", hv_last_error());
    return dev;
}

static inline uint64_t oc_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static inline void oc_to_storage(const float *src, void *dst, size_t n, hv_dtype dt) {
    if (dt == HV_F32) memcpy(dst, src, n * sizeof(float));
    else
        for (size_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = hv_f32_to_f16(src[i]);
}

static inline void oc_from_storage(const void *src, float *dst, size_t n, hv_dtype dt) {
    if (dt == HV_F32) memcpy(dst, src, n * sizeof(float));
    else
        for (size_t i = 0; i < n; i++) dst[i] = hv_f16_to_f32(((const uint16_t *)src)[i]);
}

/* Run `op` on given f32 input data (already representable in `dt`) and return the device output as
 * f32 in *out (caller frees); checks guards and validation messages. */
static inline void oc_run_device(const hv_op_def *op, const void *params, const hv_tensor_desc *src, uint32_t n_src,
                          const float *const *data, const hv_tensor_desc *dst, float *out, const char *what) {
    hv_device *dev = oc_dev();
    uint32_t vmsgs = hv_validation_message_count();
    hv_buffer bufs[HV_OP_MAX_SRC], obuf, sbuf = {0};
    hv_binding binds[HV_OP_MAX_SRC];
    for (uint32_t i = 0; i < n_src; i++) {
        size_t n = (size_t)hv_desc_numel(&src[i]), bytes = (size_t)hv_desc_bytes(&src[i]);
        void *tmp = malloc(bytes + 4);
        oc_to_storage(data[i], tmp, n, src[i].dtype);
        ck_assert_int_eq(hv_buffer_alloc(dev, HV_MEM_DEVICE, (bytes + 3) & ~3ull, &bufs[i]), HV_OK);
        ck_assert_int_eq(hv_buffer_upload(dev, &bufs[i], 0, tmp, bytes), HV_OK);
        binds[i] = (hv_binding){&bufs[i], 0, 0};
        free(tmp);
    }
    uint64_t obytes = (uint64_t)hv_desc_bytes(dst), oalloc = OC_GUARD_BYTES * 2 + ((obytes + 3) & ~3ull);
    ck_assert_int_eq(hv_buffer_alloc(dev, HV_MEM_DEVICE, oalloc, &obuf), HV_OK);
    uint32_t *guard = malloc(oalloc);
    for (uint64_t i = 0; i < oalloc / 4; i++) guard[i] = OC_GUARD_WORD;
    ck_assert_int_eq(hv_buffer_upload(dev, &obuf, 0, guard, oalloc), HV_OK);
    hv_binding obind = {&obuf, OC_GUARD_BYTES, obytes};
    uint64_t sbytes = op->scratch_bytes ? op->scratch_bytes(params, src, n_src, dst) : 0;
    hv_binding sbind = {0};
    if (sbytes) {
        ck_assert_int_eq(hv_buffer_alloc(dev, HV_MEM_DEVICE, sbytes, &sbuf), HV_OK);
        sbind = (hv_binding){&sbuf, 0, 0};
    }
    hv_cmd *cmd = NULL;
    ck_assert_int_eq(hv_cmd_begin(dev, &cmd), HV_OK);
    hv_status st = op->record(cmd, dev, params, src, binds, n_src, dst, &obind, sbytes ? &sbind : NULL);
    ck_assert_msg(st == HV_OK, "%s: record: %s", what, hv_last_error());
    ck_assert_int_eq(hv_cmd_end(cmd), HV_OK);
    ck_assert_msg(hv_cmd_submit(cmd, true) == HV_OK, "%s: submit: %s", what, hv_last_error());
    hv_cmd_free(cmd);
    uint32_t *back = malloc(oalloc);
    ck_assert_int_eq(hv_buffer_download(dev, &obuf, 0, back, oalloc), HV_OK);
    for (uint64_t i = 0; i < OC_GUARD_BYTES / 4; i++) {
        ck_assert_msg(back[i] == OC_GUARD_WORD, "%s: write before the output (guard word %llu)", what,
                      (unsigned long long)i);
        uint64_t j = (OC_GUARD_BYTES + ((obytes + 3) & ~3ull)) / 4 + i;
        ck_assert_msg(back[j] == OC_GUARD_WORD, "%s: write past the output (guard word %llu)", what,
                      (unsigned long long)i);
    }
    /* A 2-byte tail of an odd-length f16 output sits in the padding word: it must be untouched too. */
    if (obytes % 4)
        ck_assert_msg(((uint16_t *)back)[(OC_GUARD_BYTES + obytes) / 2] == (uint16_t)OC_GUARD_WORD,
                      "%s: write just past the f16 output", what);
    oc_from_storage((const uint8_t *)back + OC_GUARD_BYTES, out, (size_t)hv_desc_numel(dst), dst->dtype);
    free(back);
    free(guard);
    for (uint32_t i = 0; i < n_src; i++) hv_buffer_free(dev, &bufs[i]);
    hv_buffer_free(dev, &obuf);
    hv_buffer_free(dev, &sbuf);
    ck_assert_msg(hv_validation_message_count() == vmsgs, "%s: %u validation message(s)", what,
                  hv_validation_message_count() - vmsgs);
}

/* Compare op on Vulkan vs its CPU reference for `dt`, random inputs in [lo, hi). */
static inline void oc_check_dtype(const hv_op_def *op, const void *params, const hv_tensor_desc *src_in, uint32_t n_src,
                           hv_dtype dt, float lo, float hi, double tol, const char *what) {
    hv_tensor_desc src[HV_OP_MAX_SRC], dst;
    float *data[HV_OP_MAX_SRC];
    for (uint32_t i = 0; i < n_src; i++) {
        src[i] = src_in[i];
        src[i].dtype = dt;
        size_t n = (size_t)hv_desc_numel(&src[i]);
        data[i] = malloc(sizeof(float) * (n + 1));
        hvtest_fill_uniform(data[i], n, oc_hash(what) + i * 7919 + 1, lo, hi);
        if (dt == HV_F16)
            for (size_t j = 0; j < n; j++) data[i][j] = hv_f16_to_f32(hv_f32_to_f16(data[i][j]));
    }
    hv_status st = op->infer(params, src, n_src, &dst);
    ck_assert_msg(st == HV_OK, "%s: infer: %s", what, hv_last_error());
    ck_assert_int_eq(dst.dtype, dt);
    size_t no = (size_t)hv_desc_numel(&dst);
    float *ref = malloc(sizeof(float) * no), *got = malloc(sizeof(float) * no);
    ck_assert_int_eq(op->ref(params, src, (const float *const *)data, n_src, &dst, ref), HV_OK);
    if (dt == HV_F16) /* the reference as the f16 output would hold it */
        for (size_t j = 0; j < no; j++) ref[j] = hv_f16_to_f32(hv_f32_to_f16(ref[j]));
    oc_run_device(op, params, src, n_src, (const float *const *)data, &dst, got, what);
    ck_assert_msg(hvtest_count_nonfinite(ref, no) == 0, "%s: reference has non-finite values", what);
    size_t bad = hvtest_count_nonfinite(got, no);
    ck_assert_msg(bad == 0, "%s %s: %zu non-finite outputs", what, hv_dtype_name(dt), bad);
    double e = hvtest_nmse(got, ref, no);
    ck_assert_msg(e <= tol, "%s %s: NMSE %.3g > %.3g (max rel %.3g)", what, hv_dtype_name(dt), e, tol,
                  hvtest_max_rel(got, ref, no));
    for (uint32_t i = 0; i < n_src; i++) free(data[i]);
    free(ref);
    free(got);
}

/** Both dtypes with the default bounds and inputs in [-1, 1). */
static inline void oc_check(const hv_op_def *op, const void *params, const hv_tensor_desc *src, uint32_t n_src,
                     const char *what) {
    oc_check_dtype(op, params, src, n_src, HV_F32, -1, 1, 1e-9, what);
    oc_check_dtype(op, params, src, n_src, HV_F16, -1, 1, 1e-5, what);
}

#endif
