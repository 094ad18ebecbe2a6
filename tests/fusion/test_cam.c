/* The cam stage and writer.cam (plugins/fusion): the heat map computed from a feature map a stage left on
 * the frame (by name, or the only one), the paper's channel mean checked against a hand computation and
 * Eigen-CAM against detect.h's (tested vs numpy in tests/detect), frames without the map failing with a
 * message that says what the segmenter needs; the PNGs decoded back and compared with the §8.2 recipe
 * (jet, PIL bilinear, uint8(0.5·img + 0.5·heat)), a constant map checked by hand, side-by-side output. */
#include "fusion_test.h"

#include "hemovk/detect.h"
#include "hemovk/image.h"

#include <math.h>
#include <unistd.h>

enum { C = 8, FH = 4, FW = 4, IW = 40, IH = 30 };

static float *feature(uint64_t seed) {
    float *a = malloc(sizeof(float) * C * FH * FW);
    hvtest_fill_uniform(a, (size_t)C * FH * FW, seed, -2.0f, 3.0f);
    return a;
}

START_TEST(channel_mean_and_eigen_from_the_frame) {
    hv_registry *reg = ft_registry();
    hv_config_node *params;
    hv_stage *s = NULL;
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_STAGE, "cam", "{feature: seg.fpn.4}", NULL, NULL, 0, &params, &s), HV_OK);
    hv_frame f;
    ft_frame(&f, 0, "/x/a.png", IW, IH);
    float *a = feature(7);
    float ref[FH * FW];
    /* the paper's map by hand: mean over channels, (v - min) / (max - min) */
    double mean[FH * FW], lo = INFINITY, hi = -INFINITY;
    for (int p = 0; p < FH * FW; p++) {
        double sum = 0;
        for (int c = 0; c < C; c++) sum += a[c * FH * FW + p];
        mean[p] = sum / C;
        lo = fmin(lo, mean[p]);
        hi = fmax(hi, mean[p]);
    }
    for (int p = 0; p < FH * FW; p++) ref[p] = (float)((mean[p] - lo) / (hi - lo));
    ck_assert_int_eq(hv_frame_set_feature(&f, "other.fpn.0", C, FH, FW, feature(9)), HV_OK);
    ck_assert_int_eq(hv_frame_set_feature(&f, "seg.fpn.4", C, FH, FW, a), HV_OK);
    hv_frame *one[1] = {&f};
    ck_assert_int_eq(hv_stage_process(s, one, 1), HV_OK);
    ck_assert_ptr_null(f.error);
    ck_assert_uint_eq(f.heatmap.width, FW);
    ck_assert_uint_eq(f.heatmap.height, FH);
    ck_assert_double_le(hvtest_max_rel(f.heatmap.data, ref, FH * FW), 1e-6);
    hv_stage_destroy(s);
    hv_config_free(params);

    /* Eigen-CAM of the named map */
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_STAGE, "cam", "{method: eigen, feature: seg.fpn.4}", NULL, NULL, 0, &params, &s),
                     HV_OK);
    ck_assert_int_eq(hv_stage_process(s, one, 1), HV_OK);
    float eig[FH * FW];
    ck_assert_int_eq(hv_cam_eigen(hv_frame_get_feature(&f, "seg.fpn.4")->data, C, FH, FW, eig), HV_OK);
    ck_assert_int_eq(memcmp(eig, f.heatmap.data, sizeof eig), 0);
    float mx = 0;
    for (int p = 0; p < FH * FW; p++) mx = fmaxf(mx, eig[p]);
    ck_assert_float_eq_tol(mx, 1.0f, 1e-5); /* normalised */
    hv_stage_destroy(s);
    hv_config_free(params);

    /* no name and two maps: the frame fails, saying so */
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_STAGE, "cam", "{}", NULL, NULL, 0, &params, &s), HV_OK);
    hv_frame g;
    ft_frame(&g, 1, "/x/b.png", IW, IH);
    ck_assert_int_eq(hv_frame_set_feature(&g, "seg.fpn.4", C, FH, FW, feature(3)), HV_OK);
    hv_frame *two[2] = {&f, &g};
    ck_assert_int_eq(hv_stage_process(s, two, 2), HV_OK);
    ck_assert_ptr_nonnull(f.error);
    ck_assert_ptr_nonnull(strstr(f.error, "params.feature"));
    ck_assert_ptr_null(g.error); /* the only map is used */
    ck_assert_uint_eq(g.heatmap.width, FW);
    hv_stage_destroy(s);
    hv_config_free(params);

    /* a frame without any map: the message says what the segmenter must be asked */
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_STAGE, "cam", "{feature: seg.fpn.4}", NULL, NULL, 0, &params, &s), HV_OK);
    hv_frame e;
    ft_frame(&e, 2, "/x/c.png", IW, IH);
    hv_frame *three[1] = {&e};
    ck_assert_int_eq(hv_stage_process(s, three, 1), HV_OK);
    ck_assert_ptr_nonnull(e.error);
    ck_assert_ptr_nonnull(strstr(e.error, "cam: {layer: fpn.4}"));
    hv_stage_destroy(s);
    hv_config_free(params);
    hv_frame_clear(&e);
    hv_frame_clear(&f);
    hv_frame_clear(&g);
    hv_registry_free(reg);
}
END_TEST

