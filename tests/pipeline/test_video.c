/* Video input (plugins/video, the SOURCE protocol in hemovk/plugin.h, core/pipeline/source.c), end to end
 * through `hemovk run`. The test videos are encoded here with libavcodec — MJPEG in AVI, FFV1 in MKV,
 * MPEG-4 part 2 in MP4 with short GOPs — as 32x24 grey frames whose grey level encodes their index, so
 * filter.quality's luminance (written to results.jsonl) tells which frame each record holds:
 *   - every frame decoded in stream order with its index, key "<file>#<index>" and timestamp time
 *     (a pipeline naming `component: video`, and an MKV given as --input, recognised by its bytes);
 *   - every: 3 keeps frames 0, 3, 6, ... with their stream indices and times;
 *   - --limit then --resume gives the same records as one uninterrupted run, and the resumed run seeks
 *     past the finished frames instead of decoding them;
 *   - a cut-short AVI and MKV keep every frame before the cut, end with one failed record saying where the
 *     video stopped, and exit 1 (partly failed);
 *   - a garbage file named as a video is a clear error naming it (exit 3). */
#ifndef HEMOVK_HAVE_FFMPEG
int main(void) { return 77; } /* built without FFmpeg: no video plugin to test */
#else
#include "ptest.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <unistd.h>

#define W 32
#define H 24

/* Grey level (luma) of frame i. */
static int level(int i) { return 30 + 7 * i; }

/* Encode n frames at `fps` into `path` (container from the extension). */
static void write_video(const char *path, enum AVCodecID codec_id, enum AVPixelFormat pix, int n, int fps, int gop) {
    AVFormatContext *oc = NULL;
    ck_assert_int_ge(avformat_alloc_output_context2(&oc, NULL, NULL, path), 0);
    const AVCodec *codec = avcodec_find_encoder(codec_id);
    ck_assert_msg(codec != NULL, "no encoder %s in this libavcodec", avcodec_get_name(codec_id));
    AVStream *st = avformat_new_stream(oc, NULL);
    AVCodecContext *cc = avcodec_alloc_context3(codec);
    ck_assert(st && cc);
    cc->width = W;
    cc->height = H;
    cc->pix_fmt = pix;
    cc->time_base = (AVRational){1, fps};
    cc->framerate = (AVRational){fps, 1};
    cc->gop_size = gop;
    cc->max_b_frames = 0;
    cc->flags |= AV_CODEC_FLAG_QSCALE;
    cc->global_quality = FF_QP2LAMBDA * 2;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    ck_assert_int_ge(avcodec_open2(cc, codec, NULL), 0);
    ck_assert_int_ge(avcodec_parameters_from_context(st->codecpar, cc), 0);
    st->time_base = cc->time_base;
    ck_assert_int_ge(avio_open(&oc->pb, path, AVIO_FLAG_WRITE), 0);
    ck_assert_int_ge(avformat_write_header(oc, NULL), 0);
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    for (int i = 0; i <= n; i++) {
        int rc;
        if (i < n) {
            f->format = pix;
            f->width = W;
            f->height = H;
            ck_assert_int_ge(av_frame_get_buffer(f, 0), 0);
            for (int y = 0; y < H; y++) memset(f->data[0] + (size_t)y * f->linesize[0], level(i), W);
            for (int y = 0; y < H / 2; y++) {
                memset(f->data[1] + (size_t)y * f->linesize[1], 128, W / 2);
                memset(f->data[2] + (size_t)y * f->linesize[2], 128, W / 2);
            }
            f->pts = i;
            rc = avcodec_send_frame(cc, f);
            av_frame_unref(f);
        } else {
            rc = avcodec_send_frame(cc, NULL);
        }
        ck_assert_int_ge(rc, 0);
        while (avcodec_receive_packet(cc, pkt) == 0) {
            pkt->duration = 1; /* one frame: MP4 otherwise gives the last frame no duration and hides it */
            av_packet_rescale_ts(pkt, cc->time_base, st->time_base);
            pkt->stream_index = st->index;
            ck_assert_int_ge(av_interleaved_write_frame(oc, pkt), 0);
        }
    }
    ck_assert_int_ge(av_write_trailer(oc), 0);
    avio_closep(&oc->pb);
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&cc);
    avformat_free_context(oc);
}

/* RGB grey (what filter.quality measures) of luma `y`: full range for yuvj, video range otherwise. */
static double grey(int y, int full_range) { return full_range ? y : (y - 16) * 255.0 / 219.0; }

static void write_pipeline(const char *yaml, const char *source) {
    char text[8192];
    snprintf(text, sizeof text,
             "version: 1\n"
             "name: video\n"
             "batch: 4\n"
             "%s"
             "stages:\n"
             "  - {id: quality, component: filter.quality, params: {min_luminance: 0, min_sharpness: 0, "
             "max_bright_fraction: 1}}\n"
             "outputs:\n"
             "  - {id: jsonl, component: writer.jsonl, path: results.jsonl, params: {fsync: false}}\n",
             source);
    ptest_write(yaml, text);
}

