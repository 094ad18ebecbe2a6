/* Run one op on Vulkan for the detector-op tests: upload f32 inputs (converted to f16 where a
 * descriptor says so), surround the output with guard bytes that must survive, record the op's
 * dispatch in one command buffer, submit, read back as f32. Used until/unless the shared op-test
 * harness (tests/common/optest.h) covers an op's needs (packed uint8 inputs, f32 rois beside f16 maps). */
#ifndef OPSDCN_VK_H
#define OPSDCN_VK_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "graph/op.h"
#include "hemovk/device.h"
#include "hemovk/tensor.h"
#include "hvtest.h"

#define OPSDCN_GUARD 256u          /* bytes before and after the output (≥ any storage offset alignment) */
#define OPSDCN_GUARD_WORD 0x7FC0DEADu /* a NaN pattern: a stray write of a real value changes it */

static hv_device *opsdcn_dev;

static inline hv_device *opsdcn_device(void) {
    if (!opsdcn_dev) ck_assert_msg(hv_device_open(NULL, &opsdcn_dev) == HV_OK, "%s", hv_last_error());
    return opsdcn_dev;
}

/** Upload `n` f32 values as `dt` into a fresh device buffer. Raw (bit-preserving) when dt is f32. */
static inline void opsdcn_upload(hv_device *dev, const float *data, size_t n, hv_dtype dt, hv_buffer *out) {
    size_t bytes = n * hv_dtype_size(dt);
    ck_assert_msg(hv_buffer_alloc(dev, HV_MEM_DEVICE, bytes ? bytes : 4, out) == HV_OK, "%s", hv_last_error());
    if (dt == HV_F16) {
        uint16_t *h = malloc(n * 2 + 2);
        for (size_t i = 0; i < n; ++i) h[i] = hv_f32_to_f16(data[i]);
        ck_assert(hv_buffer_upload(dev, out, 0, h, bytes) == HV_OK);
        free(h);
    } else {
        ck_assert_msg(hv_buffer_upload(dev, out, 0, data, bytes) == HV_OK, "%s", hv_last_error());
    }
}

/** Run `op` on Vulkan; `out` receives dst as f32. Returns the record status (so a test can expect an
 *  error); any other failure fails the test. Checks the output guards and the validation counter. */
static inline hv_status opsdcn_run(const hv_op_def *op, const void *params, const hv_tensor_desc *src,
                                   const float *const *src_data, uint32_t n_src, const hv_tensor_desc *dst, float *out) {
    hv_device *dev = opsdcn_device();
    const uint32_t vmsg0 = hv_validation_message_count();
    hv_buffer bufs[HV_OP_MAX_SRC + 2], scratch_buf;
    hv_binding binds[HV_OP_MAX_SRC];
    for (uint32_t i = 0; i < n_src; ++i) {
        opsdcn_upload(dev, src_data[i], (size_t)hv_desc_numel(&src[i]), src[i].dtype, &bufs[i]);
        binds[i] = (hv_binding){.buf = &bufs[i], .offset = 0, .range = 0};
    }
    const size_t n_out = (size_t)hv_desc_numel(dst), out_bytes = n_out * hv_dtype_size(dst->dtype);
    const size_t total = out_bytes + 2 * OPSDCN_GUARD + 4;
    hv_buffer *ob = &bufs[n_src];
    ck_assert(hv_buffer_alloc(dev, HV_MEM_DEVICE, total, ob) == HV_OK);
    uint32_t *pattern = malloc(total);
    for (size_t i = 0; i < total / 4; ++i) pattern[i] = OPSDCN_GUARD_WORD;
    ck_assert(hv_buffer_upload(dev, ob, 0, pattern, total / 4 * 4) == HV_OK);
    hv_binding db = {.buf = ob, .offset = OPSDCN_GUARD, .range = out_bytes};
    /* scratch, for ops that ask for it, filled with the guard pattern: the op must not rely on zeros */
    const uint64_t scratch_bytes = op->scratch_bytes ? op->scratch_bytes(params, src, n_src, dst) : 0;
    hv_binding sb = {.buf = &scratch_buf, .offset = 0, .range = scratch_bytes};
    if (scratch_bytes) {
        ck_assert(hv_buffer_alloc(dev, HV_MEM_DEVICE, scratch_bytes, &scratch_buf) == HV_OK);
        uint32_t *junk = malloc(scratch_bytes);
        for (uint64_t i = 0; i < scratch_bytes / 4; ++i) junk[i] = OPSDCN_GUARD_WORD;
        ck_assert(hv_buffer_upload(dev, &scratch_buf, 0, junk, scratch_bytes / 4 * 4) == HV_OK);
        free(junk);
    }
    hv_cmd *cmd = NULL;
    ck_assert(hv_cmd_begin(dev, &cmd) == HV_OK);
    hv_status st = op->record(cmd, dev, params, src, binds, n_src, dst, &db, scratch_bytes ? &sb : NULL);
    if (st == HV_OK) {
        ck_assert_msg(hv_cmd_end(cmd) == HV_OK, "%s", hv_last_error());
        ck_assert_msg(hv_cmd_submit(cmd, true) == HV_OK, "%s", hv_last_error());
        uint8_t *back = malloc(total);
        ck_assert(hv_buffer_download(dev, ob, 0, back, total / 4 * 4) == HV_OK);
        ck_assert_msg(memcmp(back, pattern, OPSDCN_GUARD) == 0, "%s wrote before its output", op->name);
        size_t tail = total / 4 * 4 - OPSDCN_GUARD - out_bytes;
        ck_assert_msg(memcmp(back + OPSDCN_GUARD + out_bytes, (uint8_t *)pattern + OPSDCN_GUARD + out_bytes, tail) == 0,
                      "%s wrote past its output", op->name);
        if (dst->dtype == HV_F16) {
            const uint16_t *h = (const uint16_t *)(back + OPSDCN_GUARD);
            for (size_t i = 0; i < n_out; ++i) out[i] = hv_f16_to_f32(h[i]);
        } else {
            memcpy(out, back + OPSDCN_GUARD, out_bytes);
        }
        free(back);
    }
    hv_cmd_free(cmd);
    free(pattern);
    for (uint32_t i = 0; i <= n_src; ++i) hv_buffer_free(dev, &bufs[i]);
    if (scratch_bytes) hv_buffer_free(dev, &scratch_buf);
    ck_assert_msg(hv_validation_message_count() == vmsg0, "%s: %u validation message(s)", op->name,
                  hv_validation_message_count() - vmsg0);
    return st;
}

/** f16 round trip of a buffer (what the f16 path sees as its input). */
static inline void opsdcn_round_f16(float *a, size_t n) {
    for (size_t i = 0; i < n; ++i) a[i] = hv_f16_to_f32(hv_f32_to_f16(a[i]));
}

#endif
