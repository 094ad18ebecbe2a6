/* Frame-quality measures and the keep/drop decision of the filter.quality stage, kept free of the
 * plugin ABI so they can be tested directly on synthetic and real frames. */
#ifndef HEMOVK_CORE_QUALITY_METRICS_H
#define HEMOVK_CORE_QUALITY_METRICS_H

#include <stddef.h>
#include <stdint.h>

/** What one frame measures. */
typedef struct cq_metrics {
    double mean_luminance;    /**< mean BT.601 luma (0.299 R + 0.587 G + 0.114 B), 0-255 */
    double laplacian_var;     /**< variance of the 4-neighbour Laplacian of the luma over interior pixels */
    double bright_fraction;   /**< fraction of pixels whose R, G and B are all >= bright_level */
} cq_metrics;

/** Thresholds (the stage's params). A check is off when its threshold cannot trigger (0, 0, 1). */
typedef struct cq_thresholds {
    double min_luminance;       /**< darker than this on average: "too dark" */
    double min_sharpness;       /**< Laplacian variance below this: "blurred" */
    double max_bright_fraction; /**< more near-white pixels than this: "over-exposed" */
    int bright_level;           /**< a channel value >= this counts as near white */
} cq_thresholds;

/** Measure an RGB8 (HWC) frame. width and height must be >= 1; frames smaller than 3x3 have a
 *  Laplacian variance of 0. */
void cq_measure(const uint8_t *rgb, int width, int height, int bright_level, cq_metrics *out);

/** Decide: 0 to keep, 1 to drop with a reason written to `reason` ("too dark: mean luminance 12.4 < 20").
 *  Checks run in the order dark, over-exposed, blurred (a dark or washed-out frame is also flat, and
 *  the first cause is the useful one). */
int cq_judge(const cq_metrics *m, const cq_thresholds *t, char *reason, size_t reason_size);

#endif
