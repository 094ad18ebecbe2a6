/* The ensemble stage (plugins/fusion) on frames built to exercise each rule. The fusion arithmetic is
 * hemovk/detect.h's (tested against the published code in tests/detect); here the checks are the stage's
 * wiring: M taken from params.models, detections grouped per model in the order the list gives (which
 * changes the paper rule's seeds), detections of unlisted models kept, the picked member's mask carried
 * (bitmap and RLE), union masks, the exact scores in metadata, WBF weights, and parameter errors. Expected
 * values are computed by hand for the paper rule and by calling detect.h directly for the others. */
#include "fusion_test.h"

#include "hemovk/detect.h"

enum { W = 256, H = 256 };

static hv_stage *make(hv_registry *reg, const char *yaml, hv_config_node **params) {
    hv_stage *s = NULL;
    hv_status st = ft_create(reg, HV_COMPONENT_STAGE, "ensemble", yaml, NULL, NULL, 0, params, &s);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    return s;
}

static void run1(hv_stage *s, hv_frame *f) {
    hv_frame *one[1] = {f};
    ck_assert_msg(hv_stage_process(s, one, 1) == HV_OK, "%s", hv_last_error());
}

/* Does detection d's bitmap equal the box mask of (x1, y1, x2, y2)? */
static int mask_is_box(const hv_detection *d, int x1, int y1, int x2, int y2) {
    if (d->mask.format != HV_MASK_BITMAP || d->mask.width != W || d->mask.height != H) return 0;
    uint8_t *want = ft_box_mask(W, H, x1, y1, x2, y2);
    int same = !memcmp(want, d->mask.bitmap, (size_t)W * H);
    free(want);
    return same;
}

/* Three boxes: X (model a) and Z (model b) do not overlap enough, Y (model b) overlaps both:
 * IoU+1(X,Y) = 10201/14241 = 0.716, IoU+1(X,Z) = 6161/18281 = 0.337, IoU+1(Y,Z) = 10201/18281 = 0.558. */
static void three_boxes(hv_frame *f) {
    ft_frame(f, 0, "/x/img- (1).png", W, H);
    ft_add(f, "b", 0, 0, 100, 140, 0.8f, 0);   /* Y */
    ft_add(f, "other", 5, 5, 20, 20, 0.99f, 0); /* not fused */
    ft_add(f, "a", 0, 0, 100, 100, 0.9f, 0);   /* X */
    ft_add(f, "b", 0, 40, 100, 180, 0.3f, 0);  /* Z */
}

