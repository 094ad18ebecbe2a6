/* hemovk/tensor.h — tensor descriptors shared by the graph builder, ops and weights.
 *
 * A tensor has a rank 1..4 and dims in row-major memory order, outermost first: an NCHW activation
 * is {N, C, H, W}, an NHWC one {N, H, W, C}, a Linear weight {out, in}, a conv weight
 * {out, in/groups, kh, kw}. `layout` tells ops which of N/C/H/W each dim is where that matters. */
#ifndef HEMOVK_TENSOR_H
#define HEMOVK_TENSOR_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HV_MAX_DIMS 4

/** Storage type. Arithmetic is f32 (f16 storage is converted on load/store in shaders). */
typedef enum hv_dtype { HV_F32 = 0, HV_F16 = 1 } hv_dtype;

/** How a 4-D activation's dims map to N/C/H/W. HV_LAYOUT_ANY: plain row-major data (matrices, boxes). */
typedef enum hv_layout { HV_LAYOUT_ANY = 0, HV_LAYOUT_NCHW = 1, HV_LAYOUT_NHWC = 2 } hv_layout;

typedef struct hv_tensor_desc {
    hv_dtype dtype;
    hv_layout layout;
    uint32_t rank;                 /**< 1..4 */
    int64_t dims[HV_MAX_DIMS];     /**< row-major, outermost first; unused trailing entries are 1 */
} hv_tensor_desc;

/** Number of elements (product of the first `rank` dims). */
HV_API int64_t hv_desc_numel(const hv_tensor_desc *d);

/** Bytes of storage: numel × element size. */
HV_API int64_t hv_desc_bytes(const hv_tensor_desc *d);

/** Bytes per element of a dtype (4 or 2). */
HV_API size_t hv_dtype_size(hv_dtype t);

/** "f32" / "f16". */
HV_API const char *hv_dtype_name(hv_dtype t);

/** Format dims as "[2, 3, 224, 224]" into buf (always NUL-terminated); returns buf. For messages. */
HV_API const char *hv_desc_str(const hv_tensor_desc *d, char *buf, size_t cap);

/** IEEE half conversion (round to nearest even; values past ±65504 become ±Inf, NaN stays NaN). */
HV_API uint16_t hv_f32_to_f16(float f);
HV_API float hv_f16_to_f32(uint16_t h);

/** f32 → f16 as hemovk STORES it: round to nearest even, but finite values past ±65504 (and ±Inf)
 *  SATURATE to ±65504 instead of becoming Inf; NaN stays NaN. The rule every f16 tensor store follows
 *  (shaders, weights, inputs, the CPU backend), so an overflow shows as a large finite value. */
HV_API uint16_t hv_f32_to_f16_sat(float f);

/** Round an f32 value through f16 storage (hv_f16_to_f32(hv_f32_to_f16_sat(f))). */
HV_API float hv_f16_round(float f);

#ifdef __cplusplus
}
#endif
#endif
