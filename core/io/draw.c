/* Overlay drawing on RGB8 frames (see hemovk/draw.h). */
#include "hemovk/draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_easy_font.h>

static void put(hv_image *img, int x, int y, uint32_t rgb) {
    if (x < 0 || y < 0 || x >= img->width || y >= img->height) return;
    uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
    p[0] = (uint8_t)(rgb >> 16);
    p[1] = (uint8_t)(rgb >> 8);
    p[2] = (uint8_t)rgb;
}

void hv_draw_fill(hv_image *img, int x1, int y1, int x2, int y2, uint32_t rgb, float alpha) {
    if (!img || !img->rgb) return;
    if (x1 < 0) x1 = 0;
    if (y1 < 0) y1 = 0;
    if (x2 > img->width - 1) x2 = img->width - 1;
    if (y2 > img->height - 1) y2 = img->height - 1;
    float c[3] = {(float)((rgb >> 16) & 255), (float)((rgb >> 8) & 255), (float)(rgb & 255)};
    for (int y = y1; y <= y2; y++)
        for (int x = x1; x <= x2; x++) {
            uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
            for (int k = 0; k < 3; k++) p[k] = (uint8_t)lrintf(p[k] * (1 - alpha) + c[k] * alpha);
        }
}

void hv_draw_rect(hv_image *img, float fx1, float fy1, float fx2, float fy2, uint32_t rgb, int thickness) {
    if (!img || !img->rgb || thickness < 1) return;
    int x1 = (int)lrintf(fx1), y1 = (int)lrintf(fy1), x2 = (int)lrintf(fx2), y2 = (int)lrintf(fy2);
    if (x2 < x1 || y2 < y1) return;
    for (int t = 0; t < thickness; t++) {
        for (int x = x1; x <= x2; x++) {
            put(img, x, y1 + t, rgb);
            put(img, x, y2 - t, rgb);
        }
        for (int y = y1; y <= y2; y++) {
            put(img, x1 + t, y, rgb);
            put(img, x2 - t, y, rgb);
        }
    }
}

int hv_draw_text(hv_image *img, int x, int y, const char *text, uint32_t rgb, int scale) {
    if (!img || !img->rgb || !text || scale < 1) return 0;
    char buf[256];
    size_t n = strlen(text);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    int w = stb_easy_font_width(buf) * scale, h = stb_easy_font_height(buf) * scale;
    hv_draw_fill(img, x - 1, y - 1, x + w, y + h, 0x000000, 0.6f);
    /* 16 bytes per vertex, 4 vertices per quad: ~270 bytes per character is plenty. */
    static _Thread_local char vbuf[256 * 300];
    int quads = stb_easy_font_print(0, 0, buf, NULL, vbuf, sizeof vbuf);
    for (int q = 0; q < quads; q++) {
        const float *v = (const float *)(vbuf + (size_t)q * 4 * 16);
        float qx0 = v[0], qy0 = v[1], qx1 = v[2 * 4], qy1 = v[2 * 4 + 1];
        for (int py = (int)(qy0 * scale); py < (int)(qy1 * scale); py++)
            for (int px = (int)(qx0 * scale); px < (int)(qx1 * scale); px++) put(img, x + px, y + py, rgb);
    }
    return w;
}

void hv_draw_mask_outline(hv_image *img, const uint8_t *mask, uint32_t rgb) {
    if (!img || !img->rgb || !mask) return;
    int W = img->width, H = img->height;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            if (!mask[(size_t)y * W + x]) continue;
            int edge = x == 0 || y == 0 || x == W - 1 || y == H - 1 || !mask[(size_t)y * W + x - 1] ||
                       !mask[(size_t)y * W + x + 1] || !mask[(size_t)(y - 1) * W + x] || !mask[(size_t)(y + 1) * W + x];
            if (edge) put(img, x, y, rgb);
        }
}

void hv_draw_blend(hv_image *img, const hv_image *heat, float a) {
    if (!img || !heat || !img->rgb || !heat->rgb || img->width != heat->width || img->height != heat->height) return;
    size_t n = (size_t)img->width * img->height * 3;
    for (size_t i = 0; i < n; i++) img->rgb[i] = (uint8_t)(a * img->rgb[i] + (1 - a) * heat->rgb[i]);
}