START_TEST(paper_affirmative_groups_models_in_the_listed_order) {
    hv_registry *reg = ft_registry();
    hv_config_node *params;
    /* order a, b: concatenation X, Y, Z; seed X takes Y; Z alone */
    hv_stage *s = make(reg, "{models: [a, b], paper_compatible: true}", &params);
    hv_frame f;
    three_boxes(&f);
    run1(s, &f);
    ck_assert_uint_eq(f.n_detections, 3);
    ck_assert_str_eq(f.detections[0].model, "other"); /* untouched, mask still there */
    ck_assert(mask_is_box(&f.detections[0], 5, 5, 20, 20));
    const hv_detection *c1 = &f.detections[1], *c2 = &f.detections[2];
    ck_assert_str_eq(c1->model, "ensemble");
    /* the max-y2 member Y, score (0.90 + 0.80) / 2 */
    ck_assert(c1->x1 == 0 && c1->y1 == 0 && c1->x2 == 100 && c1->y2 == 140);
    ck_assert(mask_is_box(c1, 0, 0, 100, 140));
    ck_assert_float_eq(c1->score, (float)((0.90 + 0.80) / 2));
    ck_assert(c2->y1 == 40 && c2->y2 == 180 && mask_is_box(c2, 0, 40, 100, 180));
    ck_assert_float_eq(c2->score, (float)(0.30 / 2)); /* a singleton is divided by M = 2 */
    char want[96], r1[32], r2[32];
    snprintf(want, sizeof want, "%s %s", hv_py_repr((0.90 + 0.80) / 2, r1, sizeof r1), hv_py_repr(0.30 / 2, r2, sizeof r2));
    ck_assert_str_eq(hv_frame_get_meta(&f, "ensemble.scores"), want);
    ck_assert_str_eq(want, "0.8500000000000001 0.15");
    hv_frame_clear(&f);
    hv_stage_destroy(s);
    hv_config_free(params);

    /* order b, a: concatenation Y, Z, X; seed Y takes Z and X: one cluster of 3 > M, box of Z (max y2),
     * score (0.80 + 0.30 + 0.90) / 2 = 1.0 */
    s = make(reg, "{models: [b, a], paper_compatible: true, output_model: fused}", &params);
    three_boxes(&f);
    run1(s, &f);
    ck_assert_uint_eq(f.n_detections, 2);
    ck_assert_str_eq(f.detections[1].model, "fused");
    ck_assert(mask_is_box(&f.detections[1], 0, 40, 100, 180));
    ck_assert_float_eq(f.detections[1].score, (float)((0.80 + 0.30 + 0.90) / 2));
    ck_assert_ptr_nonnull(hv_frame_get_meta(&f, "fused.scores"));
    hv_frame_clear(&f);
    hv_stage_destroy(s);
    hv_config_free(params);
    hv_registry_free(reg);
}
END_TEST

/* keep_inputs: the fused models' detections stay (masks intact, in frame order, before the fused ones)
 * and the fused list is the same as without it. */
START_TEST(keep_inputs_keeps_each_models_detections) {
    hv_registry *reg = ft_registry();
    hv_config_node *params;
    hv_stage *s = make(reg, "{models: [a, b], paper_compatible: true, keep_inputs: true}", &params);
    hv_frame f;
    three_boxes(&f);
    run1(s, &f);
    ck_assert_uint_eq(f.n_detections, 6); /* Y, other, X, Z, then the two fused */
    static const char *const tags[6] = {"b", "other", "a", "b", "ensemble", "ensemble"};
    for (int i = 0; i < 6; i++) ck_assert_str_eq(f.detections[i].model, tags[i]);
    ck_assert(mask_is_box(&f.detections[0], 0, 0, 100, 140) && mask_is_box(&f.detections[2], 0, 0, 100, 100) &&
              mask_is_box(&f.detections[3], 0, 40, 100, 180));
    ck_assert(mask_is_box(&f.detections[4], 0, 0, 100, 140)); /* as in the test above */
    ck_assert_float_eq(f.detections[4].score, (float)((0.90 + 0.80) / 2));
    ck_assert(mask_is_box(&f.detections[5], 0, 40, 100, 180));
    ck_assert_float_eq(f.detections[5].score, (float)(0.30 / 2));
    hv_frame_clear(&f);
    hv_stage_destroy(s);
    hv_config_free(params);
    hv_registry_free(reg);
}
END_TEST

/* P (3 models), Q (2 models), R (1 model), boxes apart from each other. */
static void votes_frame(hv_frame *f) {
    ft_frame(f, 3, "/x/v.png", W, H);
    ft_add(f, "c", 10, 12, 50, 52, 0.7f, 0);     /* P'' */
    ft_add(f, "a", 10, 10, 50, 50, 0.9f, 0);     /* P */
    ft_add(f, "b", 12, 10, 52, 50, 0.8f, 0);     /* P' */
    ft_add(f, "a", 100, 100, 150, 150, 0.6f, 0); /* Q */
    ft_add(f, "b", 101, 100, 151, 150, 0.5f, 0); /* Q' */
    ft_add(f, "c", 160, 10, 200, 60, 0.4f, 0);   /* R */
}

