/* bench/conv_libs.c — XNNPACK vs oneDNN on the paper's convolution shapes, 1 thread, f32, median of 20 runs:
 * the measurement behind the CPU backend's choice of oneDNN (bench/README.md). Not built by CMake (XNNPACK is
 * not a hemovk dependency):
 *   apt-get install libxnnpack-dev libpthreadpool-dev libdnnl-dev
 *   cc -O2 bench/conv_libs.c -o conv_libs -lXNNPACK -ldnnl -lpthreadpool -lm && OMP_NUM_THREADS=1 ./conv_libs */
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xnnpack.h>

typedef struct { const char *name; int c, h, w, k, kh, s, g, pt, pb; } shape;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
#define RUNS 20
static double median(double *v) { qsort(v, RUNS, sizeof *v, cmpd); return v[RUNS / 2]; }

static double bench_xnn(const shape *s, const float *x, const float *w, const float *b) {
    int oh = (s->h + s->pt + s->pb - s->kh) / s->s + 1;
    float *y = malloc(sizeof(float) * (size_t)oh * oh * s->k);
    xnn_operator_t op = NULL;
    /* XNNPACK wants NHWC and weights [g][oc/g][kh][kw][ic/g] (OHWI); values are random either way */
    if (xnn_create_convolution2d_nhwc_f32(s->pt, s->pb, s->pb, s->pt, s->kh, s->kh, s->s, s->s, 1, 1, s->g, s->c / s->g,
                                          s->k / s->g, s->c, s->k, w, b, -INFINITY, INFINITY, 0, &op) != xnn_status_success) {
        printf("xnn create failed\n");
        return -1;
    }
    double t[RUNS];
    for (int r = -3; r < RUNS; r++) {
        double t0 = now();
        xnn_setup_convolution2d_nhwc_f32(op, 1, s->h, s->h, x, y, NULL);
        xnn_run_operator(op, NULL);
        if (r >= 0) t[r] = now() - t0;
    }
    xnn_delete_operator(op);
    free(y);
    return median(t);
}

static double bench_dnnl(const shape *s, const float *x, const float *w, const float *b, dnnl_engine_t eng, dnnl_stream_t st,
                         int plain) {
    int oh = (s->h + s->pt + s->pb - s->kh) / s->s + 1, grouped = s->g > 1;
    dnnl_dims_t xd = {1, s->c, s->h, s->h}, yd = {1, s->k, oh, oh}, bd = {s->k};
    dnnl_dims_t wd = {s->k, s->c, s->kh, s->kh}, wg = {s->g, s->k / s->g, s->c / s->g, s->kh, s->kh};
    dnnl_dims_t str = {s->s, s->s}, dil = {0, 0}, pl = {s->pt, s->pt}, pr = {s->pb, s->pb};
    dnnl_memory_desc_t xm, ym, bm, wm, xu, yu;
    dnnl_format_tag_t act = plain ? dnnl_nchw : dnnl_format_tag_any;
    dnnl_memory_desc_init_by_tag(&xm, 4, xd, dnnl_f32, act);
    dnnl_memory_desc_init_by_tag(&ym, 4, yd, dnnl_f32, act);
    dnnl_memory_desc_init_by_tag(&xu, 4, xd, dnnl_f32, dnnl_nchw);
    dnnl_memory_desc_init_by_tag(&yu, 4, yd, dnnl_f32, dnnl_nchw);
    dnnl_memory_desc_init_by_tag(&bm, 1, bd, dnnl_f32, dnnl_a);
    dnnl_memory_desc_init_by_tag(&wm, grouped ? 5 : 4, grouped ? wg : wd, dnnl_f32, dnnl_format_tag_any);
    dnnl_convolution_desc_t cd;
    dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &xm, &wm, &bm, &ym, str,
                                               dil, pl, pr);
    dnnl_primitive_desc_t pd;
    if (dnnl_primitive_desc_create(&pd, &cd, NULL, eng, NULL) != dnnl_success) return -1;
    const dnnl_memory_desc_t *xq = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *yq = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_primitive_t p;
    dnnl_primitive_create(&p, pd);
    dnnl_memory_t mx, my, mw, mb, mxu, myu;
    void *bx = aligned_alloc(64, dnnl_memory_desc_get_size(xq) + 64), *by = aligned_alloc(64, dnnl_memory_desc_get_size(yq) + 64);
    void *bw = aligned_alloc(64, dnnl_memory_desc_get_size(wq) + 64), *byu = malloc(dnnl_memory_desc_get_size(&yu));
    memset(bw, 0, dnnl_memory_desc_get_size(wq));
    (void)w;
    dnnl_memory_create(&mx, xq, eng, bx);
    dnnl_memory_create(&my, yq, eng, by);
    dnnl_memory_create(&mw, wq, eng, bw);
    dnnl_memory_create(&mb, &bm, eng, (void *)b);
    dnnl_memory_create(&mxu, &xu, eng, (void *)x);
    dnnl_memory_create(&myu, &yu, eng, byu);
    dnnl_primitive_t rin = NULL, rout = NULL;
    int blocked = !dnnl_memory_desc_equal(xq, &xu);
    if (blocked) {
        dnnl_primitive_desc_t r1, r2;
        dnnl_reorder_primitive_desc_create(&r1, &xu, eng, xq, eng, NULL);
        dnnl_reorder_primitive_desc_create(&r2, yq, eng, &yu, eng, NULL);
        dnnl_primitive_create(&rin, r1);
        dnnl_primitive_create(&rout, r2);
    }
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, mx}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, my}};
    dnnl_exec_arg_t ai[2] = {{DNNL_ARG_FROM, mxu}, {DNNL_ARG_TO, mx}}, ao[2] = {{DNNL_ARG_FROM, my}, {DNNL_ARG_TO, myu}};
    double t[RUNS];
    for (int r = -3; r < RUNS; r++) {
        double t0 = now();
        if (rin) dnnl_primitive_execute(rin, st, 2, ai);
        dnnl_primitive_execute(p, st, 4, a);
        if (rout) dnnl_primitive_execute(rout, st, 2, ao);
        dnnl_stream_wait(st);
        if (r >= 0) t[r] = now() - t0;
    }
    return median(t);
}

