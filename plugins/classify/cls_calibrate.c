/* SWA BatchNorm recalibration when the classifier loads (MODEL_SPEC §6.3 option (c)).
 *
 * The swa weight loader with `bn: recalibrate` averages the checkpoints and marks the set: its BN running
 * statistics are not yet valid. Only the model stage can fix that, because only it knows the network and
 * how frames are fed to it: this file reads the `calibration` frames, gives them the stage's own resize
 * policy and normalisation (so the statistics describe what the network will see), and hands them to the
 * backbone component's recalibrate_bn — for EfficientNet, hv_efficientnet_recalibrate_bn, which follows
 * PyTorch's update_bn. Recalibration runs on the CPU reference backend and can take minutes for a B7, so
 * `save` writes the result for later runs to load directly. */
#include "classify_plugin.h"

#include "hemovk/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Upper bound on the float images held at once (n × 3 × h × w × 4 bytes). */
#define CALIB_MAX_BYTES ((size_t)4 << 30)

/* A new error located at `node` in its YAML file. */
static hv_status at(const hv_config_node *node, hv_status st, const char *what) {
    return hv_error(st, "%s:%d:%d: %s", hv_config_file(node), hv_config_line(node), hv_config_column(node), what);
}

/* The current error, prefixed with the location of `node` and what was being done there. */
static hv_status within(const hv_config_node *node, hv_status st, const char *id, const char *key) {
    return hv_error_context(st, "%s:%d:%d: classifier '%s': %s", hv_config_file(node), hv_config_line(node),
                            hv_config_column(node), id, key);
}

/* One calibration frame → planar floats at the stage's input size. In: *h × *w, the size every frame must
 * have (0: take this frame's); out: that size. *dst is grown to hold frame `i`. */
static hv_status load_one(const cls_config *c, const char *path, size_t i, int32_t *h, int32_t *w, float **dst,
                          size_t *cap) {
    hv_image img = {0};
    hv_status st = hv_image_load(path, &img);
    if (st) return st;
    int32_t tw = 0, th = 0;
    if ((st = cls_target_size(c, img.width, img.height, &tw, &th))) {
        hv_image_free(&img);
        return hv_error_context(st, "%s", path);
    }
    if (*h == 0) *h = th, *w = tw;
    if (th != *h || tw != *w) {
        hv_image_free(&img);
        return hv_error(HV_ERR_SHAPE,
                        "%s is %dx%d for the network but the first calibration frame is %dx%d: BatchNorm batches "
                        "need one size - calibrate on frames of one size, or give the stage `resize: stretch` "
                        "with a `size`",
                        path, tw, th, *w, *h);
    }
    size_t per = (size_t)3 * (size_t)th * (size_t)tw;
    if ((i + 1) * per * sizeof(float) > CALIB_MAX_BYTES) {
        hv_image_free(&img);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "calibration frames past %s would take more than %zu MiB: lower `limit`",
                        path, CALIB_MAX_BYTES >> 20);
    }
    if ((i + 1) * per > *cap) {
        size_t want = *cap ? *cap * 2 : per * 8;
        while (want < (i + 1) * per) want *= 2;
        float *q = realloc(*dst, want * sizeof(float));
        if (!q) {
            hv_image_free(&img);
            return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for calibration frame %s", path);
        }
        *dst = q;
        *cap = want;
    }
    uint8_t *pix = img.rgb, *resized = NULL;
    if (tw != img.width || th != img.height) {
        if (!(resized = malloc((size_t)tw * (size_t)th * 3))) st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory resizing %s", path);
        if (!st) st = hv_preprocess_resize_u8(img.rgb, img.width, img.height, 3, resized, tw, th);
        pix = resized;
    }
    if (!st) st = hv_model_input_host(pix, th, tw, c->norm, *dst + i * per);
    free(resized);
    hv_image_free(&img);
    return st;
}

