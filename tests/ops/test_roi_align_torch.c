/* Multi-level RoIAlign CPU reference (core/ops/roi_align.c, the oracle of the Vulkan tests) against
 * torchvision.ops.roi_align through tools/ref/roi_align_ref.py (which maps levels with mmdet's rule in
 * torch). MODEL_SPEC §5.7 believes mmcv's aligned RoIAlign and torchvision's are the same algorithm; this
 * test is the line-by-line check it asked for. RoIs: random ones on every level, ones partly or mostly
 * outside the map, tiny ones, zero-width ones (adaptive grid 0 → output 0), and a flipped one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"
#include "opsdcn_testutil.h"

enum { N_IMG = 2, CH = 3, IMG = 224 };
static const float strides[4] = {4, 8, 16, 32};

typedef struct roi_case {
    int out, sr;
    bool aligned;
} roi_case;
static const roi_case cases[] = {{7, 0, true}, {14, 0, true}, {7, 2, false}};

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float frand(float lo, float hi) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (float)((rng_state >> 11) * (1.0 / 9007199254740992.0));
}

/** A box of about `side` pixels whose level is not within 1 % of a boundary (both rules agree). */
static void make_roi(float *r, float side, float cx, float cy, int batch) {
    for (;;) {
        float w = side * frand(0.7f, 1.3f), h = side * side / w * frand(0.9f, 1.1f);
        float t = sqrtf(w * h) / 56.0f;
        float l2 = log2f(t);
        if (fabsf(l2 - roundf(l2)) < 0.02f) continue;
        r[0] = (float)batch;
        r[1] = cx - w / 2;
        r[2] = cy - h / 2;
        r[3] = cx + w / 2;
        r[4] = cy + h / 2;
        return;
    }
}

/** Fill R RoIs; returns R. */
static int make_rois(float *rois) {
    int r = 0;
    const float sides[] = {20, 80, 150, 300, 600};
    for (int k = 0; k < 5; ++k)
        for (int j = 0; j < 4; ++j, ++r)
            make_roi(rois + r * 5, sides[k], frand(0, IMG), frand(0, IMG), (r % N_IMG));
    /* partly outside on the left/top, and far outside to the right */
    make_roi(rois + (r++) * 5, 60, -10, 5, 0);
    make_roi(rois + (r++) * 5, 130, IMG + 20, IMG - 4, 1);
    /* tiny: 1 px and 0.2 px */
    float tiny[][5] = {{0, 100, 100, 101, 101}, {1, 50.3f, 60.1f, 50.5f, 60.4f}, {0, 30, 40, 30, 90},
                       {1, 70, 95, 60, 80}, {0, -300, -300, -250, -260}};
    for (int k = 0; k < 5; ++k, ++r) memcpy(rois + r * 5, tiny[k], sizeof tiny[k]);
    return r;
}

