/* Parity harness for the backbone tests: generate a PyTorch reference with tools/ref/gen_backbone.py at
 * test time, build the hemovk graph from its weights, run it on the Vulkan device (f32 or f16) or on the
 * CPU reference backend, and compare every feature level and the logits by max|Δ|/max|ref|. */
#ifndef MODELS_TESTUTIL_H
#define MODELS_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hemovk/device.h"
#include "hemovk/graph.h"
#include "hemovk/models.h"
#include "hemovk/weights.h"
#include "hvtest.h"

#define MT_MAX_CHECKS 10

static inline double mt_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/** Run a shell command, failing the test with its text when it fails. */
static inline void mt_sh(const char *cmd) {
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/** Generate a reference case into a fresh temp folder: gen_backbone.py <args> --out <dir>. */
static inline const char *mt_gen(const char *tag, const char *args) {
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", hvtest_tmpdir(tag));
    char cmd[16384];
    int n = snprintf(cmd, sizeof cmd, "'%s' '%s/tools/ref/gen_backbone.py' %s --out '%s' > '%s/gen.log' 2>&1",
                     HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, args, dir, dir);
    ck_assert(n > 0 && (size_t)n < sizeof cmd);
    mt_sh(cmd);
    return dir;
}

/** Convert DIR/torchvision.pth with tools/convert_checkpoint.py --from <from> [extra] to
 *  DIR/weights.safetensors. */
static inline void mt_convert(const char *dir, const char *from, const char *extra) {
    char cmd[16384];
    int n = snprintf(cmd, sizeof cmd,
                     "'%s' '%s/tools/convert_checkpoint.py' --from %s %s '%s/torchvision.pth' -o '%s/weights.safetensors' "
                     "> '%s/convert.log' 2>&1",
                     HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, from, extra ? extra : "", dir, dir, dir);
    ck_assert(n > 0 && (size_t)n < sizeof cmd);
    mt_sh(cmd);
}

static inline hv_weights *mt_open(const char *dir, const char *file) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    hv_weights *w = NULL;
    ck_assert_msg(hv_weights_open(path, &w) == HV_OK, "%s", hv_last_error());
    return w;
}

/** A tensor of io.safetensors as f32 (malloc'd); *numel receives its size, dims[] its shape. */
static inline float *mt_read(const hv_weights *io, const char *name, size_t *numel, int64_t dims[4]) {
    hv_weight_info info;
    ck_assert_msg(hv_weights_find(io, name, &info) == HV_OK, "%s", hv_last_error());
    float *d = malloc((size_t)info.numel * sizeof(float));
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(hv_weights_read_f32(io, name, d, (size_t)info.numel), HV_OK);
    if (numel) *numel = (size_t)info.numel;
    if (dims)
        for (int i = 0; i < 4; i++) dims[i] = i < (int)info.rank ? info.dims[i] : 1;
    return d;
}

/** What a test compares: graph output `out` against io tensor `ref`. */
typedef struct mt_check {
    hv_tensor *t;
    const char *ref;
} mt_check;

/** Builds the model on input x, fills checks[] and returns how many. */
typedef int (*mt_build_fn)(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *ctx, mt_check *checks);

typedef struct mt_result {
    double worst;      /* max over checks of max|Δ|/max|ref| */
    double run_s;      /* one hv_plan_run (after a warm-up run) */
    double plan_s;     /* hv_plan_create */
} mt_result;

/** Build, plan (dev NULL: CPU backend), run twice on io's "input", compare every check; prints one line
 *  per check and returns the worst error. Fails the test when any error exceeds `tol` or when the
 *  validation layer reported anything. */
