/* Frame-quality measures: mean luminance, variance of the Laplacian, near-white fraction. One pass for
 * luma statistics, one for the Laplacian; doubles so large frames do not lose precision. */
#include "quality_metrics.h"

#include <stdio.h>
#include <stdlib.h>

static double luma(const uint8_t *p) { return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]; }

void cq_measure(const uint8_t *rgb, int width, int height, int bright_level, cq_metrics *out) {
    size_t n = (size_t)width * (size_t)height;
    double sum = 0;
    size_t bright = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgb + 3 * i;
        sum += luma(p);
        if (p[0] >= bright_level && p[1] >= bright_level && p[2] >= bright_level) bright++;
    }
    out->mean_luminance = n ? sum / (double)n : 0;
    out->bright_fraction = n ? (double)bright / (double)n : 0;
    out->laplacian_var = 0;
    if (width < 3 || height < 3) return;
    /* Welford's running variance: stable with the large Laplacian values of sharp edges. */
    double mean = 0, m2 = 0;
    size_t count = 0;
    size_t stride = (size_t)width * 3;
    for (int y = 1; y < height - 1; y++) {
        const uint8_t *row = rgb + (size_t)y * stride;
        for (int x = 1; x < width - 1; x++) {
            const uint8_t *c = row + 3 * (size_t)x;
            double lap = luma(c - 3) + luma(c + 3) + luma(c - stride) + luma(c + stride) - 4 * luma(c);
            count++;
            double d = lap - mean;
            mean += d / (double)count;
            m2 += d * (lap - mean);
        }
    }
    out->laplacian_var = m2 / (double)count;
}

int cq_judge(const cq_metrics *m, const cq_thresholds *t, char *reason, size_t reason_size) {
    if (m->mean_luminance < t->min_luminance) {
        snprintf(reason, reason_size, "too dark: mean luminance %.1f < %g", m->mean_luminance, t->min_luminance);
        return 1;
    }
    if (m->bright_fraction > t->max_bright_fraction) {
        snprintf(reason, reason_size, "over-exposed: %.1f%% of pixels near white (>= %d), more than %g%%",
                 100 * m->bright_fraction, t->bright_level, 100 * t->max_bright_fraction);
        return 1;
    }
    if (m->laplacian_var < t->min_sharpness) {
        snprintf(reason, reason_size, "blurred: variance of the Laplacian %.2f < %g", m->laplacian_var, t->min_sharpness);
        return 1;
    }
    if (reason_size) reason[0] = '\0';
    return 0;
}
