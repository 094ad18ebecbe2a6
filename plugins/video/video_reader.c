/* Frames of one video file by stream frame number (see video_reader.h).
 *
 * Frame numbers: frames are numbered in presentation order as the decoder returns them, 0 first. After
 * a seek the number of the first frame decoded is taken from its timestamp (pts - start) / frame
 * duration, which equals the count for the constant frame rate capsule exports use; a seek that lands
 * past the requested frame (a variable-rate stream, a bad index) falls back to decoding from the start,
 * so numbers never depend on whether a run resumed.
 *
 * Damage: a read error, a packet the demuxer marks corrupt (a cut-short file), a packet the decoder
 * rejects, or a clean end before the frame count the container declares ends the stream as BROKEN; the
 * frames still in the decoder are drained first, so every frame before the damage is kept. */
#include "video_reader.h"

#include "hemovk/image.h"
#include "hemovk/log.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seek instead of decoding on when the wanted frame is this far ahead (and the keyframe before it is
 * ahead of us too): fewer frames than that decode faster than a seek and a GOP's worth of frames. */
#define VR_SEEK_GAP 16

/* Bytes of slack after each row swscale writes (see to_rgb): twice the 45 it was measured to overrun. */
#define VR_SWS_PAD 128

struct vr_reader {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVStream *st;
    int si;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    uint8_t *rows;          /* swscale's padded output (see to_rgb) */
    size_t rows_size;
    int64_t start;          /* pts of frame 0 */
    double tb;              /* seconds per timestamp unit */
    int64_t dur;            /* timestamp units per frame (0: unknown, no seeking) */
    uint64_t next;          /* number of the next frame the decoder returns */
    uint64_t declared;      /* frames the container declares (0: unknown) */
    int resync;             /* after a seek: number the next frame from its pts */
    int sought;             /* a seek happened since the last request (overshoot check) */
    int eof_sent;           /* the decoder was told the stream ended */
    int broken_pending;     /* damage seen: drain the decoder, then end as BROKEN */
    int ended;              /* no more frames: `end` says how */
    vr_result end;
    char why[512];          /* damage reason, then the full end message */
    int have_last;
    uint64_t last_index;
    double last_time;
    uint64_t seeks, decoded;
};

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The limits image frames have (hemovk/image.h): a header claiming more is damage, not an exam. */
static int frame_size_ok(int w, int h) {
    return w > 0 && h > 0 && w <= HV_IMAGE_MAX_SIDE && h <= HV_IMAGE_MAX_SIDE &&
           (uint64_t)w * (uint64_t)h <= HV_IMAGE_MAX_PIXELS;
}

static void av_err(int rc, char *buf, size_t n) {
    if (av_strerror(rc, buf, n) < 0) snprintf(buf, n, "error %d", rc);
}

