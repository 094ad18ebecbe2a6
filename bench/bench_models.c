/* bench_models — end-to-end timing of the paper's networks on the current device (not a test: numbers
 * only, never pass/fail).
 *
 *   bench_models --model NAME --dtype f32|f16 --dir DIR [--runs N] [--serve] [--cpu]
 *
 * NAME: effb0, effb7 (mmpretrain EfficientNet classifiers, TF-SAME, BN eps 1e-3: the paper's B7 on raw
 * 0–255 input), convnext-t, convnext-b (classifiers: GAP → norm3 → fc), internimage-t, internimage-xl
 * (backbones: the four NCHW feature maps a detector takes). DIR is written by bench_models_torch.py
 * --prepare: DIR/weights.safetensors (random weights, mmpretrain names), DIR/io.safetensors ("input"
 * and the PyTorch outputs "out.<i>"). The batch and image size come from the input's shape.
 *
 * The graph is built and planned once; the first run (lavapipe compiles each pipeline at its first
 * dispatch) is timed separately and its outputs are checked against PyTorch's (max|Δ|/max|ref|, so a
 * wrong model is never timed). Then:
 *   - default: --runs N more runs (default 5), one line with the median wall time;
 *   - --serve: reads commands on stdin, for the interleaving driver (bench_models_torch.py):
 *       "run K"      K runs of hv_plan_run, answers "times <ms> <ms> ..." (wall, each run);
 *       "profile K"  re-plans with per-dispatch GPU timestamps, K runs, answers "profile dispatches=<n>
 *                    gpu_ms=<median of the summed dispatch times>" (the plain plan is freed first, so
 *                    wall times never include the timestamp overhead);
 *       "quit".
 * Every answer is one line on stdout, flushed; everything else goes to stderr. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hemovk/device.h"
#include "hemovk/graph.h"
#include "hemovk/models.h"
#include "hemovk/weights.h"

#define MAX_OUTS 4
#define MAX_RUNS 1000

typedef struct bench_model {
    hv_graph *graph;
    hv_tensor *outs[MAX_OUTS];
    uint32_t n_outs;
    float *input;
    size_t n_input;
} bench_model;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/** Read io tensor `name` as f32 (malloc'd); dims[4] receives its shape padded with 1s. */
static hv_status read_io(const hv_weights *io, const char *name, float **out, size_t *numel, int64_t dims[4]) {
    hv_weight_info info;
    hv_status st = hv_weights_find(io, name, &info);
    if (st) return st;
    float *d = malloc((size_t)info.numel * sizeof(float));
    if (!d) return hv_error(HV_ERR_OUT_OF_MEMORY, "bench_models: no memory for io tensor '%s'", name);
    if ((st = hv_weights_read_f32(io, name, d, (size_t)info.numel))) {
        free(d);
        return st;
    }
    for (int i = 0; dims && i < 4; i++) dims[i] = i < (int)info.rank ? info.dims[i] : 1;
    *out = d;
    *numel = (size_t)info.numel;
    return HV_OK;
}

/** Add the network NAME on input x; fills m->outs in the order of the PyTorch outputs out.<i>. */
static hv_status build_network(const char *name, hv_graph *g, hv_tensor *x, const hv_weights *w, bench_model *m) {
    hv_backbone_outputs bo;
    hv_status st;
    if (!strcmp(name, "effb0") || !strcmp(name, "effb7")) {
        hv_efficientnet_params p = {.arch = name + 3};
        if ((st = hv_efficientnet_build(g, x, w, &p, &bo))) return st;
        hv_tensor *logits = NULL;
        if ((st = hv_cls_head_build(g, bo.last, w, NULL, &logits, NULL, NULL))) return st;
        m->outs[m->n_outs++] = logits;
        return HV_OK;
    }
    if (!strcmp(name, "convnext-t") || !strcmp(name, "convnext-b")) {
        /* classifier weights hold norm3 only, so AUTO leaves the stage output un-normalised; downsample LN
         * eps 1e-6 as mmpretrain 1.x / convnext_mm.Classifier */
        hv_convnext_params p = {.arch = name[9] == 't' ? "tiny" : "base", .downsample_eps = 1e-6f, .num_out = 1,
                                .out_indices = {3}};
        if ((st = hv_convnext_build(g, x, w, &p, &bo))) return st;
        hv_cls_head_params hp = {.norm = "backbone.norm3"};
        hv_tensor *logits = NULL;
        if ((st = hv_cls_head_build(g, bo.last, w, &hp, &logits, NULL, NULL))) return st;
        m->outs[m->n_outs++] = logits;
        return HV_OK;
    }
    if (!strcmp(name, "internimage-t") || !strcmp(name, "internimage-xl")) {
        hv_internimage_params p = {.arch = name + 12};
        if ((st = hv_internimage_build(g, x, w, &p, &bo))) return st;
        for (uint32_t i = 0; i < bo.count && i < MAX_OUTS; i++) m->outs[m->n_outs++] = bo.feats[i];
        return HV_OK;
    }
    return hv_error(HV_ERR_INVALID_ARGUMENT,
                    "bench_models: unknown --model '%s' (effb0, effb7, convnext-t, convnext-b, internimage-t, "
                    "internimage-xl)", name);
}