/* The same frame's inputs grouped by model for a direct hv_ensemble_fuse call (n_models may exceed 3). */
static size_t direct(const hv_frame *f, const char *const *models, int n_models, const hv_ensemble_params *p, hv_det *out,
                     double *s64) {
    hv_det all[16];
    const hv_det *per[8];
    size_t counts[8] = {0}, k = 0, n_out = 0;
    for (int m = 0; m < n_models; m++) {
        per[m] = all + k;
        for (size_t i = 0; i < f->n_detections; i++) {
            const hv_detection *d = &f->detections[i];
            if (strcmp(d->model, models[m])) continue;
            all[k++] = (hv_det){{d->x1, d->y1, d->x2, d->y2}, d->score, d->label, -1};
            counts[m]++;
        }
    }
    ck_assert_int_eq(hv_ensemble_fuse(per, counts, n_models, p, out, s64, &n_out), HV_OK);
    return n_out;
}

static void check_same(const hv_frame *f, const hv_det *want, size_t n) {
    ck_assert_uint_eq(f->n_detections, n);
    for (size_t i = 0; i < n; i++) {
        const hv_detection *d = &f->detections[i];
        ck_assert_float_eq(d->x1, want[i].box.x1);
        ck_assert_float_eq(d->y1, want[i].box.y1);
        ck_assert_float_eq(d->x2, want[i].box.x2);
        ck_assert_float_eq(d->y2, want[i].box.y2);
        ck_assert_float_eq(d->score, want[i].score);
        ck_assert_str_eq(d->model, "ensemble");
    }
}

START_TEST(clean_votes_use_M_from_models) {
    hv_registry *reg = ft_registry();
    static const char *const abc[] = {"a", "b", "c", "d"};
    struct {
        const char *yaml;
        hv_vote vote;
        int M;
        size_t expect_n;
    } cases[] = {
        {"{models: [a, b, c]}", HV_VOTE_AFFIRMATIVE, 3, 3},
        {"{models: [a, b, c], method: consensus}", HV_VOTE_CONSENSUS, 3, 2},  /* >= ceil(3/2) = 2 votes: P, Q */
        {"{models: [a, b, c], method: unanimous}", HV_VOTE_UNANIMOUS, 3, 1},  /* P only */
        {"{models: [a, b, c, d], method: unanimous}", HV_VOTE_UNANIMOUS, 4, 0}, /* d ran and found nothing */
        {"{models: [a, b, c, d]}", HV_VOTE_AFFIRMATIVE, 4, 3},               /* scores / 4 */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hv_config_node *params;
        hv_stage *s = make(reg, cases[c].yaml, &params);
        hv_frame f;
        votes_frame(&f);
        hv_ensemble_params p;
        hv_ensemble_params_default(&p);
        p.vote = cases[c].vote;
        hv_det want[16];
        double s64[16];
        size_t n = direct(&f, abc, cases[c].M, &p, want, s64);
        ck_assert_uint_eq(n, cases[c].expect_n);
        run1(s, &f);
        check_same(&f, want, n);
        if (n) {
            /* the fused box of P is a weighted mean; its mask is the best member's (P of model a) */
            ck_assert(mask_is_box(&f.detections[0], 10, 10, 50, 50));
            /* score: sum over models of each model's best / M */
            ck_assert_float_eq_tol(f.detections[0].score, (0.9 + 0.8 + 0.7) / cases[c].M, 1e-6);
        }
        hv_frame_clear(&f);
        hv_stage_destroy(s);
        hv_config_free(params);
    }
    hv_registry_free(reg);
}
END_TEST