hv_status vr_open(const char *path, vr_reader **out) {
    *out = NULL;
    /* FFmpeg's own log lines would repeat, less clearly, what the messages here say. */
    av_log_set_level(AV_LOG_FATAL);
    vr_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory opening %s", path);
    }
    char e[256];
    hv_status st = HV_OK;
    int rc = avformat_open_input(&r->fmt, path, NULL, NULL);
    if (rc < 0) {
        av_err(rc, e, sizeof e);
        st = hv_error(HV_ERR_DECODE, "%s: not a video FFmpeg can read (%s): give an AVI, MP4 or MKV capsule export", path, e);
        goto fail;
    }
    if ((rc = avformat_find_stream_info(r->fmt, NULL)) < 0) {
        av_err(rc, e, sizeof e);
        st = hv_error(HV_ERR_DECODE, "%s: not a video FFmpeg can read (its streams cannot be read: %s)", path, e);
        goto fail;
    }
    const AVCodec *codec = NULL;
    r->si = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (r->si < 0 || !codec) {
        st = hv_error(HV_ERR_DECODE, "%s: not a video FFmpeg can read (%s)", path,
                      r->si == AVERROR_DECODER_NOT_FOUND ? "its video codec is not in this FFmpeg build"
                                                         : "no video stream in it");
        goto fail;
    }
    r->st = r->fmt->streams[r->si];
    if (!(r->dec = avcodec_alloc_context3(codec)) || !(r->pkt = av_packet_alloc()) || !(r->frame = av_frame_alloc())) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory opening %s", path);
        goto fail;
    }
    if ((rc = avcodec_parameters_to_context(r->dec, r->st->codecpar)) < 0 || (rc = avcodec_open2(r->dec, codec, NULL)) < 0) {
        av_err(rc, e, sizeof e);
        st = hv_error(HV_ERR_DECODE, "%s: not a video FFmpeg can read (its %s decoder fails: %s)", path, codec->name, e);
        goto fail;
    }
    if (r->dec->width <= 0 || r->dec->height <= 0) {
        st = hv_error(HV_ERR_DECODE, "%s: not a video FFmpeg can read (its video stream has no frame size)", path);
        goto fail;
    }
    if (!frame_size_ok(r->dec->width, r->dec->height)) {
        st = hv_error(HV_ERR_DECODE, "%s: its video stream claims %dx%d frames, past hemovk's limits (%d per side, %u "
                      "pixels): a corrupt or hostile file, not a capsule exam", path, r->dec->width, r->dec->height,
                      HV_IMAGE_MAX_SIDE, HV_IMAGE_MAX_PIXELS);
        goto fail;
    }
    /* the decoder itself refuses frames past the pixel limit (a stream may change size mid-way) */
    r->dec->max_pixels = HV_IMAGE_MAX_PIXELS;
    r->tb = av_q2d(r->st->time_base);
    r->start = r->st->start_time != AV_NOPTS_VALUE ? r->st->start_time : 0;
    /* r_frame_rate: the base rate of the timestamps (avg_frame_rate is skewed by a short last frame) */
    AVRational rate = r->st->r_frame_rate.num > 0 ? r->st->r_frame_rate : r->st->avg_frame_rate;
    if (rate.num > 0 && rate.den > 0 && r->tb > 0) {
        double d = 1.0 / (av_q2d(rate) * r->tb);
        if (d >= 1.0 && fabs(d - llround(d)) < 1e-6) r->dur = (int64_t)llround(d);
    }
    /* The frames a complete file presents: the stream's duration in frames when known (an MP4 edit list
     * may hide samples it stores: nb_frames counts those too), else the stored frame count. */
    if (r->dur > 0 && r->st->duration > 0 && r->st->duration != AV_NOPTS_VALUE) {
        r->declared = (uint64_t)llround((double)r->st->duration / (double)r->dur);
        if (r->st->nb_frames > 0 && (uint64_t)r->st->nb_frames < r->declared) r->declared = (uint64_t)r->st->nb_frames;
    } else if (r->st->nb_frames > 0) {
        r->declared = (uint64_t)r->st->nb_frames;
    } else if (r->dur > 0 && r->fmt->duration > 0 && r->fmt->duration != AV_NOPTS_VALUE) {
        /* Matroska states the segment's duration, not a frame count */
        r->declared = (uint64_t)llround((double)r->fmt->duration / AV_TIME_BASE / ((double)r->dur * r->tb));
    }
    *out = r;
    return HV_OK;
fail:
    vr_close(r);
    return st;
}

uint64_t vr_declared_frames(const vr_reader *r) { return r->declared; }
uint64_t vr_seeks(const vr_reader *r) { return r->seeks; }
uint64_t vr_decoded(const vr_reader *r) { return r->decoded; }

/* The stream is done: how, and the message every later request repeats. */
static void finish(vr_reader *r) {
    r->ended = 1;
    char where[160];
    if (r->have_last)
        snprintf(where, sizeof where, "after frame %llu (%.3f s)", (unsigned long long)r->last_index, r->last_time);
    else
        snprintf(where, sizeof where, "before its first frame");
    if (!r->broken_pending && r->declared && r->next < r->declared) {
        snprintf(r->why, sizeof r->why, "the container declares %llu frames: the file is cut short",
                 (unsigned long long)r->declared);
        r->broken_pending = 1;
    }
    char msg[sizeof r->why + 400];
    if (r->broken_pending) {
        r->end = VR_BROKEN;
        snprintf(msg, sizeof msg, "%s: the video stops %s: %s; the frames before it were kept", base_name(r->path), where,
                 r->why);
    } else {
        r->end = VR_END;
        snprintf(msg, sizeof msg, "%s: end of the video %s", base_name(r->path), where);
    }
    size_t n = strlen(msg) < sizeof r->why - 1 ? strlen(msg) : sizeof r->why - 1;
    memcpy(r->why, msg, n);
    r->why[n] = '\0';
}

/* Damage at this point: keep what the decoder still holds, then end BROKEN. */
static void damage(vr_reader *r, const char *what, int rc) {
    char e[256] = "";
    if (rc) av_err(rc, e, sizeof e);
    snprintf(r->why, sizeof r->why, "%s%s%s%s", what, rc ? " (" : "", e, rc ? ")" : "");
    r->broken_pending = 1;
    if (!r->eof_sent) {
        avcodec_send_packet(r->dec, NULL);
        r->eof_sent = 1;
    }
}

