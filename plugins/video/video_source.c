/* The "video" source: frames of a capsule exam exported as a video file (AVI, MP4, MKV; any codec
 * Debian's FFmpeg decodes), for pipelines that say `source: {component: video, path: exam.mp4}` or runs
 * whose --input is a video file (the scheduler recognises the container).
 *
 * It follows the SOURCE protocol of hemovk/plugin.h: the host numbers the frames it wants (every N-th,
 * minus those a resumed run already wrote) and this component fills each with that stream frame's
 * pixels and its time from the stream's timestamps; the reader seeks instead of decoding the frames in
 * between when the gap is large. The stream's end, or the point where a cut-short or damaged file stops,
 * is reported on the frame the host asked for past it (HV_SOURCE_END_META; a failed frame naming the
 * file, the last good frame and its time when the file is damaged). FFmpeg is the dependency because
 * parsing containers and decoding their codecs is a library's job, not this engine's. */
#include "video_plugin.h"
#include "video_reader.h"

#include "hemovk/config.h"
#include "hemovk/frame.h"
#include "hemovk/plugin.h"

#include <inttypes.h>
#include <stdlib.h>

const char vs_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "required: [path]\n"
    "properties:\n"
    "  path:\n"
    "    type: string\n"
    "    minLength: 1\n"
    "    description: the video file (the host passes the pipeline's source.path or --input)\n";

typedef struct vs_source {
    vr_reader *reader;
    int ended;
} vs_source;

static hv_status vs_create(const hv_create_info *info, void **instance) {
    const char *path = NULL;
    hv_status st = hv_config_need_string(info->params, "path", &path);
    if (st) return st;
    vs_source *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    if ((st = vr_open(path, &s->reader))) {
        free(s);
        return st;
    }
    *instance = s;
    return HV_OK;
}

static hv_status vs_process(void *instance, hv_frame *const *frames, size_t n) {
    vs_source *s = instance;
    uint64_t declared = vr_declared_frames(s->reader);
    for (size_t i = 0; i < n; i++) {
        hv_frame *f = frames[i];
        hv_status st;
        if (s->ended) {
            if ((st = hv_frame_set_meta(f, HV_SOURCE_END_META, "end"))) return st;
            continue;
        }
        uint8_t *rgb = NULL;
        int32_t w = 0, h = 0;
        double t = 0;
        vr_result r = vr_read(s->reader, f->id, &rgb, &w, &h, &t, &st);
        if (st) return st;
        if (r == VR_FRAME) {
            hv_frame_set_pixels(f, w, h, rgb);
            if ((st = hv_frame_set_meta(f, HV_FRAME_TIME_META, "%.3f", t))) return st;
            if (declared && (st = hv_frame_set_meta(f, HV_SOURCE_FRAMES_META, "%" PRIu64, declared))) return st;
            continue;
        }
        s->ended = 1;
        if ((st = hv_frame_set_meta(f, HV_SOURCE_END_META, "%s", r == VR_BROKEN ? "broken" : "end"))) return st;
        if (r == VR_BROKEN) hv_frame_fail(f, "source", "%s", hv_last_error());
    }
    return HV_OK;
}

static void vs_destroy(void *instance) {
    vs_source *s = instance;
    if (!s) return;
    vr_close(s->reader);
    free(s);
}

const hv_stage_vtable vs_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = vs_create,
    .process = vs_process,
    .flush = NULL,
    .destroy = vs_destroy,
};