/* The frames named by calibration.frames: at most `limit`, evenly spaced over the list. */
static hv_status load_frames(const cls_config *c, float **images, int32_t *n, int32_t *h, int32_t *w) {
    const hv_config_node *fn = hv_config_get(c->calibration, "frames");
    char *spec = NULL;
    hv_frame_list *list = NULL;
    hv_status st = hv_config_resolve_path(fn, &spec);
    if (!st && (st = hv_frame_list_open(spec, 0, &list))) st = hv_error_context(st, "calibration frames '%s'", spec);
    size_t count = list ? hv_frame_list_count(list) : 0;
    size_t take = count < (size_t)c->calib_limit ? count : (size_t)c->calib_limit, cap = 0;
    *h = *w = 0;
    for (size_t k = 0; !st && k < take; k++) {
        const char *path = hv_frame_list_path(list, k * count / take);
        st = load_one(c, path, k, h, w, images, &cap);
    }
    *n = (int32_t)take;
    if (st) st = within(fn, st, c->id, "calibration.frames");
    hv_frame_list_free(list);
    free(spec);
    return st;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

hv_status cls_calibrate(cls_model *m, const hv_config_node *params, const hv_backbone_vtable *bb,
                        uint32_t bb_vtable_size) {
    const cls_config *c = m->cfg;
    if (!hv_weights_needs_bn_recalibration(m->weights)) {
        if (c->calibration)
            hv_log_warn("%s:%d: classifier '%s': `calibration` is ignored: the weights (%s) do not ask for BatchNorm "
                        "recalibration (only `loader: swa` with `bn: recalibrate` does)",
                        hv_config_file(c->calibration), hv_config_line(c->calibration), c->id,
                        hv_weights_source(m->weights));
        return HV_OK;
    }
    char what[600];
    if (!c->calibration) {
        snprintf(what, sizeof what,
                 "classifier '%s': the weights (%s) ask for BatchNorm recalibration (bn: recalibrate) but the stage "
                 "has no `calibration: {frames: <folder, glob or list>}` to run it on: add one, or use bn: average "
                 "or keep_last",
                 c->id, hv_weights_source(m->weights));
        return at(hv_config_get(params, "weights"), HV_ERR_INVALID_ARGUMENT, what);
    }
    int has_fn = bb_vtable_size >= offsetof(hv_backbone_vtable, recalibrate_bn) + sizeof bb->recalibrate_bn &&
                 bb->recalibrate_bn;
    if (!has_fn) {
        snprintf(what, sizeof what,
                 "classifier '%s': backbone '%s' cannot recalibrate BatchNorm (it has none, or its plugin does not "
                 "implement recalibrate_bn): load these weights with bn: average or keep_last",
                 c->id, m->bb_name);
        return at(c->calibration, HV_ERR_UNSUPPORTED, what);
    }
    float *images = NULL;
    int32_t n = 0, h = 0, w = 0;
    hv_status st = load_frames(c, &images, &n, &h, &w);
    double t0 = now_s();
    if (!st) {
        hv_log_info("%s: recalibrating BatchNorm on %d frame(s) of %dx%d in batches of %d (CPU, an offline step)", c->id,
                    n, w, h, c->calib_batch);
        st = bb->recalibrate_bn(&m->bb_info, m->weights, images, n, c->calib_batch, h, w);
        if (st) st = within(c->calibration, st, c->id, "calibration");
    }
    free(images);
    if (!st && hv_weights_needs_bn_recalibration(m->weights))
        st = hv_error(HV_ERR_INTERNAL, "classifier '%s': backbone '%s' returned without recalibrating the weights", c->id,
                      m->bb_name);
    if (st) return st;
    hv_log_info("%s: BatchNorm recalibrated in %.1f s", c->id, now_s() - t0);
    const hv_config_node *save = hv_config_get(c->calibration, "save");
    if (save) {
        char *path = NULL;
        st = hv_config_resolve_path(save, &path);
        if (!st) st = hv_mkdirs_for(path);
        if (!st) st = hv_weights_save(m->weights, path);
        if (!st)
            hv_log_info("%s: recalibrated weights written to %s (load them with `loader: safetensors` to skip this step)",
                        c->id, path);
        else
            st = within(save, st, c->id, "calibration.save");
        free(path);
    }
    return st;
}
