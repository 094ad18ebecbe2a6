/* The RPN proposal ops (core/ops/rpn_proposals.c: rpn_level_topk and rpn_nms; shaders/rpn_topk.comp and
 * rpn_nms.comp). Three claims:
 *   1. the references chained give exactly hv_rpn_proposals' proposals (the host path they replace),
 *      with ties (logits on a coarse grid, saturated scores of 1.0), top-k that cuts through a run of
 *      equal scores, levels smaller than nms_pre and the min_bbox_size filter;
 *   2. rpn_level_topk on Vulkan (f32 and f16 maps) picks the same anchors in the same order as its
 *      reference, boxes and scores within 1e-6 of the image size and of 1 (the device's exp is not
 *      glibc's), on levels of 1152 and
 *      3072 anchors (radix select and the whole 1024-slot sort), with guards around the output;
 *   3. rpn_nms on Vulkan gives its reference's rows bit for bit from the same candidates (the IoU test
 *      is exact float arithmetic), and the whole device chain matches hv_rpn_proposals.
 * Plus the shape and parameter errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/detect.h"
#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"
#include "opsdcn_vk.h"

enum { N = 2, A = 3, L = 5 };

typedef struct level_data {
    hv_tensor_desc cls_d, reg_d;
    float *cls, *reg;
    int32_t h, w;
} level_data;

/* Logits on a grid of 0.5 in [-6, 6] (many ties), a few saturated (score 1.0f), deltas uniform. */
static void make_levels(level_data *lv, int32_t h0, int32_t w0, uint64_t seed, hv_dtype dt) {
    for (int l = 0; l < L; l++) {
        level_data *d = &lv[l];
        d->h = h0 >> l ? h0 >> l : 1, d->w = w0 >> l ? w0 >> l : 1;
        d->cls_d = (hv_tensor_desc){.dtype = dt, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {N, A, d->h, d->w}};
        d->reg_d = (hv_tensor_desc){.dtype = dt, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {N, 4 * A, d->h, d->w}};
        size_t nc = (size_t)hv_desc_numel(&d->cls_d), nr = (size_t)hv_desc_numel(&d->reg_d);
        d->cls = malloc(nc * sizeof(float));
        d->reg = malloc(nr * sizeof(float));
        hvtest_fill_uniform(d->cls, nc, seed + (uint64_t)l, -6.0f, 6.0f);
        for (size_t i = 0; i < nc; i++) d->cls[i] = roundf(d->cls[i] * 2.0f) / 2.0f;
        for (size_t i = 0; i < nc; i += 97) d->cls[i] = 20.0f + (float)(i % 5); /* sigmoid rounds to 1.0f */
        hvtest_fill_uniform(d->reg, nr, seed + 100 + (uint64_t)l, -1.0f, 1.0f);
        if (dt == HV_F16) {
            opsdcn_round_f16(d->cls, nc);
            opsdcn_round_f16(d->reg, nr);
        }
    }
}

static void free_levels(level_data *lv) {
    for (int l = 0; l < L; l++) free(lv[l].cls), free(lv[l].reg);
}

static hv_rpn_params host_params(float img_h, float img_w, int nms_pre, int max_per_img, float min_size) {
    hv_rpn_params p;
    hv_rpn_params_default(&p, img_h, img_w);
    p.nms_pre = nms_pre, p.max_per_img = max_per_img, p.iou_thr = 0.7f, p.min_bbox_size = min_size;
    return p;
}

static hv_rpn_topk_params topk_params(const hv_rpn_params *hp, int l) {
    hv_rpn_topk_params p = {.nms_pre = hp->nms_pre, .n_anchors = A, .stride = (float)(4 << l), .img_h = hp->img_h,
                            .img_w = hp->img_w, .min_bbox_size = hp->min_bbox_size};
    hv_box base[A];
    ck_assert(hv_anchors_base(p.stride, &hp->anchor_scale, 1, hp->ratios, A, base) == HV_OK);
    for (int a = 0; a < A; a++) {
        p.anchor_half[a][0] = base[a].x2, p.anchor_half[a][1] = base[a].y2;
        ck_assert(base[a].x1 == -base[a].x2 && base[a].y1 == -base[a].y2); /* centred on 0, as documented */
    }
    return p;
}

