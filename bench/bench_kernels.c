/* bench_kernels — GFLOP/s and GB/s of representative conv / matmul / DCNv3 / RoIAlign shapes of
 * EfficientNet-B7, ConvNeXt-B and InternImage-XL at 224×224 (bench/kernel_shapes.txt) on the current
 * device. Not a test: numbers only, never pass/fail.
 *
 *   bench_kernels [--f16] [--runs N] [--shapes FILE] [NAME_SUBSTRING]
 *
 * Each kernel is a one-op graph built and planned through the public SDK (hemovk/graph.h), exactly as
 * a plugin would run it; the plan is run twice to warm up (lavapipe compiles a shader at its first
 * dispatch) and then N times (default 7); the median is reported. Time is the GPU time of the op's
 * dispatches from the plan's profile when the queue has timestamps ("gpu"), else the wall time of
 * hv_plan_run ("wall", which also counts copying the inputs in and the output out). FLOPs: conv/mm
 * 2·MACs; DCNv3 10 per kernel point per output value (4 bilinear taps × 2 + mask multiply-add);
 * RoIAlign 9 per bilinear sample per output value. GB/s counts the compulsory traffic: every input and
 * output byte once. matmul rows run as a 1×1 conv2d (the pointwise GEMM kernel), which is how a Linear
 * over H·W positions executes. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hemovk/device.h"
#include "hemovk/graph.h"
#include "hemovk/status.h"

#define MAX_INPUTS 5 /* RoIAlign: 4 levels + rois */

typedef struct bench_case {
    hv_graph *g;
    hv_tensor *in[MAX_INPUTS];
    float *in_data[MAX_INPUTS]; /* values fed to each input before the timed runs */
    uint32_t n_in;
    double flops, bytes;
} bench_case;