static hv_status build_model(const char *name, hv_dtype dt, const char *dir, bench_model *m) {
    char path[4200];
    hv_weights *w = NULL, *io = NULL;
    snprintf(path, sizeof path, "%s/weights.safetensors", dir);
    hv_status st = hv_weights_open(path, &w);
    if (st) return st;
    snprintf(path, sizeof path, "%s/io.safetensors", dir);
    if ((st = hv_weights_open(path, &io))) goto done;
    int64_t dims[4];
    if ((st = read_io(io, "input", &m->input, &m->n_input, dims))) goto done;
    if ((st = hv_graph_create(&m->graph))) goto done;
    hv_tensor_desc xd = hv_desc_make(dt, HV_LAYOUT_NCHW, 4, dims);
    hv_tensor *x = hv_graph_input(m->graph, "input", &xd);
    if ((st = build_network(name, m->graph, x, w, m))) goto done;
    if ((st = hv_graph_status(m->graph))) goto done;
    for (uint32_t i = 0; i < m->n_outs; i++) {
        char oname[16];
        snprintf(oname, sizeof oname, "out.%u", i);
        if ((st = hv_graph_output(m->graph, m->outs[i], oname))) goto done;
    }
done:
    hv_weights_free(w); /* the graph holds its own copy of every weight */
    hv_weights_free(io);
    return st;
}

/** max over outputs of max|Δ|/max|ref| against DIR/io.safetensors out.<i>. */
static hv_status check_outputs(hv_plan *p, const bench_model *m, const char *dir, double *worst) {
    char path[4200];
    hv_weights *io = NULL;
    snprintf(path, sizeof path, "%s/io.safetensors", dir);
    hv_status st = hv_weights_open(path, &io);
    if (st) return st;
    *worst = 0;
    for (uint32_t i = 0; i < m->n_outs && !st; i++) {
        char oname[16];
        snprintf(oname, sizeof oname, "out.%u", i);
        float *ref = NULL, *got = NULL;
        size_t n = 0;
        if ((st = read_io(io, oname, &ref, &n, NULL))) break;
        got = malloc(n * sizeof(float));
        if (!got) st = hv_error(HV_ERR_OUT_OF_MEMORY, "bench_models: no memory for output %s", oname);
        if (!st) st = hv_plan_get_output(p, oname, got, n);
        if (!st) {
            double md = 0, mr = 0;
            for (size_t k = 0; k < n; k++) {
                md = fmax(md, fabs((double)got[k] - ref[k]));
                mr = fmax(mr, fabs((double)ref[k]));
            }
            double e = mr > 0 ? md / mr : md;
            if (!(e <= *worst)) *worst = e; /* NaN propagates */
        }
        free(ref), free(got);
    }
    hv_weights_free(io);
    return st;
}

static hv_status plan_model(bench_model *m, hv_device *dev, int profile, hv_plan **out) {
    hv_plan_options o = {.profile = profile};
    hv_status st = hv_plan_create(m->graph, dev, &o, out);
    if (!st) st = hv_plan_set_input(*out, "input", m->input, HV_F32, m->n_input);
    return st;
}

static hv_status timed_runs(hv_plan *p, int k, double *ms) {
    for (int i = 0; i < k; i++) {
        double t0 = now_ms();
        hv_status st = hv_plan_run(p);
        if (st) return st;
        ms[i] = now_ms() - t0;
    }
    return HV_OK;
}

/** GPU time of K profiled runs (median of each run's summed dispatch times) and dispatches per run. */
static hv_status profile_runs(bench_model *m, hv_device *dev, int k, double *gpu_ms, uint32_t *dispatches) {
    hv_plan *p = NULL;
    hv_status st = plan_model(m, dev, 1, &p);
    double v[MAX_RUNS];
    for (int i = 0; i < k && !st; i++) {
        if ((st = hv_plan_run(p))) break;
        hv_op_time t[64];
        uint32_t n = hv_plan_profile(p, t, 64);
        double ns = 0;
        *dispatches = 0;
        for (uint32_t j = 0; j < n; j++) ns += t[j].ns, *dispatches += t[j].count;
        v[i] = ns * 1e-6;
    }
    if (!st) *gpu_ms = median(v, k);
    hv_plan_free(p);
    return st;
}