static int run(const char *dir, const char *yaml, const char *out, const char *extra) {
    return ptest_sh("'%s' run '%s' --output '%s' --progress none %s 2>>'%s/err.txt'", HEMOVK_CLI, yaml, out, extra, dir);
}

static char *read_err(const char *dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/err.txt", dir);
    char *s = ptest_read(p);
    return s ? s : strdup("");
}

/* Check results.jsonl of `out`: exactly the frames `ids` (n of them), in order, named `name`#index,
 * timed index/fps, holding the pixels of their index. Returns the rows (caller frees). */
static ptest_jsonl check_rows(const char *out, const char *name, const int *ids, size_t n, int fps, int full_range) {
    char p[4300];
    snprintf(p, sizeof p, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(p);
    ck_assert_uint_eq(j.n, n);
    for (size_t k = 0; k < n; k++) {
        const cJSON *o = j.rows[k];
        ck_assert_ptr_nonnull(o);
        ck_assert_int_eq((int)ptest_num(o, "id"), ids[k]);
        char key[256];
        snprintf(key, sizeof key, "%s#%06d", name, ids[k]);
        ck_assert_str_eq(ptest_str(o, "key"), key);
        ck_assert_msg(fabs(ptest_num(o, "time") - (double)ids[k] / fps) < 1e-3, "frame %d: time %.4f, expected %.4f",
                      ids[k], ptest_num(o, "time"), (double)ids[k] / fps);
        const char *lum = ptest_meta(o, "quality.luminance");
        ck_assert_ptr_nonnull(lum);
        double want = grey(level(ids[k]), full_range);
        ck_assert_msg(fabs(atof(lum) - want) < 3.0, "frame %d holds luminance %s, expected %.1f (frame order)", ids[k], lum,
                      want);
    }
    return j;
}

START_TEST(all_frames_in_order) {
    const char *dir = hvtest_tmpdir("video-all");
    char video[4200], yaml[4200], out[4200];
    /* MJPEG in AVI, named by a pipeline */
    snprintf(video, sizeof video, "%s/exam.avi", dir);
    write_video(video, AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P, 12, 4, 1);
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    char src[4400];
    snprintf(src, sizeof src, "source: {component: video, path: '%s'}\n", video);
    write_pipeline(yaml, src);
    snprintf(out, sizeof out, "%s/out-avi", dir);
    int rc = run(dir, yaml, out, "");
    char *err = read_err(dir);
    ck_assert_msg(rc == 0, "hemovk run exited %d:\n%s", rc, err);
    int ids[12];
    for (int i = 0; i < 12; i++) ids[i] = i;
    ptest_jsonl j = check_rows(out, "exam.avi", ids, 12, 4, 1);
    ck_assert_str_eq(ptest_str(j.rows[0], "path"), video);
    ptest_free_jsonl(&j);
    free(err);
    /* FFV1 in MKV given as --input to a pipeline without a source: recognised as a video by its bytes */
    snprintf(video, sizeof video, "%s/exam2.mkv", dir);
    write_video(video, AV_CODEC_ID_FFV1, AV_PIX_FMT_YUV420P, 10, 5, 1);
    write_pipeline(yaml, "");
    snprintf(out, sizeof out, "%s/out-mkv", dir);
    char extra[4400];
    snprintf(extra, sizeof extra, "--input '%s'", video);
    rc = run(dir, yaml, out, extra);
    err = read_err(dir);
    ck_assert_msg(rc == 0, "hemovk run --input exam2.mkv exited %d:\n%s", rc, err);
    j = check_rows(out, "exam2.mkv", ids, 10, 5, 0);
    ptest_free_jsonl(&j);
    free(err);
}
END_TEST

START_TEST(every_n) {
    const char *dir = hvtest_tmpdir("video-every");
    char video[4200], yaml[4200], out[4200], src[4400];
    snprintf(video, sizeof video, "%s/exam.mp4", dir);
    write_video(video, AV_CODEC_ID_MPEG4, AV_PIX_FMT_YUV420P, 25, 5, 10);
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(src, sizeof src, "source: {component: video, path: '%s', every: 3}\n", video);
    write_pipeline(yaml, src);
    snprintf(out, sizeof out, "%s/out", dir);
    int rc = run(dir, yaml, out, "");
    char *err = read_err(dir);
    ck_assert_msg(rc == 0, "hemovk run exited %d:\n%s", rc, err);
    int ids[9];
    for (int k = 0; k < 9; k++) ids[k] = 3 * k;
    ptest_jsonl j = check_rows(out, "exam.mp4", ids, 9, 5, 0);
    ptest_free_jsonl(&j);
    free(err);
}
END_TEST

START_TEST(limit_then_resume) {
    const char *dir = hvtest_tmpdir("video-resume");
    char video[4200], yaml[4200], out[4200], whole[4200], src[4400];
    snprintf(video, sizeof video, "%s/exam.mp4", dir);
    write_video(video, AV_CODEC_ID_MPEG4, AV_PIX_FMT_YUV420P, 26, 5, 4);
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(src, sizeof src, "source: {component: video, path: '%s', every: 2}\n", video);
    write_pipeline(yaml, src);
    snprintf(whole, sizeof whole, "%s/whole", dir);
    snprintf(out, sizeof out, "%s/cut", dir);
    int rc1 = run(dir, yaml, whole, "");
    int rc2 = run(dir, yaml, out, "--limit 10");
    int rc3 = ptest_sh("HEMOVK_LOG=debug '%s' run '%s' --output '%s' --progress none --resume 2>'%s/resume.txt'", HEMOVK_CLI,
                       yaml, out, dir);
    char *err = read_err(dir);
    ck_assert_msg(rc1 == 0 && rc2 == 0 && rc3 == 0, "runs exited %d %d %d:\n%s", rc1, rc2, rc3, err);
    int ids[13];
    for (int k = 0; k < 13; k++) ids[k] = 2 * k;
    ptest_jsonl a = check_rows(whole, "exam.mp4", ids, 13, 5, 0);
    ptest_jsonl b = check_rows(out, "exam.mp4", ids, 13, 5, 0);
    for (size_t k = 0; k < 13; k++)
        ck_assert_str_eq(ptest_meta(a.rows[k], "quality.luminance"), ptest_meta(b.rows[k], "quality.luminance"));
    ptest_free_jsonl(&a);
    ptest_free_jsonl(&b);
    /* 10 frames (0..18) were done: the resumed run skips them without decoding and seeks towards 20 */
    char p[4200];
    snprintf(p, sizeof p, "%s/resume.txt", dir);
    char *log = ptest_read(p);
    ck_assert_ptr_nonnull(log);
    ck_assert_msg(strstr(log, "skipped 10 finished frames"), "resume log:\n%s", log);
    ck_assert_msg(strstr(log, "seek to the keyframe before frame 20"), "the resumed run did not seek:\n%s", log);
    free(log);
    free(err);
}
END_TEST

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void check_truncated(const char *dir, const char *name, enum AVCodecID codec, enum AVPixelFormat pix, int full) {
    char video[4200], yaml[4200], out[4200], src[4400];
    /* Cut a 20-frame file where a 10-frame one ends (its headers and index make up for the frames'
     * bytes), so about 10 frames come before the cut, whatever the container's overhead. */
    snprintf(video, sizeof video, "%s/ten-%s", dir, name);
    write_video(video, codec, pix, 10, 4, 1);
    long cut = file_size(video);
    snprintf(video, sizeof video, "%s/%s", dir, name);
    write_video(video, codec, pix, 20, 4, 1);
    ck_assert_int_eq(truncate(video, (off_t)cut), 0);
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(src, sizeof src, "source: {component: video, path: '%s'}\n", video);
    write_pipeline(yaml, src);
    snprintf(out, sizeof out, "%s/out-%s", dir, name);
    int rc = run(dir, yaml, out, "");
    char *err = read_err(dir);
    ck_assert_msg(rc == 1, "a cut-short %s must end the run partly failed (exit 1), got %d:\n%s", name, rc, err);
    char p[4300];
    snprintf(p, sizeof p, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(p);
    ck_assert_msg(j.n >= 6 && j.n < 20, "%s: %zu records", name, j.n);
    size_t good = j.n - 1;
    for (size_t k = 0; k < good; k++) {
        ck_assert_int_eq((int)ptest_num(j.rows[k], "id"), (int)k);
        ck_assert_msg(!cJSON_IsString(cJSON_GetObjectItem(j.rows[k], "error")), "%s: frame %zu failed", name, k);
        double want = grey(level((int)k), full);
        ck_assert_msg(fabs(atof(ptest_meta(j.rows[k], "quality.luminance")) - want) < 3.0, "%s frame %zu", name, k);
    }
    const char *e = ptest_str(j.rows[good], "error");
    ck_assert_msg(e != NULL, "%s: the last record must be the failure", name);
    char where[128];
    snprintf(where, sizeof where, "%s: the video stops after frame %zu (%.3f s)", name, good - 1, (double)(good - 1) / 4);
    ck_assert_msg(strstr(e, where), "%s: error '%s' should say '%s'", name, e, where);
    ck_assert_int_eq((int)ptest_num(j.rows[good], "id"), (int)good);
    ck_assert_msg(strstr(err, where), "stderr should say where it stopped:\n%s", err);
    ptest_free_jsonl(&j);
    free(err);
}

START_TEST(truncated_keeps_frames_before_the_cut) {
    const char *dir = hvtest_tmpdir("video-cut");
    check_truncated(dir, "cut.avi", AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P, 1);
    check_truncated(dir, "cut.mkv", AV_CODEC_ID_FFV1, AV_PIX_FMT_YUV420P, 0);
}
END_TEST

START_TEST(garbage_is_a_clear_error) {
    const char *dir = hvtest_tmpdir("video-junk");
    char video[4200], yaml[4200], out[4200], src[4400];
    snprintf(video, sizeof video, "%s/junk.mp4", dir);
    FILE *f = fopen(video, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 4096; i++) fputc((i * 7919 + 13) & 0xff, f);
    fclose(f);
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(src, sizeof src, "source: {component: video, path: '%s'}\n", video);
    write_pipeline(yaml, src);
    snprintf(out, sizeof out, "%s/out", dir);
    int rc = run(dir, yaml, out, "");
    char *err = read_err(dir);
    ck_assert_msg(rc == 3, "garbage: exit %d (want 3, invalid input):\n%s", rc, err);
    ck_assert_msg(strstr(err, "junk.mp4: not a video"), "the error must name the file:\n%s", err);
    free(err);
}
END_TEST

/* Write a 3-frame MJPEG AVI whose JPEG start-of-frame headers (and, with `container`, the AVI's stream
 * format too) claim 12000x12000 frames: 144 M pixels, within FFmpeg's own bounds, past hemovk's 64 M. */
static void write_oversized(const char *video, int container) {
    write_video(video, AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P, 3, 2, 1);
    long n = file_size(video);
    ck_assert_int_gt(n, 64);
    uint8_t *b = malloc((size_t)n);
    FILE *f = fopen(video, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), n);
    int sof = 0, strf = 0;
    for (long i = 0; i + 20 <= n; i++) {
        if (b[i] == 0xFF && b[i + 1] == 0xC0) { /* SOF0: FF C0, length, precision, height, width (big-endian) */
            b[i + 5] = b[i + 7] = 12000 >> 8;
            b[i + 6] = b[i + 8] = 12000 & 0xFF;
            sof++;
        }
        if (container && !memcmp(b + i, "strf", 4)) { /* "strf", size, biSize, biWidth, biHeight (LE) */
            for (int k = 0; k < 2; k++)
                for (int j = 0; j < 4; j++) b[i + 12 + 4 * k + j] = (uint8_t)(12000u >> (8 * j));
            strf++;
        }
    }
    ck_assert_int_eq(sof, 3);
    ck_assert_int_eq(strf, container ? 1 : 0);
    ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
    ck_assert_int_eq(fwrite(b, 1, (size_t)n, f), n);
    fclose(f);
    free(b);
}

/* Frames claiming a size past the limits are never decoded into memory of that size: a stream that
 * declares it is refused at open (exit 3, the size named); frames that claim it while the container
 * says 16x16 stop the stream there, as damage (exit 1, the file named). */
START_TEST(oversized_frames_are_refused) {
    const char *dir = hvtest_tmpdir("video-huge");
    char video[4200], yaml[4200], out[4200], src[4400];
    for (int container = 1; container >= 0; container--) {
        snprintf(video, sizeof video, "%s/huge%d.avi", dir, container);
        write_oversized(video, container);
        snprintf(yaml, sizeof yaml, "%s/p%d.yaml", dir, container);
        snprintf(src, sizeof src, "source: {component: video, path: '%s'}\n", video);
        write_pipeline(yaml, src);
        snprintf(out, sizeof out, "%s/out%d", dir, container);
        int rc = run(dir, yaml, out, "");
        char *err = read_err(dir);
        if (container) {
            ck_assert_msg(rc == 3, "oversized stream: exit %d (want 3, invalid input):\n%s", rc, err);
            ck_assert_msg(strstr(err, "huge1.avi: its video stream claims 12000x12000 frames"),
                          "the error must name the file and size:\n%s", err);
        } else {
            ck_assert_msg(rc == 1, "oversized frames: exit %d (want 1, frames failed):\n%s", rc, err);
            ck_assert_msg(strstr(err, "huge0.avi: the video stops before its first frame"),
                          "the failure must name the file:\n%s", err);
        }
        free(err);
    }
}
END_TEST

int main(void) {
    ptest_env();
    Suite *s = suite_create("video");
    TCase *tc = tcase_create("video");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, all_frames_in_order);
    tcase_add_test(tc, every_n);
    tcase_add_test(tc, limit_then_resume);
    tcase_add_test(tc, truncated_keeps_frames_before_the_cut);
    tcase_add_test(tc, garbage_is_a_clear_error);
    tcase_add_test(tc, oversized_frames_are_refused);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
#endif
