/* Fuzz target: the video reader (plugins/video/video_reader.c) — FFmpeg's demuxers and decoders behind
 * hemovk's frame numbering, seeking, damage handling and RGB conversion — on the bytes of a file as a
 * capsule export would hold them. Reads frames 0 and 1, then jumps ahead (a resumed run: a seek), and
 * checks every frame it gets is within the image limits with its pixels readable. Exam videos come from
 * recorders and shared drives: any byte string must give frames, an end, or a message, never a crash.
 * Coverage guides through hemovk's code only (Debian's FFmpeg is not instrumented), so the seeds hold
 * one small 16x16 file per container and codec pipeline.video uses, encoded with its write_video():
 * MJPEG/AVI and FFV1/MKV (3 frames), MPEG-4/MP4 (48 frames, a keyframe every 12: the jump seeks),
 * MPEG-4/AVI (3 frames), and the MJPEG file cut at 3000 bytes; and two whose width makes swscale's RGB24
 * writer overrun its rows (MPEG-4 yuv420p 30x22, MJPEG yuvj422p 46x16: see to_rgb in video_reader.c). */
/* FUZZ_EXTRA_SOURCES plugins/video/video_reader.c */
/* FUZZ_PKG FFMPEG */
#include "fuzz_util.h"

#include "hemovk/image.h"
#include "video_reader.h"

static void fail(const char *what) {
    fprintf(stderr, "fuzz_video: %s (%s)\n", what, hv_last_error());
    abort();
}

/* Read frame `index`; returns 1 while the stream goes on. */
static int read_one(vr_reader *r, uint64_t index) {
    uint8_t *rgb = NULL;
    int32_t w = 0, h = 0;
    double t = 0;
    hv_status st = HV_OK;
    vr_result res = vr_read(r, index, &rgb, &w, &h, &t, &st);
    if (res == VR_FRAME) {
        if (st || !rgb) fail("a frame without pixels");
        if (w <= 0 || h <= 0 || w > HV_IMAGE_MAX_SIDE || h > HV_IMAGE_MAX_SIDE ||
            (uint64_t)w * (uint64_t)h > HV_IMAGE_MAX_PIXELS)
            fail("a frame past the image limits");
        volatile uint8_t sink = rgb[0] ^ rgb[(size_t)w * (size_t)h * 3 - 1]; /* ASan checks the whole extent */
        (void)sink;
        free(rgb);
        return 1;
    }
    if (rgb) fail("pixels with no frame");
    if (res == VR_BROKEN && !hv_last_error()[0]) fail("a broken stream without a message");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) fz_init_common(), ready = 1;
    const char *path = fz_write("exam.bin", data, size);
    vr_reader *r = NULL;
    hv_status st = vr_open(path, &r);
    if (st) {
        if (!hv_last_error()[0]) fail("refused without a message");
        if (r) fail("a reader returned with an error");
        return 0;
    }
    (void)vr_declared_frames(r);
    if (read_one(r, 0) && read_one(r, 1) && read_one(r, 40)) (void)read_one(r, 41);
    vr_close(r);
    return 0;
}
