/* The "video" plugin (hemovk-video.so): the `video` source component (video_source.c). */
#ifndef HEMOVK_VIDEO_PLUGIN_H
#define HEMOVK_VIDEO_PLUGIN_H

#include "hemovk/plugin.h"

extern const char vs_schema[];
extern const hv_stage_vtable vs_vtable;

#endif
