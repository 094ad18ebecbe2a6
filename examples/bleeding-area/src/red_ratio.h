/* The plugin's custom operator (red_ratio.c) and its params. */
#ifndef BLEEDING_AREA_RED_RATIO_H
#define BLEEDING_AREA_RED_RATIO_H

#include <stdint.h>

#include "hemovk/custom_op.h"

#define BA_RED_RATIO_OP "bleeding_area.red_ratio"

/** The op's params (also the shader's push constants): pixels per frame and pixels in all. */
typedef struct ba_red_ratio_params {
    uint32_t hw, total;
} ba_red_ratio_params;

/** Add the op to hemovk (the plugin's init) / remove it (its fini). */
hv_status ba_red_ratio_register(void);
void ba_red_ratio_unregister(void);

#endif
