/* Frames of one video file by stream frame number, through FFmpeg (libavformat demuxes the container,
 * libavcodec decodes, libswscale converts to RGB8). Reads forward; a request far ahead of the current
 * position (a resumed run) seeks to the keyframe before it instead of decoding everything between. */
#ifndef HEMOVK_VIDEO_READER_H
#define HEMOVK_VIDEO_READER_H

#include "hemovk/status.h"

#include <stdint.h>

typedef struct vr_reader vr_reader;

/* Open `path` and its best video stream. HV_ERR_DECODE naming the file when it is not a video FFmpeg
 * can read (garbage, an image, a container without a video stream, a codec Debian's FFmpeg lacks). */
hv_status vr_open(const char *path, vr_reader **out);

/* The frame count the container declares (0: it does not say). */
uint64_t vr_declared_frames(const vr_reader *r);

/* What vr_read found. */
typedef enum vr_result {
    VR_FRAME = 0,  /* *rgb, *w, *h, *t filled */
    VR_END = 1,    /* the stream ended (cleanly) before frame `index` */
    VR_BROKEN = 2  /* the stream broke off (truncated or damaged data) before frame `index`: the
                      message (hv_last_error) says after which frame and time, and why */
} vr_result;

/* Decode stream frame `index` (requests must not go backwards): *rgb (malloc'ed w*h*3 bytes, the
 * caller owns it), its size, and its time in seconds from the stream's first frame (its timestamp).
 * Returns VR_FRAME, VR_END or VR_BROKEN; *st is set only for failures that are not about the stream
 * (out of memory), and then the result is VR_BROKEN too. */
vr_result vr_read(vr_reader *r, uint64_t index, uint8_t **rgb, int32_t *w, int32_t *h, double *t, hv_status *st);

/* Number of seeks done (tests check that --resume seeks instead of decoding from the start). */
uint64_t vr_seeks(const vr_reader *r);

/* Frames decoded so far (the same purpose). */
uint64_t vr_decoded(const vr_reader *r);

void vr_close(vr_reader *r);

#endif