/* Next decoded frame into r->frame: 1, or 0 when the stream is done (r->ended set). */
static int receive(vr_reader *r) {
    for (;;) {
        int rc = avcodec_receive_frame(r->dec, r->frame);
        if (rc == 0) return 1;
        if (rc == AVERROR_EOF || (rc == AVERROR(EAGAIN) && r->eof_sent)) {
            finish(r);
            return 0;
        }
        if (rc != AVERROR(EAGAIN)) {
            damage(r, "a frame cannot be decoded", rc);
            finish(r);
            return 0;
        }
        rc = av_read_frame(r->fmt, r->pkt);
        if (rc == AVERROR_EOF) {
            avcodec_send_packet(r->dec, NULL);
            r->eof_sent = 1;
            continue;
        }
        if (rc < 0) {
            damage(r, "the container cannot be read on", rc);
            continue;
        }
        if (r->pkt->stream_index != r->si) {
            av_packet_unref(r->pkt);
            continue;
        }
        if (r->pkt->flags & AV_PKT_FLAG_CORRUPT) {
            av_packet_unref(r->pkt);
            damage(r, "a packet is cut short or damaged", 0);
            continue;
        }
        rc = avcodec_send_packet(r->dec, r->pkt);
        av_packet_unref(r->pkt);
        if (rc < 0) damage(r, "a packet cannot be decoded", rc);
    }
}

/* Seek so that the decoder next returns the keyframe at or before frame `index`. */
static void seek_to(vr_reader *r, uint64_t index) {
    int64_t ts = r->start + (int64_t)index * r->dur;
    int ie = av_index_search_timestamp(r->st, ts, AVSEEK_FLAG_BACKWARD);
    const AVIndexEntry *entry = ie >= 0 ? avformat_index_get_entry(r->st, ie) : NULL;
    /* The keyframe is not past where we are: decoding on costs no more than the seek would. */
    if (entry && entry->timestamp <= r->start + (int64_t)r->next * r->dur) return;
    if (av_seek_frame(r->fmt, r->si, ts, AVSEEK_FLAG_BACKWARD) < 0) return; /* decode on instead */
    avcodec_flush_buffers(r->dec);
    r->eof_sent = 0;
    r->resync = 1;
    r->sought = 1;
    r->seeks++;
    hv_log_debug("%s: seek to the keyframe before frame %llu (decoder was at frame %llu)", base_name(r->path),
                 (unsigned long long)index, (unsigned long long)r->next);
}

/* Back to frame 0 (after a seek that overshot): numbers by count from there. */
static int rewind_stream(vr_reader *r) {
    if (avformat_seek_file(r->fmt, r->si, INT64_MIN, r->start, r->start, 0) < 0 &&
        av_seek_frame(r->fmt, r->si, r->start, AVSEEK_FLAG_BACKWARD) < 0)
        return 0;
    avcodec_flush_buffers(r->dec);
    r->eof_sent = 0;
    r->resync = 0;
    r->next = 0;
    r->have_last = 0;
    r->seeks++;
    return 1;
}