static uint64_t g_rng = 88172645463325252ull;
static double urand(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

static hv_tensor_desc desc(hv_dtype dt, hv_layout lay, uint32_t rank, int64_t a, int64_t b, int64_t c, int64_t d) {
    return hv_desc_make(dt, lay, rank, (int64_t[]){a, b, c, d});
}

/* A layer's weights are uploaded once per plan; what it receives from the layer before (activations,
 * DCNv3 offsets and masks, FPN maps, proposals) is a graph input, set by name. */
enum { INPUT, WEIGHT };

/** Add a leaf to the case's graph holding `data` (NULL: random values in [-1, 1)), and count its bytes.
 *  Takes ownership of `data`. */
static hv_tensor *leaf(bench_case *bc, int kind, hv_tensor_desc d, float *data) {
    size_t n = (size_t)hv_desc_numel(&d);
    if (!data && (data = malloc(n * sizeof *data)))
        for (size_t k = 0; k < n; ++k) data[k] = (float)(urand() * 2 - 1);
    if (!data) return hv_graph_fail(bc->g, HV_ERR_OUT_OF_MEMORY, "bench: no memory for %zu values", n);
    bc->bytes += (double)hv_desc_bytes(&d);
    char name[16];
    snprintf(name, sizeof name, "t%u", hv_graph_node_count(bc->g));
    if (kind == WEIGHT) {
        hv_tensor *t = hv_graph_weight(bc->g, name, &d, data, HV_F32); /* copied: free now */
        free(data);
        return t;
    }
    hv_tensor *t = hv_graph_input(bc->g, name, &d);
    bc->in[bc->n_in] = t;
    bc->in_data[bc->n_in++] = data;
    return t;
}

/** Build the one-op graph of a kernel_shapes.txt line's `kind` and arguments `rest`; returns 1 when
 *  built, 0 when the line is malformed or of an unknown kind, -1 when the graph recorded an error. */
static int build_case(const char *kind, const char *rest, hv_dtype dt, bench_case *bc) {
    memset(bc, 0, sizeof *bc);
    hv_tensor *y = NULL;
    double flops_per_out = 0; /* conv/mm and dcn; RoIAlign counts its own */
    if (!strcmp(kind, "conv") || !strcmp(kind, "mm")) {
        long n = 1, cin, h, w = 1, cout, k = 1, s = 1, p = 0, g = 1;
        if (!strcmp(kind, "conv")) {
            if (sscanf(rest, "%ld %ld %ld %ld %ld %ld %ld %ld %ld", &n, &cin, &h, &w, &cout, &k, &s, &p, &g) != 9) return 0;
        } else if (sscanf(rest, "%ld %ld %ld", &h, &cin, &cout) != 3) {
            return 0;
        }
        if (hv_graph_create(&bc->g)) return -1;
        hv_conv2d_params cp = {.stride_h = (int32_t)s, .stride_w = (int32_t)s, .pad_top = (int32_t)p,
                               .pad_bottom = (int32_t)p, .pad_left = (int32_t)p, .pad_right = (int32_t)p,
                               .groups = (int32_t)g};
        hv_tensor *x = leaf(bc, INPUT, desc(dt, HV_LAYOUT_NCHW, 4, n, cin, h, w), NULL);
        hv_tensor *wt = leaf(bc, WEIGHT, desc(dt, HV_LAYOUT_ANY, 4, cout, cin / g, k, k), NULL);
        hv_tensor *b = leaf(bc, WEIGHT, desc(dt, HV_LAYOUT_ANY, 1, cout, 1, 1, 1), NULL);
        y = hv_conv2d(bc->g, x, wt, b, NULL, &cp, "conv");
        flops_per_out = 2.0 * (double)(cin / g) * (double)(k * k);
    } else if (!strcmp(kind, "dcn")) {
        long n, h, w, g, cg;
        double os;
        if (sscanf(rest, "%ld %ld %ld %ld %ld %lf", &n, &h, &w, &g, &cg, &os) != 6) return 0;
        if (hv_graph_create(&bc->g)) return -1;
        hv_dcnv3_params dp = {.pad_h = 1, .pad_w = 1, .group = (int32_t)g, .group_channels = (int32_t)cg,
                              .offset_scale = (float)os};
        hv_tensor *v = leaf(bc, INPUT, desc(dt, HV_LAYOUT_NHWC, 4, n, h, w, g * cg), NULL);
        hv_tensor *off = leaf(bc, INPUT, desc(dt, HV_LAYOUT_NHWC, 4, n, h, w, g * 18), NULL);
        hv_tensor *mask = leaf(bc, INPUT, desc(dt, HV_LAYOUT_NHWC, 4, n, h, w, g * 9), NULL);
        y = hv_dcnv3(bc->g, v, off, mask, &dp, "dcnv3");
        flops_per_out = 10.0 * 9.0;
    } else if (!strcmp(kind, "roi")) {
        long r, c, pp, levels;
        if (sscanf(rest, "%ld %ld %ld %ld", &r, &c, &pp, &levels) != 4 || levels < 1 || levels > 4) return 0;
        if (hv_graph_create(&bc->g)) return -1;
        hv_roi_align_params rp = {.num_levels = (int32_t)levels, .strides = {4, 8, 16, 32},
                                  .output_size = (int32_t)pp, .aligned = true};
        hv_tensor *maps[HV_ROI_MAX_LEVELS];
        for (long l = 0; l < levels; ++l)
            maps[l] = leaf(bc, INPUT, desc(dt, HV_LAYOUT_NCHW, 4, 1, c, 56 >> l, 56 >> l), NULL);
        /* proposals: log-uniform sizes 8..224 px, centres anywhere in the 224² image */
        float *rois = malloc((size_t)r * 5 * sizeof *rois);
        double samples = 0;
        g_rng = 12345; /* the same boxes as bench_torch.py (same xorshift) */
        for (long i = 0; rois && i < r; ++i) {
            float *b = rois + i * 5;
            double w = 8 * pow(28, urand()), h = 8 * pow(28, urand()), cx = 224 * urand(), cy = 224 * urand();
            b[0] = 0;
            b[1] = (float)(cx - w / 2);
            b[2] = (float)(cy - h / 2);
            b[3] = (float)(cx + w / 2);
            b[4] = (float)(cy + h / 2);
            int lv = hv_roi_level(b[1], b[2], b[3], b[4], 0, (int32_t)levels);
            double s = 1.0 / (4 << lv), gw = ceil((b[3] - b[1]) * s / pp), gh = ceil((b[4] - b[2]) * s / pp);
            samples += gw * gh;
        }
        hv_tensor *rt = rois ? leaf(bc, INPUT, desc(HV_F32, HV_LAYOUT_ANY, 2, r, 5, 1, 1), rois)
                             : hv_graph_fail(bc->g, HV_ERR_OUT_OF_MEMORY, "bench: no memory for %ld rois", r);
        y = hv_roi_align(bc->g, maps, rt, NULL, &rp, "roi_align");
        bc->flops = 9.0 * samples * (double)(pp * pp) * (double)c;
    } else {
        return 0;
    }
    if (y) hv_graph_output(bc->g, y, "y");
    if (hv_graph_status(bc->g)) return -1;
    const hv_tensor_desc *yd = hv_tensor_get_desc(y);
    bc->bytes += (double)hv_desc_bytes(yd);
    bc->flops += flops_per_out * (double)hv_desc_numel(yd);
    return 1;
}

static void free_case(bench_case *bc) {
    for (uint32_t i = 0; i < bc->n_in; ++i) free(bc->in_data[i]);
    hv_graph_free(bc->g);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A profiled plan prints its per-op table on stderr after every run; for a one-op plan that table only
 * repeats this program's line, N + 2 times per case, so stderr points at /dev/null while plans run
 * (errors still reach stdout through hv_last_error). */
static int stderr_mute(void) {
    fflush(stderr);
    int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDERR_FILENO);
        close(null);
    }
    return saved;
}

