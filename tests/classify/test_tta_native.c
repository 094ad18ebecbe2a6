/* The classifier's own `tta` (issue 16: the TTA copies made on the device and run in ONE batched plan)
 * gives what the `tta` stage gives around the same classifier (host copies, one run per copy): every
 * transform with the mean merge and a mixed set with max, on square crops of real frames (native size,
 * so no resize sits between the two orders of flip and preprocessing); one device submission per batch
 * instead of one per copy; a 90° turn of a non-square frame fails that frame with the way out. */
/* CTEST_ALSO_ON_CPU */
#include "cls_testutil.h"

#include <math.h>

#define N 3
#define SIDE 64

static const char *const k_backbone =
    "backbone: {component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}\n"
    "weights: {random: {seed: 5}}\npreprocess: imagenet\n";

static void setup(void) { cls_setup_registry(1); }

/* N square crops of a real bleeding frame (different places: different outputs). */
static void crops(hv_frame *f, hv_frame **ptr, int w, int h) {
    char path[512];
    snprintf(path, sizeof path, WCE_BLEEDING, 531);
    hv_frame full;
    cls_load_frame(&full, 0, path);
    for (int i = 0; i < N; i++) {
        int x0 = 20 + 37 * i, y0 = 30 + 23 * i;
        uint8_t *px = malloc((size_t)(h * w * 3));
        for (int y = 0; y < h; y++) memcpy(px + y * w * 3, full.rgb + ((y0 + y) * full.width + x0) * 3, (size_t)w * 3);
        ck_assert_int_eq(hv_frame_init(&f[i], (uint64_t)i, NULL), HV_OK);
        hv_frame_set_pixels(&f[i], w, h, px);
        ptr[i] = &f[i];
    }
    hv_frame_clear(&full);
}

static hv_stage *make(const char *component, const char *yaml, hv_config_node **params) {
    hv_stage *s = NULL;
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "tta.yaml", params), HV_OK);
    hv_status st = hv_stage_create(g_reg, HV_COMPONENT_STAGE, component, "classify", *params, &s);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    return s;
}

/* native tta (`transforms`, `merge`) vs the tta stage around the same classifier */
static void compare(const char *transforms, const char *merge) {
    char native[1024], wrapped[1400];
    snprintf(native, sizeof native, "%stta: {transforms: %s, merge: %s}\n", k_backbone, transforms, merge);
    snprintf(wrapped, sizeof wrapped,
             "transforms: %s\nmerge: %s\nstage:\n  component: classifier\n  params:\n"
             "    backbone: {component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}\n"
             "    weights: {random: {seed: 5}}\n    preprocess: imagenet\n",
             transforms, merge);
    hv_config_node *pn = NULL, *pw = NULL, *pp = NULL;
    hv_stage *sn = make("classifier", native, &pn), *sw = make("tta", wrapped, &pw), *sp = make("classifier", k_backbone, &pp);
    hv_frame a[N], b[N], c[N], *pa[N], *pb[N], *pc[N];
    crops(a, pa, SIDE, SIDE), crops(b, pb, SIDE, SIDE), crops(c, pc, SIDE, SIDE);
    hv_transfer_stats t0, t1, t2;
    hv_device_transfer_stats(g_dev, &t0);
    ck_assert_msg(hv_stage_process(sn, pa, N) == HV_OK, "%s", hv_last_error());
    hv_device_transfer_stats(g_dev, &t1);
    ck_assert_msg(hv_stage_process(sw, pb, N) == HV_OK, "%s", hv_last_error());
    hv_device_transfer_stats(g_dev, &t2);
    ck_assert_int_eq(hv_stage_process(sp, pc, N), HV_OK);
    double d = 0;
    int changed = 0;
    for (int i = 0; i < N; i++) {
        ck_assert_msg(!a[i].error && !b[i].error, "%s / %s", a[i].error ? a[i].error : "", b[i].error ? b[i].error : "");
        ck_assert(a[i].cls.valid && b[i].cls.valid);
        ck_assert_int_eq(a[i].cls.label, b[i].cls.label);
        for (uint32_t k = 0; k < 2; k++) {
            d = fmax(d, fabs(a[i].cls.probs[k] - b[i].cls.probs[k]));
            changed |= a[i].cls.probs[k] != c[i].cls.probs[k];
        }
    }
    printf("  %-48s %-4s max |p native - p stage| %.3g; submissions %llu (native) vs %llu (stage)\n", transforms, merge,
           d, (unsigned long long)(t1.submits - t0.submits), (unsigned long long)(t2.submits - t1.submits));
    ck_assert_msg(d <= 1e-6, "%s %s: native TTA differs from the tta stage by %g", transforms, merge, d);
    ck_assert_msg(changed || !strcmp(transforms, "[identity]"), "%s: TTA changed no probability", transforms);
    if (t1.submits > t0.submits) { /* a Vulkan device: one run for every copy of the batch */
        ck_assert_uint_eq(t1.submits - t0.submits, 1);
    }
    for (int i = 0; i < N; i++) hv_frame_clear(&a[i]), hv_frame_clear(&b[i]), hv_frame_clear(&c[i]);
    hv_stage_destroy(sn), hv_stage_destroy(sw), hv_stage_destroy(sp);
    hv_config_free(pn), hv_config_free(pw), hv_config_free(pp);
}

START_TEST(every_transform_mean) {
    compare("[identity, hflip]", "mean");
    compare("[identity, hflip, vflip, rot90, rot180, rot270]", "mean");
    compare("[rot90]", "mean");
    compare("[rot270, vflip]", "mean");
}
END_TEST

START_TEST(max_merge) { compare("[identity, rot90, vflip]", "max"); }
END_TEST

START_TEST(turn_of_a_non_square_frame_fails_it) {
    char yaml[512];
    snprintf(yaml, sizeof yaml, "%stta: {transforms: [identity, rot90]}\n", k_backbone);
    hv_config_node *p = NULL;
    hv_stage *s = make("classifier", yaml, &p);
    hv_frame f[N], *ptr[N];
    crops(f, ptr, 48, 40);
    ck_assert_int_eq(hv_stage_process(s, ptr, N), HV_OK); /* the frames fail, the run goes on */
    for (int i = 0; i < N; i++) {
        ck_assert_ptr_nonnull(f[i].error);
        ck_assert_ptr_nonnull(strstr(f[i].error, "90° turn of the 48x40 frame"));
        ck_assert_ptr_nonnull(strstr(f[i].error, "resize: stretch"));
        hv_frame_clear(&f[i]);
    }
    hv_stage_destroy(s);
    hv_config_free(p);
    /* the schema: an unknown transform or merge names the key */
    snprintf(yaml, sizeof yaml, "%stta: {transforms: [identity, flip]}\n", k_backbone);
    hv_stage *bad = NULL;
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "bad.yaml", &p), HV_OK);
    ck_assert_int_ne(hv_stage_create(g_reg, HV_COMPONENT_STAGE, "classifier", "classify", p, &bad), HV_OK);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "transforms"));
    hv_config_free(p);
}
END_TEST

int main(void) {
    Suite *s = suite_create("classify.tta_native");
    TCase *tc = tcase_create("tta_native");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, setup, cls_teardown_registry);
    tcase_add_test(tc, every_transform_mean);
    tcase_add_test(tc, max_merge);
    tcase_add_test(tc, turn_of_a_non_square_frame_fails_it);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
