/* hemovk/draw.h — drawing on RGB8 frames for overlay images: boxes, mask outlines, text, heat maps.
 *
 * Everything clips to the image, so callers may pass boxes that reach past the border. Colours are
 * 0xRRGGBB. Text uses stb_easy_font (ASCII, ~6 px per glyph at scale 1). */
#ifndef HEMOVK_DRAW_H
#define HEMOVK_DRAW_H

#include "hemovk/export.h"

#include <stdint.h>

#include "hemovk/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Outline the rectangle [x1,x2]×[y1,y2] (pixel coordinates, floats rounded) `thickness` px wide. */
HV_API void hv_draw_rect(hv_image *img, float x1, float y1, float x2, float y2, uint32_t rgb, int thickness);

/** Fill a rectangle, blending `alpha` (0..1) of the colour over the image. */
HV_API void hv_draw_fill(hv_image *img, int x1, int y1, int x2, int y2, uint32_t rgb, float alpha);

/** Draw `text` with its top-left corner at (x,y), each font pixel `scale`×`scale`, on a dark backing
 *  box so it reads on any frame. Returns the width drawn in pixels. */
HV_API int hv_draw_text(hv_image *img, int x, int y, const char *text, uint32_t rgb, int scale);

/** Paint the boundary of a binary mask (W×H bytes, non-zero = inside, same size as img): a pixel is on
 *  the outline when it is inside and a 4-neighbour is outside or off the image. */
HV_API void hv_draw_mask_outline(hv_image *img, const uint8_t *mask, uint32_t rgb);

/** Blend an RGB8 heat map of the same size over the frame: out = uint8(a·img + (1−a)·heat),
 *  truncating like the authors' numpy code (MODEL_SPEC §8.2 uses a = 0.5). */
HV_API void hv_draw_blend(hv_image *img, const hv_image *heat, float a);

#ifdef __cplusplus
}
#endif
#endif
