/* Masks in JSON (ground truth and results): COCO RLE in either form pycocotools accepts. Polygons are
 * refused with a message saying how to convert them: rasterising them the way pycocotools' frPoly does
 * (5x upsampling, its rounding) is the only way to get the same IoUs, and no hemovk writer makes them. */
#include "gt_internal.h"

#include <stdlib.h>
#include <string.h>

hv_status ev_parse_rle(const cJSON *seg, uint32_t h, uint32_t w, const char *where, hv_rle *out) {
    memset(out, 0, sizeof *out);
    if (cJSON_IsArray(seg))
        return hv_error(HV_ERR_SCHEMA,
                        "%s: polygon segmentation is not supported; convert the polygons to RLE first (pycocotools "
                        "mask.frPyObjects + mask.merge)", where);
    if (!cJSON_IsObject(seg))
        return hv_error(HV_ERR_SCHEMA, "%s: segmentation must be an RLE object {size, counts}", where);
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(seg, "size");
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(seg, "counts");
    if (!cJSON_IsArray(size) || cJSON_GetArraySize(size) != 2 || !cJSON_IsNumber(cJSON_GetArrayItem(size, 0)) ||
        !cJSON_IsNumber(cJSON_GetArrayItem(size, 1)))
        return hv_error(HV_ERR_SCHEMA, "%s: mask \"size\" must be [height, width]", where);
    double mh = cJSON_GetArrayItem(size, 0)->valuedouble, mw = cJSON_GetArrayItem(size, 1)->valuedouble;
    if (mh != (double)h || mw != (double)w)
        return hv_error(HV_ERR_SCHEMA, "%s: mask is %gx%g (height x width), the frame %ux%u", where, mh, mw, h, w);
    if (cJSON_IsString(counts)) {
        hv_status st = hv_rle_from_string(counts->valuestring, h, w, out);
        return st ? hv_error_context(st, "%s", where) : HV_OK;
    }
    if (!cJSON_IsArray(counts)) return hv_error(HV_ERR_SCHEMA, "%s: mask \"counts\" must be a string or an array", where);
    size_t n = (size_t)cJSON_GetArraySize(counts);
    uint32_t *c = malloc((n ? n : 1) * sizeof *c);
    if (!c) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
    uint64_t sum = 0;
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, counts) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 4294967295.0 ||
            e->valuedouble != (double)(uint32_t)e->valuedouble) {
            free(c);
            return hv_error(HV_ERR_SCHEMA, "%s: mask count %zu is not a non-negative integer", where, i + 1);
        }
        c[i] = (uint32_t)e->valuedouble;
        sum += c[i++];
    }
    if (sum != (uint64_t)h * w) {
        free(c);
        return hv_error(HV_ERR_SCHEMA, "%s: mask counts sum to %llu, not %ux%u = %llu", where, (unsigned long long)sum, h,
                        w, (unsigned long long)h * w);
    }
    out->h = h;
    out->w = w;
    out->n = n;
    out->counts = c;
    return HV_OK;
}
