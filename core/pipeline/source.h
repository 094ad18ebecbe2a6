/* Frames from a SOURCE component (a video file) instead of a frame list: the host side of the source
 * protocol in hemovk/plugin.h. Why a component and not a frame list: a video's frames are not files,
 * their count is known only roughly before decoding, and decoding needs FFmpeg, which libhemovk does
 * not link (the `video` plugin does). The host keeps what identifies a frame — its number, key and path,
 * the `every` subsampling, --limit and which frames a resumed run already wrote — and asks the component
 * only for pixels and times, so keys, resume and exam order work as for image folders. */
#ifndef HEMOVK_PIPELINE_SOURCE_H
#define HEMOVK_PIPELINE_SOURCE_H

#include "pipeline/decoder.h"
#include "pipeline/pipeline_internal.h"
#include "pipeline/resume.h"
#include "plugin/stage.h"

#include <stdint.h>

typedef struct pl_source pl_source;

/* Non-zero when `path` is a regular file that starts like a video container (AVI, MP4/MOV, MKV/WebM). */
int pl_is_video_file(const char *path);

/* Create the SOURCE `component` on `input` (its params: {path: input}). Frames wanted: numbers 0, every,
 * 2*every, ... — the first `limit` of them when limit > 0 — minus those whose key is in `done` (taken
 * over: freed with the source). `fps` > 0 times frames the component leaves untimed. */
hv_status pl_source_open(hv_pipeline *p, const char *component, const char *input, uint64_t every, int64_t limit,
                         double fps, pl_path_set *done, const hv_stage_context *ctx, pl_source **out);

/* The next batch of up to `batch` frames (*out NULL when the source is done). A frame where the stream
 * broke off comes as a failed frame, the last of the run. (*out)->total: frames this run will likely
 * do, from the count the container declares (0: unknown). */
hv_status pl_source_next(pl_source *s, size_t batch, pl_batch **out);

/* Frames wanted so far (done ones included) and those skipped as already done. */
uint64_t pl_source_wanted(const pl_source *s);
uint64_t pl_source_skipped(const pl_source *s);

void pl_source_free(pl_source *s);

#endif
