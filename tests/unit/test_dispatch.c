/* Runtime dispatch tests on the real device (lavapipe in CI): y = a*x + b with rt_scale.comp over an
 * odd size, recorded once and replayed with new inputs, a guard region that must stay untouched,
 * per-dispatch timestamps, fills/copies inside a recording, and argument errors. Every test ends
 * with zero validation messages. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/log.h"
#include "hvtest.h"
#include "vulkan/runtime.h"

#define N 1000003u
#define GUARD 1024u
#define WG 64u
#define GUARD_WORD 0xDEADBEEFu

typedef struct {
    uint32_t n;
    float a, b;
} scale_push;

static hv_vk_pipeline *scale_pipeline(hv_device *dev) {
    uint32_t spec[1] = {WG};
    hv_vk_pipeline_desc d = {.shader = "rt_scale", .n_bindings = 2, .push_size = sizeof(scale_push), .n_spec = 1, .spec = spec};
    hv_vk_pipeline *p = NULL;
    hv_status st = hv_vk_pipeline_get(dev, &d, &p);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    return p;
}

START_TEST(test_replay_three_inputs) {
    hv_device *dev = NULL;
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "%s", hv_last_error());
    hv_vk_pipeline *pipe = scale_pipeline(dev);
    hv_vk_pipeline *again = scale_pipeline(dev);
    ck_assert_ptr_eq(pipe, again); /* cached by (shader, spec) */

    hv_buffer x, y;
    ck_assert_msg(hv_buffer_alloc(dev, HV_MEM_DEVICE, (uint64_t)N * 4, &x) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_buffer_alloc(dev, HV_MEM_DEVICE, (uint64_t)(N + GUARD) * 4, &y) == HV_OK, "%s", hv_last_error());

    hv_cmd *cmd = NULL;
    ck_assert_msg(hv_cmd_begin(dev, &cmd) == HV_OK, "%s", hv_last_error());
    /* Guard pattern over all of y, then the op writes only its first N floats. */
    ck_assert(hv_cmd_fill(cmd, &y, 0, (uint64_t)(N + GUARD) * 4, GUARD_WORD) == HV_OK);
    hv_cmd_barrier(cmd);
    scale_push pc = {N, 2.5f, -1.25f};
    hv_binding b[2] = {{&x, 0, 0}, {&y, 0, (uint64_t)N * 4}};
    ck_assert_msg(hv_cmd_dispatch(cmd, pipe, b, 2, &pc, sizeof pc, (N + WG - 1) / WG, 1, 1, "scale") == HV_OK, "%s",
                  hv_last_error());
    ck_assert(hv_cmd_end(cmd) == HV_OK);

    float *in = malloc((size_t)N * 4);
    float *out = malloc((size_t)(N + GUARD) * 4);
    float *ref = malloc((size_t)N * 4);
    for (int rep = 0; rep < 3; rep++) {
        hvtest_fill_uniform(in, N, 1000 + (uint64_t)rep, -4.0f, 4.0f);
        ck_assert(hv_buffer_upload(dev, &x, 0, in, (uint64_t)N * 4) == HV_OK);
        ck_assert_msg(hv_cmd_submit(cmd, rep != 1) == HV_OK, "%s", hv_last_error());
        if (rep == 1) ck_assert(hv_cmd_wait(cmd) == HV_OK); /* the non-blocking path */
        ck_assert(hv_buffer_download(dev, &y, 0, out, (uint64_t)(N + GUARD) * 4) == HV_OK);
        for (uint32_t i = 0; i < N; i++) ref[i] = pc.a * in[i] + pc.b;
        double rel = hvtest_max_rel(out, ref, N);
        ck_assert_msg(rel < 1e-6, "replay %d: max rel error %g", rep, rel);
        for (uint32_t i = N; i < N + GUARD; i++) {
            uint32_t w;
            memcpy(&w, &out[i], 4);
            ck_assert_msg(w == GUARD_WORD, "replay %d: guard word %u overwritten (0x%08x)", rep, i - N, w);
        }
    }
    free(in);
    free(out);
    free(ref);
    hv_cmd_free(cmd);
    hv_buffer_free(dev, &x);
    hv_buffer_free(dev, &y);
    hv_device_close(dev);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(test_profiling_timestamps) {
    hv_device *dev = NULL;
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "%s", hv_last_error());
    if (hv_device_get_info(dev)->timestamp_period_ns <= 0) {
        hv_device_close(dev);
        return; /* no timestamps on this queue: nothing to measure */
    }
    hv_device_set_profiling(dev, true);
    hv_vk_pipeline *pipe = scale_pipeline(dev);
    const uint32_t n = 4099;
    hv_buffer a, c;
    ck_assert(hv_buffer_alloc(dev, HV_MEM_DEVICE, n * 4, &a) == HV_OK);
    ck_assert(hv_buffer_alloc(dev, HV_MEM_DEVICE, n * 4, &c) == HV_OK);
    float *v = malloc(n * 4);
    for (uint32_t i = 0; i < n; i++) v[i] = (float)i;
    ck_assert(hv_buffer_upload(dev, &a, 0, v, n * 4) == HV_OK);
    hv_cmd *cmd = NULL;
    ck_assert(hv_cmd_begin(dev, &cmd) == HV_OK);
    /* a -> c -> a -> c, each reading what the previous wrote: three dispatches with barriers. */
    const char *labels[3] = {"first", "second", "third"};
    scale_push pc = {n, 2.0f, 1.0f};
    for (int k = 0; k < 3; k++) {
        hv_binding b[2] = {{k % 2 ? &c : &a, 0, 0}, {k % 2 ? &a : &c, 0, 0}};
        ck_assert(hv_cmd_dispatch(cmd, pipe, b, 2, &pc, sizeof pc, (n + WG - 1) / WG, 1, 1, labels[k]) == HV_OK);
        hv_cmd_barrier(cmd);
    }
    ck_assert(hv_cmd_end(cmd) == HV_OK);
    for (int rep = 0; rep < 2; rep++) {
        ck_assert(hv_buffer_upload(dev, &a, 0, v, n * 4) == HV_OK);
        ck_assert(hv_cmd_submit(cmd, true) == HV_OK);
        const hv_dispatch_time *t = NULL;
        uint32_t count = hv_cmd_timings(cmd, &t);
        ck_assert_uint_eq(count, 3);
        for (int k = 0; k < 3; k++) {
            ck_assert_str_eq(t[k].label, labels[k]);
            ck_assert_msg(t[k].ns >= 0 && isfinite(t[k].ns), "dispatch %d: %g ns", k, t[k].ns);
        }
        float *out = malloc(n * 4);
        ck_assert(hv_buffer_download(dev, &c, 0, out, n * 4) == HV_OK);
        for (uint32_t i = 0; i < n; i++) {
            float e = 2.0f * (2.0f * (2.0f * v[i] + 1.0f) + 1.0f) + 1.0f;
            ck_assert_msg(out[i] == e, "element %u: %g, expected %g", i, out[i], e);
        }
        free(out);
    }
    free(v);
    hv_cmd_free(cmd);
    hv_buffer_free(dev, &a);
    hv_buffer_free(dev, &c);
    hv_device_close(dev);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

