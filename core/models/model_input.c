/* core/models/model_input.c — the graph's front: packed uint8 frames → the float image a backbone takes,
 * with either convention of MODEL_SPEC §1 (raw 0–255 RGB for the paper's classifier, ImageNet mean/std
 * for the detectors), optional BGR→RGB swap and bottom/right padding to a multiple. */
#include <string.h>

#include "hemovk/models.h"

static const float IMAGENET_MEAN[3] = {123.675f, 116.28f, 103.53f};
static const float IMAGENET_STD[3] = {58.395f, 57.12f, 57.375f};

hv_status hv_model_input(hv_graph *g, const hv_model_input_params *p, hv_tensor **packed, hv_tensor **image) {
    if (!g || !p || !packed || !image) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_model_input: NULL argument");
    *packed = *image = NULL;
    if (hv_graph_status(g)) return hv_graph_status(g);
    if (p->batch < 1 || p->height < 1 || p->width < 1 || p->pad_divisor < 0 ||
        (p->norm != HV_INPUT_RAW_RGB && p->norm != HV_INPUT_IMAGENET) || (p->dtype != HV_F32 && p->dtype != HV_F16)) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT,
                      "hv_model_input: bad parameters (batch %d, %dx%d, norm %d, pad_divisor %d, dtype %d)", p->batch,
                      p->height, p->width, (int)p->norm, p->pad_divisor, (int)p->dtype);
        return hv_graph_status(g);
    }
    int64_t dims[2] = {p->batch, hv_preprocess_packed_words(p->height, p->width)};
    hv_tensor_desc pd = hv_desc_make(HV_F32, HV_LAYOUT_ANY, 2, dims);
    *packed = hv_graph_input(g, p->name ? p->name : "frames", &pd);
    hv_preprocess_params pp = {.in_h = p->height, .in_w = p->width, .swap_rb = p->bgr, .out_dtype = p->dtype};
    hv_preprocess_padded_size(p->height, p->width, p->pad_divisor > 1 ? p->pad_divisor : 1, &pp.out_h, &pp.out_w);
    for (int c = 0; c < 3; c++) {
        pp.mean[c] = p->norm == HV_INPUT_IMAGENET ? IMAGENET_MEAN[c] : 0.0f;
        /* mmcv multiplies by 1/std held in float64, then stores f32: same rounding as this f32 reciprocal
         * to within 1 ulp (MODEL_SPEC §1.2 step 4) */
        pp.inv_std[c] = p->norm == HV_INPUT_IMAGENET ? (float)(1.0 / IMAGENET_STD[c]) : 1.0f;
    }
    *image = hv_preprocess(g, *packed, &pp, "preprocess");
    return hv_graph_status(g);
}

hv_status hv_model_input_host(const uint8_t *rgb, int32_t height, int32_t width, hv_input_norm norm, float *dst) {
    if (!rgb || !dst || height < 1 || width < 1 || (norm != HV_INPUT_RAW_RGB && norm != HV_INPUT_IMAGENET))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_model_input_host: bad arguments (%dx%d, norm %d)", width, height,
                        (int)norm);
    size_t plane = (size_t)height * (size_t)width;
    for (int c = 0; c < 3; c++) {
        float mean = norm == HV_INPUT_IMAGENET ? IMAGENET_MEAN[c] : 0.0f;
        float inv_std = norm == HV_INPUT_IMAGENET ? (float)(1.0 / IMAGENET_STD[c]) : 1.0f;
        for (size_t i = 0; i < plane; i++) dst[(size_t)c * plane + i] = ((float)rgb[i * 3 + (size_t)c] - mean) * inv_std;
    }
    return HV_OK;
}