START_TEST(union_and_max_score_masks) {
    hv_registry *reg = ft_registry();
    hv_config_node *params;
    hv_stage *s = make(reg, "{models: [a, b, c], mask: union}", &params);
    hv_frame f;
    votes_frame(&f);
    run1(s, &f);
    ck_assert_uint_eq(f.n_detections, 3);
    /* P's union: the OR of the three member boxes */
    uint8_t *want = ft_box_mask(W, H, 10, 10, 50, 50), *p1 = ft_box_mask(W, H, 12, 10, 52, 50),
            *p2 = ft_box_mask(W, H, 10, 12, 50, 52);
    for (size_t i = 0; i < (size_t)W * H; i++) want[i] |= p1[i] | p2[i];
    ck_assert_uint_eq(f.detections[0].mask.format, HV_MASK_BITMAP);
    ck_assert_int_eq(memcmp(want, f.detections[0].mask.bitmap, (size_t)W * H), 0);
    /* R is alone: its own mask */
    ck_assert(mask_is_box(&f.detections[2], 160, 10, 200, 60));
    free(want);
    free(p1);
    free(p2);
    hv_frame_clear(&f);
    hv_stage_destroy(s);
    hv_config_free(params);

    /* max_score: the box is the best member's, and so is its mask, even with mask: union */
    s = make(reg, "{models: [c, b, a], box: max_score, mask: union}", &params);
    votes_frame(&f);
    run1(s, &f);
    ck_assert_uint_eq(f.n_detections, 3);
    ck_assert(f.detections[0].x1 == 10 && f.detections[0].y2 == 50 && mask_is_box(&f.detections[0], 10, 10, 50, 50));
    ck_assert(f.detections[1].x1 == 100 && mask_is_box(&f.detections[1], 100, 100, 150, 150));
    hv_frame_clear(&f);
    hv_stage_destroy(s);
    hv_config_free(params);
    hv_registry_free(reg);
}
END_TEST

START_TEST(rle_masks_are_carried_as_rle) {
    hv_registry *reg = ft_registry();
    hv_config_node *params;
    hv_stage *s = make(reg, "{models: [a, b], paper_compatible: true}", &params);
    hv_frame f;
    ft_frame(&f, 0, "/x/r.png", W, H);
    hv_detection d;
    memset(&d, 0, sizeof d);
    d.x1 = 20, d.y1 = 30, d.x2 = 60, d.y2 = 90, d.score = 0.5f;
    snprintf(d.model, sizeof d.model, "b");
    uint8_t *m = ft_box_mask(W, H, 20, 30, 60, 90);
    hv_rle rle;
    ck_assert_int_eq(hv_rle_encode(m, H, W, &rle), HV_OK);
    d.mask = (hv_mask){.format = HV_MASK_RLE, .width = W, .height = H, .rle = rle.counts, .n_rle = rle.n};
    ck_assert_int_eq(hv_frame_add_detection(&f, &d, NULL), HV_OK); /* the frame owns the counts now */
    ft_add(&f, "a", 22, 30, 60, 88, 0.6f, 0);                     /* seed (model a first), smaller y2 */
    run1(s, &f);
    ck_assert_uint_eq(f.n_detections, 1);
    const hv_detection *o = &f.detections[0];
    ck_assert(o->y2 == 90); /* the member with the larger y2: b's */
    ck_assert_uint_eq(o->mask.format, HV_MASK_RLE);
    hv_rle back = {.h = H, .w = W, .n = o->mask.n_rle, .counts = o->mask.rle};
    uint8_t *dec = malloc((size_t)W * H);
    ck_assert_int_eq(hv_rle_decode(&back, dec), HV_OK);
    ck_assert_int_eq(memcmp(dec, m, (size_t)W * H), 0);
    ck_assert_float_eq(o->score, (float)((0.60 + 0.50) / 2));
    free(dec);
    free(m);
    hv_frame_clear(&f);
    hv_stage_destroy(s);
    hv_config_free(params);
    hv_registry_free(reg);
}
END_TEST

