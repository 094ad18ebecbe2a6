/* The descriptor of the "video" plugin (hemovk-video.so). Built only where FFmpeg's development
 * packages are installed (see CMakeLists.txt). */
#include "video_plugin.h"

static const hv_component_desc k_components[] = {
    {.struct_size = sizeof(hv_component_desc),
     .kind = HV_COMPONENT_SOURCE,
     .name = "video",
     .description = "frames of a video file (AVI, MP4, MKV through FFmpeg) in stream order, timed by the stream's "
                    "timestamps; seeks for every: N and --resume; a cut-short file keeps the frames before the cut",
     .param_schema = vs_schema,
     .vtable = &vs_vtable,
     .vtable_size = sizeof(hv_stage_vtable)},
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "video",
    .version = "1.0.0",
    .description = "capsule exams exported as video files (source component `video`, FFmpeg)",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
