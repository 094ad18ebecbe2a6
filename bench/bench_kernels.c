/* bench_kernels — GFLOP/s and GB/s of representative conv / matmul / DCNv3 / RoIAlign shapes of
 * EfficientNet-B7, ConvNeXt-B and InternImage-XL at 224×224 (bench/kernel_shapes.txt) on the current
 * device. Not a test: numbers only, never pass/fail.
 *
 *   bench_kernels [--f16] [--runs N] [--shapes FILE] [NAME_SUBSTRING]
 *
 * Each kernel is recorded once into its own command buffer, submitted twice to warm up (lavapipe
 * compiles a shader at its first dispatch) and then N times (default 7); the median is reported. Time is
 * the GPU time of the dispatch from profiling timestamps when the queue has them ("gpu"), else the wall
 * time of submit+wait ("wall"). FLOPs: conv/mm 2·MACs; DCNv3 10 per kernel point per output value
 * (4 bilinear taps × 2 + mask multiply-add); RoIAlign 9 per bilinear sample per output value. GB/s
 * counts the compulsory traffic: every input and output byte once. matmul rows run as a 1×1 conv2d
 * (the pointwise GEMM kernel), which is how a Linear over H·W positions executes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graph/op.h"
#include "hemovk/device.h"
#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"

#if defined(__has_include)
#if __has_include("hemovk/ops_basic.h")
#define BENCH_HAVE_CONV 1
#include "ops/ops_conv_defs.h"
#endif
#endif

#define MAX_SRC 6

typedef struct bench_case {
    char name[64], kind[8];
    const hv_op_def *op;
    union {
#ifdef BENCH_HAVE_CONV
        hv_conv2d_params conv;
#endif
        hv_dcnv3_params dcn;
        hv_roi_align_params roi;
    } params;
    hv_tensor_desc src[MAX_SRC], dst;
    uint32_t n_src;
    double flops, bytes;
    float *roi_data; /* rois (generated, not random bits) */
} bench_case;