static int serve(bench_model *m, hv_device *dev, hv_plan **plan) {
    char line[256];
    double ms[MAX_RUNS];
    while (fgets(line, sizeof line, stdin)) {
        int k = 0;
        hv_status st = HV_OK;
        if (sscanf(line, "run %d", &k) == 1 && k > 0 && k <= MAX_RUNS) {
            if (!*plan) st = plan_model(m, dev, 0, plan);
            if (!st) st = timed_runs(*plan, k, ms);
            if (!st) {
                printf("times");
                for (int i = 0; i < k; i++) printf(" %.3f", ms[i]);
                printf("\n");
            }
        } else if (sscanf(line, "profile %d", &k) == 1 && k > 0 && k <= MAX_RUNS) {
            hv_plan_free(*plan);
            *plan = NULL;
            double gpu = 0;
            uint32_t disp = 0;
            if (!(st = profile_runs(m, dev, k, &gpu, &disp))) printf("profile dispatches=%u gpu_ms=%.3f\n", disp, gpu);
        } else if (!strncmp(line, "quit", 4)) {
            return 0;
        } else {
            printf("error unknown command: %s", line);
        }
        if (st) printf("error %s\n", hv_last_error());
        fflush(stdout);
        if (st) return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *model = NULL, *dir = NULL, *dts = "f32";
    int runs = 5, serve_mode = 0, cpu = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--dtype") && i + 1 < argc) dts = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--serve")) serve_mode = 1;
        else if (!strcmp(argv[i], "--cpu")) cpu = 1;
        else {
            fprintf(stderr, "usage: bench_models --model NAME --dtype f32|f16 --dir DIR [--runs N] [--serve] [--cpu]\n");
            return 2;
        }
    }
    if (!model || !dir || (strcmp(dts, "f32") && strcmp(dts, "f16")) || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "bench_models: need --model and --dir, --dtype f32|f16, 1 <= --runs <= %d\n", MAX_RUNS);
        return 2;
    }
    hv_dtype dt = strcmp(dts, "f16") ? HV_F32 : HV_F16;
    bench_model m = {0};
    hv_device *dev = NULL;
    hv_plan *plan = NULL;
    int rc = 1;
    double t0 = now_ms(), build_ms, plan_ms, first_ms, err = 0;
    if (build_model(model, dt, dir, &m)) goto fail;
    build_ms = now_ms() - t0;
    if (!cpu && hv_device_open(NULL, &dev)) goto fail;
    t0 = now_ms();
    if (plan_model(&m, dev, 0, &plan)) goto fail;
    plan_ms = now_ms() - t0;
    t0 = now_ms();
    if (hv_plan_run(plan)) goto fail;
    first_ms = now_ms() - t0;
    if (check_outputs(plan, &m, dir, &err)) goto fail;
    printf("info model=%s dtype=%s device=\"%s\" build_ms=%.0f plan_ms=%.0f first_run_ms=%.1f max_rel_err=%.3g "
           "weight_bytes=%llu peak_bytes=%llu sum_intermediate_bytes=%llu nodes=%u fused=%u levels=%u barriers=%u\n",
           model, dts, dev ? hv_device_get_info(dev)->name : "cpu-reference", build_ms, plan_ms, first_ms, err,
           (unsigned long long)hv_plan_weight_bytes(plan), (unsigned long long)hv_plan_peak_bytes(plan),
           (unsigned long long)hv_plan_sum_intermediate_bytes(plan), hv_plan_node_count(plan),
           hv_plan_fused_count(plan), hv_plan_level_count(plan), hv_plan_barrier_count(plan));
    fflush(stdout);
    if (serve_mode) {
        rc = serve(&m, dev, &plan);
    } else {
        double ms[MAX_RUNS];
        if (timed_runs(plan, runs, ms)) goto fail;
        printf("median_ms=%.3f runs=%d\n", median(ms, runs), runs);
        rc = 0;
    }
    goto out;
fail:
    fprintf(stderr, "bench_models: %s\n", hv_last_error());
    printf("error %s\n", hv_last_error());
out:
    hv_plan_free(plan);
    hv_graph_free(m.graph);
    free(m.input);
    hv_device_close(dev);
    return rc;
}