/* hv_rpn_proposals on frame f of the levels (its HWC layout). */
static size_t host_proposals(const level_data *lv, const hv_rpn_params *p, int f, hv_det *out) {
    hv_rpn_level hl[L];
    float *bufs[2 * L];
    for (int l = 0; l < L; l++) {
        const size_t hw = (size_t)lv[l].h * lv[l].w;
        float *c = malloc(hw * A * sizeof(float)), *r = malloc(hw * 4 * A * sizeof(float));
        for (size_t ch = 0; ch < A; ch++)
            for (size_t i = 0; i < hw; i++) c[i * A + ch] = lv[l].cls[((size_t)f * A + ch) * hw + i];
        for (size_t ch = 0; ch < 4 * A; ch++)
            for (size_t i = 0; i < hw; i++) r[i * 4 * A + ch] = lv[l].reg[((size_t)f * 4 * A + ch) * hw + i];
        hl[l] = (hv_rpn_level){.cls = c, .reg = r, .h = lv[l].h, .w = lv[l].w, .stride = (float)(4 << l)};
        bufs[2 * l] = c, bufs[2 * l + 1] = r;
    }
    size_t n = 0;
    ck_assert_msg(hv_rpn_proposals(hl, L, p, out, &n) == HV_OK, "%s", hv_last_error());
    for (int i = 0; i < 2 * L; i++) free(bufs[i]);
    return n;
}

/* The chain: each level's top-k (on Vulkan or by the reference), then rpn_nms (likewise). */
typedef struct chain {
    hv_tensor_desc cand_d[L], out_d;
    float *cand[L], *out;
} chain;

static void run_chain(const level_data *lv, const hv_rpn_params *hp, bool vk_topk, bool vk_nms, chain *c) {
    for (int l = 0; l < L; l++) {
        hv_rpn_topk_params tp = topk_params(hp, l);
        hv_tensor_desc src[2] = {lv[l].cls_d, lv[l].reg_d};
        ck_assert_msg(hv_op_rpn_level_topk.infer(&tp, src, 2, &c->cand_d[l]) == HV_OK, "%s", hv_last_error());
        c->cand[l] = malloc((size_t)hv_desc_numel(&c->cand_d[l]) * sizeof(float));
        const float *sd[2] = {lv[l].cls, lv[l].reg};
        if (vk_topk) {
            ck_assert_msg(opsdcn_run(&hv_op_rpn_level_topk, &tp, src, sd, 2, &c->cand_d[l], c->cand[l]) == HV_OK, "%s",
                          hv_last_error());
        } else {
            src[0].dtype = src[1].dtype = HV_F32; /* the reference sees f32 (the maps already rounded to f16) */
            ck_assert(hv_op_rpn_level_topk.ref(&tp, src, sd, 2, &c->cand_d[l], c->cand[l]) == HV_OK);
        }
    }
    hv_rpn_nms_params np = {.max_per_img = hp->max_per_img, .iou_thr = hp->iou_thr};
    ck_assert_msg(hv_op_rpn_nms.infer(&np, c->cand_d, L, &c->out_d) == HV_OK, "%s", hv_last_error());
    c->out = malloc((size_t)hv_desc_numel(&c->out_d) * sizeof(float));
    const float *sd[L];
    for (int l = 0; l < L; l++) sd[l] = c->cand[l];
    if (vk_nms) ck_assert_msg(opsdcn_run(&hv_op_rpn_nms, &np, c->cand_d, sd, L, &c->out_d, c->out) == HV_OK, "%s",
                              hv_last_error());
    else ck_assert(hv_op_rpn_nms.ref(&np, c->cand_d, sd, L, &c->out_d, c->out) == HV_OK);
}

static void free_chain(chain *c) {
    for (int l = 0; l < L; l++) free(c->cand[l]);
    free(c->out);
}

/* |got − want| within tol relative to the box scale (the image) for coordinates k < 4 and to 1 for the
 * score: the decode's gx − gw/2 cancels, so an ulp of exp on a 100-pixel box shows as 1e-5 on a small
 * coordinate. */
static bool close_enough(float got, float want, int k, const hv_rpn_params *hp, float tol) {
    const float scale = k < 4 ? fmaxf(hp->img_h, hp->img_w) : 1.0f;
    return fabsf(got - want) <= tol * scale;
}

/* The chain's rows of frame f against hv_rpn_proposals: same count, levels and anchors; boxes and
 * scores within tol (0: bit for bit). */