START_TEST(wbf_with_weights) {
    hv_registry *reg = ft_registry();
    hv_config_node *params;
    hv_stage *s = make(reg, "{models: [a, b], method: wbf, weights: [2, 1], iou_thr: 0.5}", &params);
    hv_frame f;
    ft_frame(&f, 0, "/x/w.png", W, H);
    ft_add(&f, "b", 12, 10, 52, 50, 0.8f, 0);
    ft_add(&f, "a", 10, 10, 50, 50, 0.6f, 0);
    ft_add(&f, "a", 150, 150, 200, 210, 0.3f, 0);
    /* expected: detect.h's WBF on the same per-model lists */
    hv_det a[2] = {{{10, 10, 50, 50}, 0.6f, 0, -1}, {{150, 150, 200, 210}, 0.3f, 0, -1}}, b[1] = {{{12, 10, 52, 50}, 0.8f, 0, -1}};
    const hv_det *per[2] = {a, b};
    size_t counts[2] = {2, 1}, n = 0;
    const double weights[2] = {2, 1};
    hv_wbf_params p;
    hv_wbf_params_default(&p, W, H);
    p.iou_thr = 0.5;
    p.weights = weights;
    hv_det want[3];
    ck_assert_int_eq(hv_wbf(per, counts, 2, &p, want, &n), HV_OK);
    ck_assert_uint_eq(n, 2);
    run1(s, &f);
    check_same(&f, want, n);
    /* weighted 2·0.6 = 1.2 beats 0.8: the first member, whose mask is kept, is a's box */
    ck_assert(mask_is_box(&f.detections[0], 10, 10, 50, 50));
    ck_assert(f.detections[0].x2 > 50 && f.detections[0].x2 < 52); /* an averaged box */
    hv_frame_clear(&f);
    hv_stage_destroy(s);
    hv_config_free(params);
    hv_registry_free(reg);
}
END_TEST

START_TEST(frames_without_inputs_and_bad_params) {
    hv_registry *reg = ft_registry();
    hv_config_node *params;
    hv_stage *s = make(reg, "{models: [a, b]}", &params);
    hv_frame f;
    ft_frame(&f, 0, "/x/e.png", W, H);
    ft_add(&f, "z", 1, 1, 5, 5, 0.5f, 0);
    run1(s, &f);
    ck_assert_uint_eq(f.n_detections, 1); /* only the unlisted model's */
    ck_assert_str_eq(f.detections[0].model, "z");
    ck_assert_str_eq(hv_frame_get_meta(&f, "ensemble.scores"), "");
    hv_frame_clear(&f);
    hv_stage_destroy(s);
    hv_config_free(params);

    static const char *const bad[] = {
        "{method: affirmative}",                             /* no models */
        "{models: []}",                                      /* empty */
        "{models: [a, b], method: wbf, weights: [1]}",       /* one weight per model */
        "{models: [a, b], weights: [1, 1]}",                 /* weights without wbf */
        "{models: [a, b], method: wbf, paper_compatible: true}",
        "{models: [a, ensemble]}",                           /* equals output_model */
        "{models: [a], method: majority}",                   /* unknown rule */
        "{models: [a], iou_thr: 1.5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hv_stage *x = NULL;
        hv_status st = ft_create(reg, HV_COMPONENT_STAGE, "ensemble", bad[i], NULL, NULL, 0, &params, &x);
        ck_assert_msg(st == HV_ERR_SCHEMA, "'%s' gave %d: %s", bad[i], st, hv_last_error());
        ck_assert_ptr_null(x);
        hv_config_free(params);
    }
    hv_registry_free(reg);
}
END_TEST

int main(void) {
    Suite *s = suite_create("fusion.ensemble_stage");
    TCase *t = tcase_create("ensemble");
    tcase_add_test(t, paper_affirmative_groups_models_in_the_listed_order);
    tcase_add_test(t, keep_inputs_keeps_each_models_detections);
    tcase_add_test(t, clean_votes_use_M_from_models);
    tcase_add_test(t, union_and_max_score_masks);
    tcase_add_test(t, rle_masks_are_carried_as_rle);
    tcase_add_test(t, wbf_with_weights);
    tcase_add_test(t, frames_without_inputs_and_bad_params);
    suite_add_tcase(s, t);
    return hvtest_run(s);
}