static uint64_t g_rng = 88172645463325252ull;
static double urand(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

static hv_tensor_desc desc(hv_dtype dt, hv_layout lay, uint32_t rank, int64_t a, int64_t b, int64_t c, int64_t d) {
    hv_tensor_desc t = {.dtype = dt, .layout = lay, .rank = rank, .dims = {a, b, c, d}};
    return t;
}

static double nbytes(const hv_tensor_desc *d) { return (double)hv_desc_bytes(d); }

/** Parse one line of kernel_shapes.txt into a case; returns 0 when the line is skipped. */
static int parse_case(const char *line, hv_dtype dt, bench_case *bc) {
    memset(bc, 0, sizeof *bc);
    char rest[256];
    if (sscanf(line, "%63s %7s %255[^\n]", bc->name, bc->kind, rest) != 3 || bc->name[0] == '#') return 0;
    if (!strcmp(bc->kind, "conv") || !strcmp(bc->kind, "mm")) {
#ifdef BENCH_HAVE_CONV
        long n = 1, cin, h, w = 1, cout, k = 1, s = 1, p = 0, g = 1;
        if (!strcmp(bc->kind, "conv")) {
            if (sscanf(rest, "%ld %ld %ld %ld %ld %ld %ld %ld %ld", &n, &cin, &h, &w, &cout, &k, &s, &p, &g) != 9) return 0;
        } else if (sscanf(rest, "%ld %ld %ld", &h, &cin, &cout) != 3) {
            return 0;
        }
        bc->op = &hv_op_conv2d;
        bc->params.conv = (hv_conv2d_params){.stride_h = (int32_t)s, .stride_w = (int32_t)s, .pad_top = (int32_t)p,
                                             .pad_bottom = (int32_t)p, .pad_left = (int32_t)p, .pad_right = (int32_t)p,
                                             .groups = (int32_t)g, .has_bias = true};
        bc->src[0] = desc(dt, HV_LAYOUT_NCHW, 4, n, cin, h, w);
        bc->src[1] = desc(dt, HV_LAYOUT_ANY, 4, cout, cin / g, k, k);
        bc->src[2] = desc(dt, HV_LAYOUT_ANY, 1, cout, 1, 1, 1);
        bc->n_src = 3;
        if (bc->op->infer(&bc->params, bc->src, 3, &bc->dst)) return -1;
        bc->flops = 2.0 * (double)hv_desc_numel(&bc->dst) * (double)(cin / g) * (double)(k * k);
        bc->bytes = nbytes(&bc->src[0]) + nbytes(&bc->src[1]) + nbytes(&bc->src[2]) + nbytes(&bc->dst);
        return 1;
#else
        return -2;
#endif
    }
    if (!strcmp(bc->kind, "dcn")) {
        long n, h, w, g, cg;
        double os;
        if (sscanf(rest, "%ld %ld %ld %ld %ld %lf", &n, &h, &w, &g, &cg, &os) != 6) return 0;
        bc->op = &hv_op_dcnv3;
        bc->params.dcn = (hv_dcnv3_params){.pad_h = 1, .pad_w = 1, .group = (int32_t)g, .group_channels = (int32_t)cg,
                                           .offset_scale = (float)os};
        bc->src[0] = desc(dt, HV_LAYOUT_NHWC, 4, n, h, w, g * cg);
        bc->src[1] = desc(dt, HV_LAYOUT_NHWC, 4, n, h, w, g * 18);
        bc->src[2] = desc(dt, HV_LAYOUT_NHWC, 4, n, h, w, g * 9);
        bc->n_src = 3;
        if (bc->op->infer(&bc->params, bc->src, 3, &bc->dst)) return -1;
        bc->flops = 10.0 * 9.0 * (double)hv_desc_numel(&bc->dst);
        bc->bytes = nbytes(&bc->src[0]) + nbytes(&bc->src[1]) + nbytes(&bc->src[2]) + nbytes(&bc->dst);
        return 1;
    }
    if (!strcmp(bc->kind, "roi")) {
        long r, c, pp, levels;
        if (sscanf(rest, "%ld %ld %ld %ld", &r, &c, &pp, &levels) != 4 || levels < 1 || levels > 4) return 0;
        bc->op = &hv_op_roi_align;
        bc->params.roi = (hv_roi_align_params){.num_levels = (int32_t)levels, .strides = {4, 8, 16, 32},
                                               .output_size = (int32_t)pp, .aligned = true};
        for (long l = 0; l < levels; ++l) bc->src[l] = desc(dt, HV_LAYOUT_NCHW, 4, 1, c, 56 >> l, 56 >> l);
        bc->src[levels] = desc(HV_F32, HV_LAYOUT_ANY, 2, r, 5, 1, 1);
        bc->n_src = (uint32_t)levels + 1;
        if (bc->op->infer(&bc->params, bc->src, bc->n_src, &bc->dst)) return -1;
        /* proposals: log-uniform sizes 8..224 px, centres anywhere in the 224² image */
        bc->roi_data = malloc((size_t)r * 5 * sizeof(float));
        double samples = 0;
        g_rng = 12345; /* the same boxes as bench_torch.py (same xorshift) */
        for (long i = 0; i < r; ++i) {
            float *b = bc->roi_data + i * 5;
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
        bc->flops = 9.0 * samples * (double)(pp * pp) * (double)c;
        bc->bytes = nbytes(&bc->dst) + nbytes(&bc->src[levels]);
        for (long l = 0; l < levels; ++l) bc->bytes += nbytes(&bc->src[l]);
        return 1;
    }
    return 0;
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

/** Time one case: median ns over `runs`; *gpu says whether timestamps were used. */
static hv_status run_case(hv_device *dev, bench_case *bc, int runs, double *median_ns, int *gpu) {
    hv_buffer bufs[MAX_SRC + 1];
    hv_binding binds[MAX_SRC], db;
    memset(bufs, 0, sizeof bufs);
    hv_status st = HV_OK;
    hv_cmd *cmd = NULL;
    double *t = calloc((size_t)runs, sizeof *t);
    for (uint32_t i = 0; i <= bc->n_src && !st; ++i) {
        const hv_tensor_desc *d = i < bc->n_src ? &bc->src[i] : &bc->dst;
        uint64_t bytes = (uint64_t)hv_desc_bytes(d);
        st = hv_buffer_alloc(dev, HV_MEM_DEVICE, bytes, &bufs[i]);
        if (st || i == bc->n_src) break;
        void *host = malloc(bytes);
        size_t n = (size_t)hv_desc_numel(d);
        if (bc->roi_data && d->rank == 2) {
            memcpy(host, bc->roi_data, bytes);
        } else if (d->dtype == HV_F16) {
            for (size_t k = 0; k < n; ++k) ((uint16_t *)host)[k] = hv_f32_to_f16((float)(urand() * 2 - 1));
        } else {
            for (size_t k = 0; k < n; ++k) ((float *)host)[k] = (float)(urand() * 2 - 1);
        }
        st = hv_buffer_upload(dev, &bufs[i], 0, host, bytes);
        free(host);
        binds[i] = (hv_binding){.buf = &bufs[i]};
    }
    db = (hv_binding){.buf = &bufs[bc->n_src]};
    if (!st) st = hv_cmd_begin(dev, &cmd);
    if (!st) st = bc->op->record(cmd, dev, &bc->params, bc->src, binds, bc->n_src, &bc->dst, &db, NULL);
    if (!st) st = hv_cmd_end(cmd);
    *gpu = 0;
    for (int r = -2; r < runs && !st; ++r) {
        double t0 = now_ns();
        st = hv_cmd_submit(cmd, true);
        double wall = now_ns() - t0;
        const hv_dispatch_time *dt = NULL;
        uint32_t nt = st ? 0 : hv_cmd_timings(cmd, &dt);
        double gpu_ns = 0;
        for (uint32_t k = 0; k < nt; ++k) gpu_ns += dt[k].ns;
        if (r >= 0) {
            t[r] = nt > 0 && gpu_ns > 0 ? gpu_ns : wall;
            *gpu = nt > 0 && gpu_ns > 0;
        }
    }
    if (!st) {
        qsort(t, (size_t)runs, sizeof *t, cmp_double);
        *median_ns = t[runs / 2];
    }
    hv_cmd_free(cmd);
    for (uint32_t i = 0; i <= bc->n_src; ++i) hv_buffer_free(dev, &bufs[i]);
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
    hv_device_set_profiling(dev, true);
    const hv_device_info *info = hv_device_get_info(dev);
    printf("# device: %s (%s), storage %s, median of %d runs after 2 warm-ups\n", info->name,
           hv_device_type_name(info->type), hv_dtype_name(dt), runs);
    printf("# %-26s %-5s %10s %10s %9s %s\n", "name", "kind", "ms", "GFLOP/s", "GB/s", "timer");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        bench_case bc;
        int ok = parse_case(line, dt, &bc);
        if (ok == 0) continue;
        if (filter && !strstr(bc.name, filter)) { free(bc.roi_data); continue; }
        if (ok == -2) {
            printf("%-28s %-5s %10s   (conv ops not in this build)\n", bc.name, bc.kind, "n/a");
            continue;
        }
        double ns = 0;
        int gpu = 0;
        hv_status st = ok < 0 ? HV_ERR_SHAPE : run_case(dev, &bc, runs, &ns, &gpu);
        if (st) {
            printf("%-28s %-5s %10s   (%s)\n", bc.name, bc.kind, "error", hv_last_error());
        } else {
            printf("%-28s %-5s %10.3f %10.2f %9.2f %s\n", bc.name, bc.kind, ns / 1e6, bc.flops / ns, bc.bytes / ns,
                   gpu ? "gpu" : "wall");
        }
        fflush(stdout);
        free(bc.roi_data);
    }
    fclose(f);
    hv_device_close(dev);
    return 0;
}