static void expect_host(const chain *c, const level_data *lv, const hv_rpn_params *hp, int f, float tol) {
    hv_det *want = malloc((size_t)hp->max_per_img * sizeof(hv_det));
    size_t n = host_proposals(lv, hp, f, want);
    const size_t max = (size_t)hp->max_per_img;
    size_t got = 0;
    while (got < max && c->out[((size_t)f * max + got) * 8 + 7] == 1.0f) got++;
    ck_assert_msg(got == n, "frame %d: %zu proposals, host %zu", f, got, n);
    for (size_t i = 0; i < max; i++) {
        const float *r = c->out + ((size_t)f * max + i) * 8;
        if (i >= n) {
            for (int k = 0; k < 8; k++) ck_assert_msg(r[k] == 0.0f, "frame %d row %zu (after the kept) not zero", f, i);
            continue;
        }
        ck_assert_msg((int)r[5] == want[i].label && (int)r[6] == want[i].src,
                      "frame %d proposal %zu: level %g anchor %g, host level %d anchor %d", f, i, (double)r[5],
                      (double)r[6], want[i].label, want[i].src);
        const float w[5] = {want[i].box.x1, want[i].box.y1, want[i].box.x2, want[i].box.y2, want[i].score};
        for (int k = 0; k < 5; k++)
            ck_assert_msg(close_enough(r[k], w[k], k, hp, tol), "frame %d proposal %zu value %d: %.9g, "
                          "host %.9g", f, i, k, (double)r[k], (double)w[k]);
    }
    free(want);
}

typedef struct chain_case {
    int32_t h0, w0;
    int nms_pre, max_per_img;
    float min_size;
} chain_case;

static const chain_case cases[] = {
    {16, 24, 50, 40, 0.0f},  /* top-k through runs of ties on three levels, all of the two small ones */
    {16, 24, 50, 300, 6.0f}, /* min_bbox_size drops candidates; fewer than max_per_img survive */
    {32, 32, 1000, 300, 0.0f}, /* P2's 3072 anchors to 1000: the whole 1024-slot sort */
};

START_TEST(refs_chain_equals_hv_rpn_proposals) {
    const chain_case *tc = &cases[_i];
    level_data lv[L];
    make_levels(lv, tc->h0, tc->w0, 40 + (uint64_t)_i, HV_F32);
    hv_rpn_params hp = host_params((float)tc->h0 * 4 - 3, (float)tc->w0 * 4 - 5, tc->nms_pre, tc->max_per_img,
                                   tc->min_size);
    chain c;
    run_chain(lv, &hp, false, false, &c);
    for (int f = 0; f < N; f++) expect_host(&c, lv, &hp, f, 0.0f);
    free_chain(&c);
    free_levels(lv);
}
END_TEST

static void vulkan_case(int i, hv_dtype dt) {
    const chain_case *tc = &cases[i];
    level_data lv[L];
    make_levels(lv, tc->h0, tc->w0, 40 + (uint64_t)i, dt);
    hv_rpn_params hp = host_params((float)tc->h0 * 4 - 3, (float)tc->w0 * 4 - 5, tc->nms_pre, tc->max_per_img,
                                   tc->min_size);
    chain ref, dev, mixed;
    run_chain(lv, &hp, false, false, &ref);
    run_chain(lv, &hp, true, true, &dev);
    /* 2. top-k: same anchors in the same order, values within 1e-5 */
    for (int l = 0; l < L; l++) {
        size_t rows = (size_t)hv_desc_numel(&ref.cand_d[l]) / 8;
        for (size_t r = 0; r < rows; r++) {
            const float *a = dev.cand[l] + r * 8, *b = ref.cand[l] + r * 8;
            ck_assert_msg(a[5] == b[5] && a[6] == b[6] && a[7] == 0.0f, "level %d row %zu: anchor %g valid %g, ref "
                          "anchor %g valid %g", l, r, (double)a[5], (double)a[6], (double)b[5], (double)b[6]);
            for (int k = 0; k < 5; k++)
                ck_assert_msg(close_enough(a[k], b[k], k, &hp, 1e-6f), "level %d row %zu value %d: %.9g, "
                              "ref %.9g", l, r, k, (double)a[k], (double)b[k]);
        }
    }
    /* 3. NMS on Vulkan from the reference's candidates: bit for bit */
    run_chain(lv, &hp, false, true, &mixed);
    ck_assert_msg(memcmp(mixed.out, ref.out, (size_t)hv_desc_numel(&ref.out_d) * sizeof(float)) == 0,
                  "rpn_nms on Vulkan differs from its reference");
    /* the whole device chain against the host path */
    for (int f = 0; f < N; f++) expect_host(&dev, lv, &hp, f, 1e-6f);
    printf("rpn proposals %s case %d: device chain = host (%d frames)\n", hv_dtype_name(dt), i, N);
    free_chain(&ref), free_chain(&dev), free_chain(&mixed);
    free_levels(lv);
}