static void stderr_restore(int saved) {
    fflush(stderr);
    if (saved < 0) return;
    dup2(saved, STDERR_FILENO);
    close(saved);
}

/** Time one case: median ns over `runs`; *gpu says whether timestamps were used. */
static hv_status run_case(hv_device *dev, bench_case *bc, int runs, double *median_ns, int *gpu) {
    hv_plan_options opts = {.profile = 1}; /* a device without timestamps just has no profile: wall time */
    hv_plan *p = NULL;
    double *t = calloc((size_t)runs, sizeof *t);
    hv_status st = t ? hv_plan_create(bc->g, dev, &opts, &p) : hv_error(HV_ERR_OUT_OF_MEMORY, "bench: out of memory");
    for (uint32_t i = 0; i < bc->n_in && !st; ++i)
        st = hv_plan_set_input(p, hv_tensor_name(bc->in[i]), bc->in_data[i], HV_F32,
                               (size_t)hv_desc_numel(hv_tensor_get_desc(bc->in[i])));
    *gpu = 0;
    int saved = stderr_mute();
    for (int r = -2; r < runs && !st; ++r) {
        double t0 = now_ns();
        st = hv_plan_run(p);
        double wall = now_ns() - t0, gpu_ns = 0;
        hv_op_time ot[8];
        uint32_t n = st ? 0 : hv_plan_profile(p, ot, 8);
        for (uint32_t k = 0; k < n; ++k) gpu_ns += ot[k].ns;
        if (r >= 0) {
            t[r] = gpu_ns > 0 ? gpu_ns : wall;
            *gpu = gpu_ns > 0;
        }
    }
    stderr_restore(saved);
    if (!st) {
        qsort(t, (size_t)runs, sizeof *t, cmp_double);
        *median_ns = t[runs / 2];
    }
    hv_plan_free(p);
    free(t);
    return st;
}

int main(int argc, char **argv) {
    const char *shapes = HEMOVK_BENCH_SHAPES, *filter = NULL;
    hv_dtype dt = HV_F32;
    int runs = 7;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--f16")) dt = HV_F16;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc) shapes = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--f16] [--runs N] [--shapes FILE] [NAME_SUBSTRING]\n", argv[0]);
            return 2;
        } else filter = argv[i];
    }
    if (runs < 1) runs = 1;
    FILE *f = fopen(shapes, "r");
    if (!f) {
        fprintf(stderr, "bench_kernels: cannot open %s\n", shapes);
        return 3;
    }
    hv_device *dev = NULL;
    if (hv_device_open(NULL, &dev)) {
        fprintf(stderr, "bench_kernels: %s\n", hv_last_error());
        fclose(f);
        return 4;
    }
    const hv_device_info *info = hv_device_get_info(dev);
    printf("# device: %s (%s), storage %s, median of %d runs after 2 warm-ups\n", info->name,
           hv_device_type_name(info->type), hv_dtype_name(dt), runs);
    printf("# %-26s %-5s %10s %10s %9s %s\n", "name", "kind", "ms", "GFLOP/s", "GB/s", "timer");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char name[64], kind[8], rest[256];
        if (sscanf(line, "%63s %7s %255[^\n]", name, kind, rest) != 3 || name[0] == '#') continue;
        if (filter && !strstr(name, filter)) continue;
        bench_case bc;
        int ok = build_case(kind, rest, dt, &bc);
        if (ok == 0) { /* malformed line or unknown kind: skipped, as before */
            free_case(&bc);
            continue;
        }
        double ns = 0;
        int gpu = 0;
        hv_status st = ok < 0 ? HV_ERR_SHAPE : run_case(dev, &bc, runs, &ns, &gpu);
        if (st) {
            printf("%-28s %-5s %10s   (%s)\n", name, kind, "error", hv_last_error());
        } else {
            printf("%-28s %-5s %10.3f %10.2f %9.2f %s\n", name, kind, ns / 1e6, bc.flops / ns, bc.bytes / ns,
                   gpu ? "gpu" : "wall");
        }
        fflush(stdout);
        free_case(&bc);
    }
    fclose(f);
    hv_device_close(dev);
    return 0;
}