int main(void) {
    static const shape sh[] = {
        {"B0 stem 3x3 s2 3->32 @224", 3, 224, 224, 32, 3, 2, 1, 0, 1},
        {"B0 dw 3x3 32 @112", 32, 112, 112, 32, 3, 1, 32, 1, 1},
        {"B0 pw 1x1 16->96 @112", 16, 112, 112, 96, 1, 1, 1, 0, 0},
        {"B0 dw 5x5 s2 144 @56", 144, 56, 56, 144, 5, 2, 144, 1, 2},
        {"B0 pw 1x1 192->1152 @7", 192, 7, 7, 1152, 1, 1, 1, 0, 0},
        {"ConvNeXt-T dw 7x7 96 @56", 96, 56, 56, 96, 7, 1, 96, 3, 3},
        {"ConvNeXt-T pw 1x1 96->384 @56", 96, 56, 56, 384, 1, 1, 1, 0, 0},
        {"FPN 3x3 256->256 @50", 256, 50, 50, 256, 3, 1, 1, 1, 1},
    };
    xnn_initialize(NULL);
    dnnl_engine_t eng;
    dnnl_stream_t st;
    dnnl_engine_create(&eng, dnnl_cpu, 0);
    dnnl_stream_create(&st, eng, dnnl_stream_default_flags);
    printf("| shape | XNNPACK NHWC ms | oneDNN blocked + reorders ms | oneDNN plain NCHW ms |\n|---|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof sh / sizeof sh[0]; i++) {
        const shape *s = &sh[i];
        size_t nx = (size_t)s->c * s->h * s->h, nw = (size_t)s->k * (s->c / s->g) * s->kh * s->kh;
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = calloc((size_t)s->k, 4);
        for (size_t j = 0; j < nx; j++) x[j] = (float)rand() / RAND_MAX - 0.5f;
        for (size_t j = 0; j < nw; j++) w[j] = (float)rand() / RAND_MAX - 0.5f;
        printf("| %s | %.3f | %.3f | %.3f |\n", s->name, bench_xnn(s, x, w, b), bench_dnnl(s, x, w, b, eng, st, 0),
               bench_dnnl(s, x, w, b, eng, st, 1));
        free(x), free(w), free(b);
    }
    return 0;
}