START_TEST(vulkan_f32_matches_ref) { vulkan_case(_i, HV_F32); }
END_TEST

START_TEST(vulkan_f16_matches_ref) {
    if (!hv_device_get_info(opsdcn_device())->storage16) {
        hvtest_skip("rpn proposals f16: the device has no 16-bit storage");
        return;
    }
    vulkan_case(_i, HV_F16);
}
END_TEST

START_TEST(bad_shapes_and_params) {
    hv_rpn_params hp = host_params(64, 64, 50, 40, 0.0f);
    hv_rpn_topk_params tp = topk_params(&hp, 0);
    hv_tensor_desc src[2] = {{.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {1, A, 8, 8}},
                             {.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {1, 4 * A, 8, 8}}}, dst;
    ck_assert_int_eq(hv_op_rpn_level_topk.infer(&tp, src, 2, &dst), HV_OK);
    ck_assert(dst.dims[0] == 1 && dst.dims[1] == 50 && dst.dims[2] == 8 && dst.dtype == HV_F32);
    src[1].dims[1] = 4 * A + 1;
    ck_assert_int_eq(hv_op_rpn_level_topk.infer(&tp, src, 2, &dst), HV_ERR_SHAPE);
    ck_assert_msg(strstr(hv_last_error(), "reg") != NULL, "%s", hv_last_error());
    src[1].dims[1] = 4 * A;
    tp.nms_pre = HV_RPN_OP_MAX_PRE + 1;
    ck_assert_int_eq(hv_op_rpn_level_topk.infer(&tp, src, 2, &dst), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "nms_pre") != NULL, "%s", hv_last_error());
    tp.nms_pre = 50, tp.n_anchors = HV_RPN_OP_MAX_ANCHORS + 1;
    ck_assert_int_eq(hv_op_rpn_level_topk.infer(&tp, src, 2, &dst), HV_ERR_INVALID_ARGUMENT);
    hv_rpn_nms_params np = {.max_per_img = 10, .iou_thr = 0.7f};
    hv_tensor_desc c[HV_RPN_OP_MAX_LEVELS + 1];
    for (int l = 0; l <= HV_RPN_OP_MAX_LEVELS; l++)
        c[l] = (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_ANY, .rank = 3, .dims = {2, 20, 8}};
    ck_assert_int_eq(hv_op_rpn_nms.infer(&np, c, HV_RPN_OP_MAX_LEVELS, &dst), HV_OK);
    ck_assert(dst.dims[0] == 2 && dst.dims[1] == 10 && dst.dims[2] == 8);
    ck_assert_int_eq(hv_op_rpn_nms.infer(&np, c, HV_RPN_OP_MAX_LEVELS + 1, &dst), HV_ERR_SHAPE);
    c[1].dims[0] = 3; /* another batch */
    ck_assert_int_eq(hv_op_rpn_nms.infer(&np, c, 2, &dst), HV_ERR_SHAPE);
    ck_assert_msg(strstr(hv_last_error(), "level 1") != NULL, "%s", hv_last_error());
    c[1].dims[0] = 2, c[1].dtype = HV_F16;
    ck_assert_int_eq(hv_op_rpn_nms.infer(&np, c, 2, &dst), HV_ERR_SHAPE);
    c[1].dtype = HV_F32, np.iou_thr = NAN;
    ck_assert_int_eq(hv_op_rpn_nms.infer(&np, c, 2, &dst), HV_ERR_INVALID_ARGUMENT);
    np.iou_thr = 0.7f, np.max_per_img = 0;
    ck_assert_int_eq(hv_op_rpn_nms.infer(&np, c, 2, &dst), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("rpn_proposals");
    TCase *tc = tcase_create("rpn");
    tcase_set_timeout(tc, 300);
    const int nc = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, refs_chain_equals_hv_rpn_proposals, 0, nc);
    tcase_add_loop_test(tc, vulkan_f32_matches_ref, 0, nc);
    tcase_add_loop_test(tc, vulkan_f16_matches_ref, 0, nc);
    tcase_add_test(tc, bad_shapes_and_params);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