static inline mt_result mt_run_ex(const char *label, const hv_weights *w, const hv_weights *io, hv_device *dev,
                                  hv_dtype dt, mt_build_fn build, const void *ctx, double tol, int warm_run) {
    uint32_t vmsgs = hv_validation_message_count();
    size_t n_in;
    int64_t in_dims[4];
    float *input = mt_read(io, "input", &n_in, in_dims);
    hv_graph *g = NULL;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = hv_desc_make(dt, HV_LAYOUT_NCHW, 4, in_dims);
    hv_tensor *x = hv_graph_input(g, "input", &xd);
    mt_check checks[MT_MAX_CHECKS];
    int nc = build(g, x, w, ctx, checks);
    ck_assert_msg(nc > 0 && hv_graph_status(g) == HV_OK, "%s: build: %s", label, hv_last_error());
    char oname[MT_MAX_CHECKS][32];
    for (int i = 0; i < nc; i++) {
        snprintf(oname[i], sizeof oname[i], "out%d", i);
        ck_assert_int_eq(hv_graph_output(g, checks[i].t, oname[i]), HV_OK);
    }
    hv_plan *plan = NULL;
    double t0 = mt_now();
    ck_assert_msg(hv_plan_create(g, dev, NULL, &plan) == HV_OK, "%s: plan: %s", label, hv_last_error());
    mt_result r = {.plan_s = mt_now() - t0};
    ck_assert_int_eq(hv_plan_set_input(plan, "input", input, HV_F32, n_in), HV_OK);
    t0 = mt_now();
    ck_assert_msg(hv_plan_run(plan) == HV_OK, "%s: run: %s", label, hv_last_error());
    r.run_s = mt_now() - t0;
    if (dev && warm_run) { /* time a second run: shaders compiled, memory touched */
        t0 = mt_now();
        ck_assert_msg(hv_plan_run(plan) == HV_OK, "%s: run: %s", label, hv_last_error());
        r.run_s = mt_now() - t0;
    }
    for (int i = 0; i < nc; i++) {
        size_t n;
        float *ref = mt_read(io, checks[i].ref, &n, NULL);
        float *got = malloc(n * sizeof(float));
        ck_assert_msg(hv_plan_get_output(plan, oname[i], got, n) == HV_OK, "%s %s: %s", label, checks[i].ref,
                      hv_last_error());
        ck_assert_msg(hvtest_count_nonfinite(got, n) == 0, "%s %s: non-finite values", label, checks[i].ref);
        double e = hvtest_max_rel(got, ref, n);
        printf("%-40s %-4s %-8s max|d|/max|ref| = %.3g\n", label, dev ? hv_dtype_name(dt) : "cpu", checks[i].ref, e);
        ck_assert_msg(e <= tol, "%s (%s) %s: max|d|/max|ref| = %g > %g", label, dev ? hv_dtype_name(dt) : "cpu",
                      checks[i].ref, e, tol);
        if (e > r.worst) r.worst = e;
        free(ref), free(got);
    }
    if (dev)
        printf("%-40s %-4s %s run %.3f s (plan %.3f s)\n", label, hv_dtype_name(dt), warm_run ? "warm" : "first",
               r.run_s, r.plan_s);
    fflush(stdout);
    hv_plan_free(plan);
    hv_graph_free(g);
    free(input);
    ck_assert_msg(hv_validation_message_count() == vmsgs, "%s: validation layer messages", label);
    return r;
}

/** mt_run_ex timing a second (warm) run on a device. */
static inline mt_result mt_run(const char *label, const hv_weights *w, const hv_weights *io, hv_device *dev,
                               hv_dtype dt, mt_build_fn build, const void *ctx, double tol) {
    return mt_run_ex(label, w, io, dev, dt, build, ctx, tol, 1);
}

static inline hv_device *mt_device(void) {
    hv_device *dev = NULL;
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "device: %s", hv_last_error());
    return dev;
}

/** The usual run set, one run each: Vulkan f32 (1e-4) and f16 (1e-2), optionally the CPU backend (f32, 1e-4). */
static inline void mt_run_all(const char *label, const hv_weights *w, const hv_weights *io, mt_build_fn build,
                              const void *ctx, int with_cpu) {
    hv_device *dev = mt_device();
    mt_run_ex(label, w, io, dev, HV_F32, build, ctx, 1e-4, 0); /* one run each: per-commit time matters here */
    mt_run_ex(label, w, io, dev, HV_F16, build, ctx, 1e-2, 0);
    hv_device_close(dev);
    if (with_cpu) mt_run_ex(label, w, io, NULL, HV_F32, build, ctx, 1e-4, 0);
    ck_assert_int_eq(hv_validation_message_count(), 0);
}

#endif