START_TEST(cpu_ref_matches_torchvision) {
    const roi_case *tc = &cases[_i];
    hv_roi_align_params p = {.num_levels = 4, .strides = {4, 8, 16, 32}, .output_size = tc->out,
                             .sampling_ratio = tc->sr, .aligned = tc->aligned};
    float rois[64 * 5];
    const int R = make_rois(rois);
    hv_tensor_desc src[5], dst;
    float *fd[4];
    char tag[32];
    snprintf(tag, sizeof tag, "roi_torch_%d", _i);
    const char *dir = hvtest_tmpdir(tag);
    for (int l = 0; l < 4; ++l) {
        const int hw = (int)(IMG / strides[l]) + (l == 0 ? 1 : 0); /* level 0 odd-sized: 57×57 */
        src[l] = (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {N_IMG, CH, hw, hw - 1}};
        size_t n = (size_t)hv_desc_numel(&src[l]);
        fd[l] = malloc(n * 4);
        hvtest_fill_uniform(fd[l], n, 100 + (uint64_t)l, -2.0f, 2.0f);
        char name[16];
        snprintf(name, sizeof name, "feat%d.bin", l);
        opsdcn_write_f32(dir, name, fd[l], n);
    }
    src[4] = (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_ANY, .rank = 2, .dims = {R, 5, 1, 1}};
    ck_assert_int_eq(hv_op_roi_align.infer(&p, src, 5, &dst), HV_OK);
    size_t nd = (size_t)hv_desc_numel(&dst);
    float *out = malloc(nd * 4);
    const float *sd[5] = {fd[0], fd[1], fd[2], fd[3], rois};
    ck_assert_int_eq(hv_op_roi_align.ref(&p, src, sd, 5, &dst, out), HV_OK);
    opsdcn_write_f32(dir, "rois.bin", rois, (size_t)R * 5);
    char path[1024];
    snprintf(path, sizeof path, "%s/params.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"n\":%d,\"c\":%d,\"hs\":[%lld,%lld,%lld,%lld],\"ws\":[%lld,%lld,%lld,%lld],\"strides\":[4,8,16,32],"
               "\"output_size\":%d,\"sampling_ratio\":%d,\"aligned\":%d,\"finest_scale\":56}\n", N_IMG, CH,
            (long long)src[0].dims[2], (long long)src[1].dims[2], (long long)src[2].dims[2], (long long)src[3].dims[2],
            (long long)src[0].dims[3], (long long)src[1].dims[3], (long long)src[2].dims[3], (long long)src[3].dims[3],
            tc->out, tc->sr, tc->aligned ? 1 : 0);
    fclose(f);
    opsdcn_run_python("roi_align_ref.py", dir);
    float *ref = opsdcn_read_f32(dir, "out.bin", nd), *lv = opsdcn_read_f32(dir, "levels.bin", (size_t)R);
    int per_level[4] = {0};
    for (int r = 0; r < R; ++r) {
        const float *b = rois + r * 5;
        int l = hv_roi_level(b[1], b[2], b[3], b[4], 0.0f, 4);
        ck_assert_msg(l == (int)lv[r], "RoI %d (%g,%g,%g,%g): level %d, mmdet rule in torch says %g", r, (double)b[1],
                      (double)b[2], (double)b[3], (double)b[4], l, (double)lv[r]);
        per_level[l]++;
    }
    for (int l = 0; l < 4; ++l) ck_assert_msg(per_level[l] > 0, "no RoI on level %d", l);
    double e = hvtest_nmse(out, ref, nd), mr = hvtest_max_rel(out, ref, nd);
    printf("roi_align case %d (P=%d sr=%d aligned=%d): %d RoIs, NMSE vs torchvision %.3e, max rel %.3e\n", _i, tc->out,
           tc->sr, tc->aligned, R, e, mr);
    ck_assert_msg(e <= 1e-11, "NMSE %.3e vs torchvision", e);
    ck_assert_msg(mr <= 1e-5, "max rel %.3e vs torchvision", mr);
    /* the zero-width RoI (index R-3) pools nothing: exactly 0, as in mmcv (count = max(0, 1)) */
    if (tc->sr == 0 && tc->aligned)
        for (size_t k = 0; k < (size_t)CH * tc->out * tc->out; ++k)
            ck_assert(out[(size_t)(R - 3) * CH * tc->out * tc->out + k] == 0.0f);
    for (int l = 0; l < 4; ++l) free(fd[l]);
    free(out); free(ref); free(lv);
}
END_TEST

START_TEST(level_rule_and_errors) {
    ck_assert_int_eq(hv_roi_level(0, 0, 111, 111, 0, 4), 0);
    ck_assert_int_eq(hv_roi_level(0, 0, 112, 112, 0, 4), 1); /* exactly 2·56: log2 = 1 (the +1e-6 matters) */
    ck_assert_int_eq(hv_roi_level(0, 0, 224, 224, 0, 4), 2);
    ck_assert_int_eq(hv_roi_level(0, 0, 448, 448, 0, 4), 3);
    ck_assert_int_eq(hv_roi_level(0, 0, 5000, 5000, 0, 4), 3);
    ck_assert_int_eq(hv_roi_level(0, 0, 5000, 5000, 0, 2), 1);
    ck_assert_int_eq(hv_roi_level(10, 10, 5, 5, 0, 4), 0); /* flipped box: positive area, tiny */
    hv_roi_align_params p = {.num_levels = 2, .strides = {4, 8}, .output_size = 7};
    hv_tensor_desc src[4], dst;
    src[0] = (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {1, 8, 10, 10}};
    src[1] = (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {1, 8, 5, 5}};
    src[2] = (hv_tensor_desc){.dtype = HV_F32, .rank = 2, .dims = {3, 5, 1, 1}};
    ck_assert_int_eq(hv_op_roi_align.infer(&p, src, 3, &dst), HV_OK);
    ck_assert_int_eq(dst.dims[0], 3);
    ck_assert_int_eq(dst.dims[1], 8);
    ck_assert_int_eq(dst.dims[3], 7);
    src[1].dims[1] = 9;
    ck_assert_int_eq(hv_op_roi_align.infer(&p, src, 3, &dst), HV_ERR_SHAPE);
    src[1].dims[1] = 8;
    src[2].dims[1] = 4;
    ck_assert_int_eq(hv_op_roi_align.infer(&p, src, 3, &dst), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "rois"));
    src[2].dims[1] = 5;
    ck_assert_int_eq(hv_op_roi_align.infer(&p, src, 2, &dst), HV_ERR_SHAPE);
    p.strides[1] = 0;
    ck_assert_int_eq(hv_op_roi_align.infer(&p, src, 3, &dst), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    Suite *s = suite_create("roi_align_torch");
    TCase *tc = tcase_create("ref");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, cpu_ref_matches_torchvision, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, level_rule_and_errors);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