static hv_status to_rgb(vr_reader *r, uint8_t **rgb, int32_t *w, int32_t *h) {
    const AVFrame *f = r->frame;
    if (!frame_size_ok(f->width, f->height))
        return hv_error(HV_ERR_DECODE, "%s: a %dx%d frame, past hemovk's limits (%d per side, %u pixels)", r->path,
                        f->width, f->height, HV_IMAGE_MAX_SIDE, HV_IMAGE_MAX_PIXELS);
    r->sws = sws_getCachedContext(r->sws, f->width, f->height, (enum AVPixelFormat)f->format, f->width, f->height,
                                  AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
    if (!r->sws)
        return hv_error(HV_ERR_DECODE, "%s: cannot convert %dx%d %s frames to RGB", r->path, f->width, f->height,
                        av_get_pix_fmt_name((enum AVPixelFormat)f->format));
    /* swscale's SIMD RGB24 writers store whole vectors: for yuv420p/422p they write up to 45 bytes past
     * the end of a row (measured on Debian 12's FFmpeg 5.1, x86-64), so into an exact w*h*3 buffer they
     * write past its end and corrupt the heap (a fuzz find). It converts into padded rows here, with a
     * guard tail it must not touch, and the rows are copied out. */
    size_t row = (size_t)f->width * 3, stride_pad = (row + VR_SWS_PAD + 63) & ~(size_t)63;
    size_t need = stride_pad * (size_t)f->height + VR_SWS_PAD;
    if (need > r->rows_size) {
        av_freep(&r->rows);
        r->rows_size = 0;
        if (!(r->rows = av_malloc(need)))
            return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for a %dx%d frame of %s", f->width, f->height, r->path);
        r->rows_size = need;
    }
    /* the guard: everything after the last row's allowed slack (at least VR_SWS_PAD bytes) */
    uint8_t *guard = r->rows + stride_pad * (size_t)(f->height - 1) + row + VR_SWS_PAD;
    size_t guard_len = (size_t)(r->rows + need - guard);
    memset(guard, 0xA5, guard_len);
    uint8_t *dst[4] = {r->rows, NULL, NULL, NULL};
    int stride[4] = {(int)stride_pad, 0, 0, 0};
    sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, stride);
    for (size_t i = 0; i < guard_len; i++)
        if (guard[i] != 0xA5)
            return hv_error(HV_ERR_INTERNAL, "%s: FFmpeg's colour conversion of a %dx%d %s frame wrote past its output "
                            "rows: this FFmpeg build is not one hemovk was tested with", r->path, f->width, f->height,
                            av_get_pix_fmt_name((enum AVPixelFormat)f->format));
    uint8_t *out = malloc(row * (size_t)f->height);
    if (!out) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for a %dx%d frame of %s", f->width, f->height, r->path);
    for (int y = 0; y < f->height; y++) memcpy(out + row * (size_t)y, r->rows + stride_pad * (size_t)y, row);
    *rgb = out;
    *w = f->width;
    *h = f->height;
    return HV_OK;
}

vr_result vr_read(vr_reader *r, uint64_t index, uint8_t **rgb, int32_t *w, int32_t *h, double *t, hv_status *st) {
    *rgb = NULL;
    *st = HV_OK;
    if (!r->ended && index < r->next) {
        *st = hv_error(HV_ERR_INTERNAL, "%s: frame %llu asked for after frame %llu (frames are read forward)", r->path,
                       (unsigned long long)index, (unsigned long long)r->next);
        return VR_BROKEN;
    }
    r->sought = 0;
    if (!r->ended && r->dur > 0 && index > r->next + VR_SEEK_GAP) seek_to(r, index);
    while (!r->ended) {
        if (!receive(r)) break;
        int64_t pts = r->frame->best_effort_timestamp;
        uint64_t idx = r->next;
        if (r->resync) {
            r->resync = 0;
            if (pts != AV_NOPTS_VALUE && r->dur > 0 && pts >= r->start) idx = (uint64_t)((pts - r->start + r->dur / 2) / r->dur);
            if (idx > index && r->sought) {
                /* Landed past the frame: numbering by timestamp is not trustworthy here. */
                hv_log_warn("%s: a seek to frame %llu landed on frame %llu: decoding from the start instead", r->path,
                            (unsigned long long)index, (unsigned long long)idx);
                av_frame_unref(r->frame);
                r->sought = 0;
                if (!rewind_stream(r)) {
                    damage(r, "cannot seek back to the start", 0);
                    finish(r);
                    break;
                }
                continue;
            }
        }
        r->next = idx + 1;
        r->decoded++;
        r->have_last = 1;
        r->last_index = idx;
        r->last_time = pts != AV_NOPTS_VALUE ? (double)(pts - r->start) * r->tb : (r->dur ? (double)idx * r->dur * r->tb : 0);
        if (idx < index) {
            av_frame_unref(r->frame);
            continue;
        }
        *t = r->last_time;
        *st = to_rgb(r, rgb, w, h);
        av_frame_unref(r->frame);
        if (*st == HV_ERR_DECODE) {
            /* a frame that cannot become RGB (past the limits, an odd format) is damage: the stream ends
             * here, as BROKEN, and the frames before it stay */
            *st = HV_OK;
            r->ended = 1;
            r->end = VR_BROKEN;
            snprintf(r->why, sizeof r->why, "%s (frame %llu)", hv_last_error(), (unsigned long long)idx);
            hv_error(HV_ERR_DECODE, "%s", r->why);
            return VR_BROKEN;
        }
        if (*st) return VR_BROKEN;
        return VR_FRAME;
    }
    hv_error(HV_ERR_DECODE, "%s", r->why);
    return r->end;
}

void vr_close(vr_reader *r) {
    if (!r) return;
    sws_freeContext(r->sws);
    av_freep(&r->rows);
    av_frame_free(&r->frame);
    av_packet_free(&r->pkt);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    free(r->path);
    free(r);
}
