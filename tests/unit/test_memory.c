/* Memory tests on the real device: upload/download round trips from 1 byte to 256 MiB (through the
 * chunked staging path, at offsets), host-visible kinds, allocator stress with odd sizes and
 * in-use accounting back to zero, buffers larger than maxStorageBufferRange, and out-of-memory
 * requests that fail with a helpful message instead of crashing. */
#include <stdlib.h>
#include <string.h>

#include "hvtest.h"
#include "vulkan/runtime.h"

/* A position-dependent byte pattern, different per seed, so shifted or stale data is caught. */
static void pattern(uint8_t *p, uint64_t n, uint32_t seed) {
    uint32_t x = seed * 2654435761u + 12345u;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 23);
    }
}

static void round_trip(hv_device *dev, uint64_t size, uint32_t seed) {
    hv_buffer b;
    ck_assert_msg(hv_buffer_alloc(dev, HV_MEM_DEVICE, size, &b) == HV_OK, "%llu bytes: %s", (unsigned long long)size,
                  hv_last_error());
    ck_assert_uint_ge(b.size, size);
    ck_assert_uint_eq(b.offset % hv_device_get_info(dev)->min_storage_buffer_offset_alignment, 0);
    uint8_t *in = malloc(size), *out = malloc(size);
    ck_assert(in && out);
    pattern(in, size, seed);
    memset(out, 0xA5, size);
    ck_assert_msg(hv_buffer_upload(dev, &b, 0, in, size) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_buffer_download(dev, &b, 0, out, size) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(memcmp(in, out, size) == 0, "round trip of %llu bytes differs", (unsigned long long)size);
    if (size >= 8) { /* partial update at an odd offset leaves the rest alone */
        uint64_t off = size / 3 | 1, len = size / 4 ? size / 4 : 1;
        uint8_t *patch = malloc(len);
        pattern(patch, len, seed + 77);
        memcpy(in + off, patch, len);
        ck_assert(hv_buffer_upload(dev, &b, off, patch, len) == HV_OK);
        ck_assert(hv_buffer_download(dev, &b, 0, out, size) == HV_OK);
        ck_assert_msg(memcmp(in, out, size) == 0, "partial upload at %llu of %llu bytes differs",
                      (unsigned long long)off, (unsigned long long)size);
        memset(out, 0, len);
        ck_assert(hv_buffer_download(dev, &b, off, out, len) == HV_OK);
        ck_assert(memcmp(out, patch, len) == 0);
        free(patch);
    }
    /* out-of-range copies are refused */
    ck_assert_int_eq(hv_buffer_upload(dev, &b, 1, in, size), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_buffer_download(dev, &b, size + 1, out, 0), HV_ERR_INVALID_ARGUMENT);
    free(in);
    free(out);
    hv_buffer_free(dev, &b);
}

START_TEST(test_round_trips) {
    hv_device *dev = NULL;
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "%s", hv_last_error());
    const uint64_t sizes[] = {1, 3, 4097, 1u << 20, 64u << 20, 256u << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) round_trip(dev, sizes[i], (uint32_t)i + 1);
    uint64_t in_use = 1, peak = 0;
    hv_device_memory_usage(dev, &in_use, &peak);
    ck_assert_uint_eq(in_use, 0);
    ck_assert_uint_ge(peak, 256u << 20); /* the 256 MiB buffer (> maxStorageBufferRange on lavapipe) */
    hv_device_close(dev);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(test_host_visible_kinds) {
    hv_device *dev = NULL;
    ck_assert(hv_device_open(NULL, &dev) == HV_OK);
    hv_buffer up, rb;
    ck_assert(hv_buffer_alloc(dev, HV_MEM_UPLOAD, 1000, &up) == HV_OK);
    ck_assert(hv_buffer_alloc(dev, HV_MEM_READBACK, 1000, &rb) == HV_OK);
    ck_assert_ptr_nonnull(up.mapped);
    ck_assert_ptr_nonnull(rb.mapped);
    uint8_t in[1000], out[1000];
    pattern(in, sizeof in, 9);
    ck_assert(hv_buffer_upload(dev, &up, 0, in, sizeof in) == HV_OK);
    ck_assert(memcmp(up.mapped, in, sizeof in) == 0);
    hv_cmd *cmd = NULL;
    ck_assert(hv_cmd_begin(dev, &cmd) == HV_OK);
    ck_assert(hv_cmd_copy(cmd, &up, 0, &rb, 0, sizeof in) == HV_OK);
    ck_assert(hv_cmd_end(cmd) == HV_OK);
    ck_assert(hv_cmd_submit(cmd, true) == HV_OK);
    ck_assert(hv_buffer_download(dev, &rb, 0, out, sizeof out) == HV_OK);
    ck_assert(memcmp(in, out, sizeof in) == 0);
    hv_cmd_free(cmd);
    uint64_t in_use = 1;
    hv_device_memory_usage(dev, &in_use, NULL);
    ck_assert_uint_eq(in_use, 0); /* only device-local bytes are counted */
    hv_buffer_free(dev, &up);
    hv_buffer_free(dev, &rb);
    hv_device_close(dev);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(test_allocator_stress) {
    hv_device *dev = NULL;
    ck_assert(hv_device_open(NULL, &dev) == HV_OK);
    enum { SLOTS = 96, ROUNDS = 1500 };
    hv_buffer bufs[SLOTS];
    memset(bufs, 0, sizeof bufs);
    uint32_t x = 0x1234567u;
    uint64_t expected = 0, align = hv_device_get_info(dev)->min_storage_buffer_offset_alignment;
    if (align < 4) align = 4;
    for (int r = 0; r < ROUNDS; r++) {
        x = x * 1664525u + 1013904223u;
        int i = (int)((x >> 8) % SLOTS);
        if (bufs[i].block) {
            expected -= (bufs[i].size + align - 1) / align * align;
            hv_buffer_free(dev, &bufs[i]);
            ck_assert_ptr_null(bufs[i].block);
        } else {
            /* mostly small odd sizes, sometimes large enough for a dedicated block */
            uint64_t size = (x >> 20) % 8 == 0 ? (40u << 20) + (x % 4093) : 1 + (x >> 12) % 300007;
            ck_assert_msg(hv_buffer_alloc(dev, HV_MEM_DEVICE, size, &bufs[i]) == HV_OK, "%s", hv_last_error());
            ck_assert_uint_eq(bufs[i].offset % align, 0);
            expected += (size + align - 1) / align * align;
        }
        uint64_t in_use = 0;
        hv_device_memory_usage(dev, &in_use, NULL);
        ck_assert_uint_eq(in_use, expected);
    }
    /* no two live ranges of one VkBuffer overlap */
    for (int i = 0; i < SLOTS; i++)
        for (int j = i + 1; j < SLOTS; j++) {
            if (!bufs[i].block || !bufs[j].block || bufs[i].vk_buffer != bufs[j].vk_buffer) continue;
            const hv_buffer *a = &bufs[i], *b = &bufs[j];
            ck_assert_msg(a->offset + a->size <= b->offset || b->offset + b->size <= a->offset, "ranges %d and %d overlap", i, j);
        }
    /* tag each live buffer, then check none was clobbered by another */
    for (int i = 0; i < SLOTS; i++)
        if (bufs[i].block) {
            uint32_t tag = 0xC0DE0000u + (uint32_t)i;
            uint64_t n = bufs[i].size < 4 ? bufs[i].size : 4;
            ck_assert(hv_buffer_upload(dev, &bufs[i], 0, &tag, n) == HV_OK);
        }
    for (int i = 0; i < SLOTS; i++)
        if (bufs[i].block) {
            uint32_t tag = 0xC0DE0000u + (uint32_t)i, got = 0;
            uint64_t n = bufs[i].size < 4 ? bufs[i].size : 4;
            ck_assert(hv_buffer_download(dev, &bufs[i], 0, &got, n) == HV_OK);
            ck_assert(memcmp(&got, &tag, n) == 0);
        }
    for (int i = 0; i < SLOTS; i++) hv_buffer_free(dev, &bufs[i]);
    uint64_t in_use = 1, peak = 0;
    hv_device_memory_usage(dev, &in_use, &peak);
    ck_assert_uint_eq(in_use, 0);
    ck_assert_uint_gt(peak, 0);
    hv_device_close(dev);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(test_out_of_memory_is_an_error) {
    hv_device *dev = NULL;
    ck_assert(hv_device_open(NULL, &dev) == HV_OK);
    hv_buffer b;
    ck_assert_int_eq(hv_buffer_alloc(dev, HV_MEM_DEVICE, 1ull << 40, &b), HV_ERR_DEVICE_OUT_OF_MEMORY);
    const char *m = hv_last_error();
    ck_assert_msg(strstr(m, "1048576.0 MiB") && strstr(m, "in use") && strstr(m, "heap") && strstr(m, "batch") &&
                      strstr(m, "f16"), "%s", m);
    ck_assert_ptr_null(b.block);
    /* just over the largest single allocation */
    uint64_t max = hv_device_get_info(dev)->max_memory_allocation_size;
    ck_assert_int_eq(hv_buffer_alloc(dev, HV_MEM_DEVICE, max + 1, &b), HV_ERR_DEVICE_OUT_OF_MEMORY);
    ck_assert_int_eq(hv_buffer_alloc(dev, HV_MEM_UPLOAD, UINT64_MAX, &b), HV_ERR_DEVICE_OUT_OF_MEMORY);
    ck_assert_int_eq(hv_buffer_alloc(dev, HV_MEM_DEVICE, 0, &b), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_buffer_alloc(dev, (hv_mem_kind)7, 16, &b), HV_ERR_INVALID_ARGUMENT);
    /* the device still works afterwards */
    ck_assert(hv_buffer_alloc(dev, HV_MEM_DEVICE, 16, &b) == HV_OK);
    hv_buffer_free(dev, &b);
    hv_device_close(dev);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("memory");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_round_trips);
    tcase_add_test(tc, test_host_visible_kinds);
    tcase_add_test(tc, test_allocator_stress);
    tcase_add_test(tc, test_out_of_memory_is_an_error);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