static void load_png(const char *path, hv_image *img) {
    ck_assert_msg(hv_image_load(path, img) == HV_OK, "%s", hv_last_error());
}

START_TEST(writer_cam_pngs_follow_the_paper_recipe) {
    hv_registry *reg = ft_registry();
    const char *dir = hvtest_tmpdir("fusion-camwriter");
    char out[4200], path[4400];
    snprintf(out, sizeof out, "%s/cam", dir);
    hv_config_node *params;
    hv_stage *s = NULL;
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.cam", "{}", dir, out, 0, &params, &s), HV_OK);
    hv_frame f, z, none;
    ft_frame(&f, 0, "/x/img- (12).jpg", IW, IH);
    float *map = malloc(sizeof(float) * FH * FW);
    hvtest_fill_uniform(map, FH * FW, 5, 0, 1);
    hv_frame_set_heatmap(&f, FW, FH, map);
    ft_frame(&z, 1, "/x/zero.png", IW, IH);
    hv_frame_set_heatmap(&z, FW, FH, calloc(FH * FW, sizeof(float)));
    ft_frame(&none, 2, "/x/none.png", IW, IH); /* no heat map: no file */
    hv_frame *batch[3] = {&f, &z, &none};
    ck_assert_int_eq(hv_stage_process_all(s, batch, 3), HV_OK);
    ck_assert_int_eq(hv_stage_flush(s), HV_OK);
    hv_stage_destroy(s);
    hv_config_free(params);

    /* §8.2: jet of the 4×4 map, PIL bilinear to the frame, 0.5 blend */
    uint8_t small[FH * FW * 3], heat[IW * IH * 3], want[IW * IH * 3];
    hv_cam_jet(f.heatmap.data, FH * FW, small);
    ck_assert_int_eq(hv_cam_resize_rgb_pil(small, FH, FW, heat, IH, IW), HV_OK);
    hv_cam_blend(f.rgb, heat, IW * IH, want);
    hv_image img;
    snprintf(path, sizeof path, "%s/img- (12).jpg.png", out);
    load_png(path, &img);
    ck_assert_int_eq(img.width, IW);
    ck_assert_int_eq(img.height, IH);
    ck_assert_int_eq(memcmp(img.rgb, want, sizeof want), 0);
    hv_image_free(&img);
    /* all-zero map: jet(0) = (0, 0, 127) everywhere, blend truncates */
    snprintf(path, sizeof path, "%s/zero.png", out);
    load_png(path, &img);
    static const int jet0[3] = {0, 0, 127};
    for (int p = 0; p < IW * IH * 3; p++)
        ck_assert_int_eq(img.rgb[p], (int)(0.5 * z.rgb[p] + 0.5 * jet0[p % 3]));
    hv_image_free(&img);
    snprintf(path, sizeof path, "%s/none.png", out);
    ck_assert_int_ne(access(path, F_OK), 0);

    /* side by side, float map resized first */
    snprintf(out, sizeof out, "%s/cam2", dir);
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.cam", "{side_by_side: true, upsample: map_bilinear, prefix_id: true}",
                               dir, out, 0, &params, &s), HV_OK);
    ck_assert_int_eq(hv_stage_process_all(s, batch, 1), HV_OK);
    hv_stage_destroy(s);
    hv_config_free(params);
    float big[IW * IH];
    ck_assert_int_eq(hv_cam_resize_f32(f.heatmap.data, FH, FW, big, IH, IW), HV_OK);
    hv_cam_jet(big, IW * IH, heat);
    hv_cam_blend(f.rgb, heat, IW * IH, want);
    snprintf(path, sizeof path, "%s/000000_img- (12).jpg.png", out);
    load_png(path, &img);
    ck_assert_int_eq(img.width, 2 * IW);
    for (int y = 0; y < IH; y++) {
        ck_assert_int_eq(memcmp(img.rgb + (size_t)y * 2 * IW * 3, f.rgb + (size_t)y * IW * 3, IW * 3), 0);
        ck_assert_int_eq(memcmp(img.rgb + (size_t)y * 2 * IW * 3 + IW * 3, want + (size_t)y * IW * 3, IW * 3), 0);
    }
    hv_image_free(&img);
    hv_frame_clear(&f);
    hv_frame_clear(&z);
    hv_frame_clear(&none);
    hv_registry_free(reg);
}
END_TEST

int main(void) {
    Suite *s = suite_create("fusion.cam");
    TCase *t = tcase_create("cam");
    tcase_add_test(t, channel_mean_and_eigen_from_the_frame);
    tcase_add_test(t, writer_cam_pngs_follow_the_paper_recipe);
    suite_add_tcase(s, t);
    return hvtest_run(s);
}