/* HEMOVK_PROFILE=1 turns timestamps on for every recording; without it there are none. */
START_TEST(test_profile_env) {
    setenv("HEMOVK_PROFILE", "1", 1);
    hv_device *dev = NULL;
    ck_assert(hv_device_open(NULL, &dev) == HV_OK);
    unsetenv("HEMOVK_PROFILE");
    bool has_ts = hv_device_get_info(dev)->timestamp_period_ns > 0;
    hv_vk_pipeline *pipe = scale_pipeline(dev);
    hv_buffer a;
    ck_assert(hv_buffer_alloc(dev, HV_MEM_DEVICE, 64 * 4, &a) == HV_OK);
    for (int profiled = 1; profiled >= 0; profiled--) {
        hv_device_set_profiling(dev, profiled);
        hv_cmd *cmd = NULL;
        ck_assert(hv_cmd_begin(dev, &cmd) == HV_OK);
        ck_assert(hv_cmd_fill(cmd, &a, 0, 64 * 4, 0) == HV_OK);
        hv_cmd_barrier(cmd);
        scale_push pc = {64, 1.0f, 0.0f};
        hv_binding b[2] = {{&a, 0, 0}, {&a, 0, 0}};
        ck_assert(hv_cmd_dispatch(cmd, pipe, b, 2, &pc, sizeof pc, 1, 1, 1, NULL) == HV_OK);
        ck_assert(hv_cmd_end(cmd) == HV_OK);
        ck_assert(hv_cmd_submit(cmd, true) == HV_OK);
        const hv_dispatch_time *t = NULL;
        ck_assert_uint_eq(hv_cmd_timings(cmd, &t), profiled && has_ts ? 1 : 0);
        if (profiled && has_ts) ck_assert_str_eq(t[0].label, "rt_scale"); /* NULL label: the shader name */
        hv_cmd_free(cmd);
    }
    hv_buffer_free(dev, &a);
    hv_device_close(dev);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(test_copy_and_fill_in_recording) {
    hv_device *dev = NULL;
    ck_assert(hv_device_open(NULL, &dev) == HV_OK);
    hv_buffer up, d, rb;
    const uint32_t n = 1001;
    ck_assert(hv_buffer_alloc(dev, HV_MEM_UPLOAD, n * 4, &up) == HV_OK);
    ck_assert(hv_buffer_alloc(dev, HV_MEM_DEVICE, n * 4, &d) == HV_OK);
    ck_assert(hv_buffer_alloc(dev, HV_MEM_READBACK, n * 4, &rb) == HV_OK);
    ck_assert_ptr_nonnull(up.mapped);
    ck_assert_ptr_nonnull(rb.mapped);
    ck_assert_ptr_null(d.mapped);
    hv_cmd *cmd = NULL;
    ck_assert(hv_cmd_begin(dev, &cmd) == HV_OK);
    ck_assert(hv_cmd_copy(cmd, &up, 0, &d, 0, n * 4) == HV_OK);
    hv_cmd_barrier(cmd);
    ck_assert(hv_cmd_fill(cmd, &d, 400, 40, 0x7u) == HV_OK);
    hv_cmd_barrier(cmd);
    ck_assert(hv_cmd_copy(cmd, &d, 0, &rb, 0, n * 4) == HV_OK);
    /* misuse is refused with a message, not recorded */
    ck_assert_int_eq(hv_cmd_fill(cmd, &d, 2, 4, 0), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_cmd_copy(cmd, &up, 4, &d, 0, n * 4), HV_ERR_INVALID_ARGUMENT);
    ck_assert(hv_cmd_end(cmd) == HV_OK);
    ck_assert_int_eq(hv_cmd_submit(cmd, false), HV_OK);
    ck_assert(hv_cmd_wait(cmd) == HV_OK);
    for (int rep = 0; rep < 2; rep++) {
        uint32_t *src = up.mapped;
        for (uint32_t i = 0; i < n; i++) src[i] = i * 3u + (uint32_t)rep;
        ck_assert(hv_cmd_submit(cmd, true) == HV_OK);
        const uint32_t *got = rb.mapped;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t e = (i >= 100 && i < 110) ? 7u : i * 3u + (uint32_t)rep;
            ck_assert_msg(got[i] == e, "word %u: %u, expected %u", i, got[i], e);
        }
    }
    ck_assert_uint_eq(hv_cmd_timings(cmd, NULL), 0); /* profiling off */
    hv_cmd_free(cmd);
    hv_buffer_free(dev, &up);
    hv_buffer_free(dev, &d);
    hv_buffer_free(dev, &rb);
    hv_device_close(dev);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(test_bad_arguments) {
    hv_device *dev = NULL;
    ck_assert(hv_device_open(NULL, &dev) == HV_OK);
    hv_vk_pipeline *p = NULL;
    hv_vk_pipeline_desc bad = {.shader = "no_such_shader_f32", .n_bindings = 1};
    ck_assert_int_eq(hv_vk_pipeline_get(dev, &bad, &p), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "no_such_shader_f32") != NULL, "%s", hv_last_error());
    hv_vk_pipeline_desc odd_push = {.shader = "rt_scale", .n_bindings = 2, .push_size = 6};
    ck_assert_int_eq(hv_vk_pipeline_get(dev, &odd_push, &p), HV_ERR_INVALID_ARGUMENT);

    hv_vk_pipeline *pipe = scale_pipeline(dev);
    hv_buffer x;
    ck_assert(hv_buffer_alloc(dev, HV_MEM_DEVICE, 256, &x) == HV_OK);
    hv_cmd *cmd = NULL;
    ck_assert(hv_cmd_begin(dev, &cmd) == HV_OK);
    scale_push pc = {64, 1, 0};
    hv_binding one[1] = {{&x, 0, 0}};
    ck_assert_int_eq(hv_cmd_dispatch(cmd, pipe, one, 1, &pc, sizeof pc, 1, 1, 1, NULL), HV_ERR_INVALID_ARGUMENT);
    hv_binding past[2] = {{&x, 0, 0}, {&x, 128, 256}};
    ck_assert_int_eq(hv_cmd_dispatch(cmd, pipe, past, 2, &pc, sizeof pc, 1, 1, 1, NULL), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "binding 1") != NULL, "%s", hv_last_error());
    hv_binding misaligned[2] = {{&x, 2, 0}, {&x, 128, 0}};
    ck_assert_int_eq(hv_cmd_dispatch(cmd, pipe, misaligned, 2, &pc, sizeof pc, 1, 1, 1, NULL), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_cmd_dispatch(cmd, pipe, past, 2, &pc, 8, 1, 1, 1, NULL), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_cmd_submit(cmd, true), HV_ERR_INVALID_ARGUMENT); /* not ended */
    ck_assert(hv_cmd_end(cmd) == HV_OK);
    ck_assert(hv_cmd_submit(cmd, true) == HV_OK); /* an empty recording runs */
    hv_cmd_free(cmd);
    hv_buffer_free(dev, &x);
    hv_buffer_free(dev, &x); /* second free of a zeroed buffer is a no-op */
    hv_device_close(dev);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("dispatch");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_replay_three_inputs);
    tcase_add_test(tc, test_profiling_timestamps);
    tcase_add_test(tc, test_profile_env);
    tcase_add_test(tc, test_copy_and_fill_in_recording);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
