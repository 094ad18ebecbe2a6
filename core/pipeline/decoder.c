/* The decode thread and its bounded queue (see decoder.h). One producer, one consumer: a mutex and
 * two condition variables are all it needs. */
#include "pipeline/decoder.h"
#include "pipeline/source.h"

#include "hemovk/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pl_decoder {
    const hv_frame_list *list;
    const size_t *todo;
    size_t n_todo;
    size_t batch;
    uint64_t budget;  /* decode memory of one batch, bytes */
    double fps;       /* > 0: frame time = index / fps (HV_FRAME_TIME_META) */
    pl_source *src;   /* non-NULL: batches come from this source component, not the list */
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_get;
    pl_batch **ring;
    size_t cap, head, count;
    int finished;     /* producer is done (all queued, or failed) */
    int stop;         /* consumer asked the producer to stop */
    hv_status status; /* producer failure */
    char message[1024];
};

void pl_batch_free(pl_batch *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) hv_frame_clear(&b->frames[i]);
    free(b->frames);
    free(b->ptrs);
    free(b);
}

/* Decode one frame within what is left of the batch's budget (*left: the budget less the pixels the
 * batch already holds). The header is probed first, so a frame that would not fit fails with a
 * message before its decoder allocates anything. */
static void decode_one(hv_frame *f, uint64_t *left) {
    hv_image img;
    memset(&img, 0, sizeof img);
    void *buf = NULL;
    size_t n = 0;
    hv_status st = hv_image_read_file(f->path, &buf, &n);
    if (!st) st = hv_image_decode_memory(buf, n, f->path, *left ? *left : 1, &img);
    free(buf);
    if (st) {
        const char *why = hv_last_error();
        hv_log_warn("frame %llu cannot be decoded, skipping it: %s", (unsigned long long)f->id, why);
        hv_frame_fail(f, "decode", "%s", why);
        return;
    }
    uint64_t held = (uint64_t)img.width * (uint64_t)img.height * 3;
    *left = held < *left ? *left - held : 0;
    hv_frame_set_pixels(f, img.width, img.height, img.rgb); /* the frame owns the pixels now */
}

static pl_batch *make_batch(pl_decoder *d, size_t first, size_t n, hv_status *st) {
    pl_batch *b = calloc(1, sizeof *b);
    if (b) {
        b->frames = calloc(n, sizeof *b->frames);
        b->ptrs = calloc(n, sizeof *b->ptrs);
    }
    if (!b || !b->frames || !b->ptrs) {
        if (b) {
            free(b->frames);
            free(b->ptrs);
            free(b);
        }
        *st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for a batch of %zu frames", n);
        return NULL;
    }
    uint64_t left = d->budget;
    for (size_t i = 0; i < n; i++) {
        size_t idx = d->todo[first + i];
        if ((*st = hv_frame_init(&b->frames[i], idx, hv_frame_list_path(d->list, idx))) ||
            (*st = hv_frame_set_meta(&b->frames[i], HV_FRAME_KEY_META, "%s", hv_frame_list_key(d->list, idx))) ||
            (d->fps > 0 && (*st = hv_frame_set_meta(&b->frames[i], HV_FRAME_TIME_META, "%.3f", (double)idx / d->fps)))) {
            b->n = i + 1;
            pl_batch_free(b);
            return NULL;
        }
        b->n = i + 1;
        b->ptrs[i] = &b->frames[i];
        decode_one(&b->frames[i], &left);
    }
    return b;
}

static void *producer(void *arg) {
    pl_decoder *d = arg;
    hv_status st = HV_OK;
    for (size_t first = 0; d->src || first < d->n_todo; first += d->batch) {
        pthread_mutex_lock(&d->mu);
        int stop = d->stop;
        pthread_mutex_unlock(&d->mu);
        if (stop) break;
        pl_batch *b = NULL;
        if (d->src) {
            if ((st = pl_source_next(d->src, d->batch, &b)) || !b) break;
        } else {
            size_t n = d->n_todo - first < d->batch ? d->n_todo - first : d->batch;
            if (!(b = make_batch(d, first, n, &st))) break;
        }
        pthread_mutex_lock(&d->mu);
        while (d->count == d->cap && !d->stop) pthread_cond_wait(&d->can_put, &d->mu);
        if (d->stop) {
            pthread_mutex_unlock(&d->mu);
            pl_batch_free(b);
            break;
        }
        d->ring[(d->head + d->count) % d->cap] = b;
        d->count++;
        pthread_cond_signal(&d->can_get);
        pthread_mutex_unlock(&d->mu);
    }
    pthread_mutex_lock(&d->mu);
    d->finished = 1;
    d->status = st;
    if (st) snprintf(d->message, sizeof d->message, "%s", hv_last_error());
    pthread_cond_broadcast(&d->can_get);
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static hv_status start(const hv_frame_list *list, const size_t *todo, size_t n_todo, int batch, int ahead,
                       uint64_t budget, double fps, pl_source *src, pl_decoder **out) {
    *out = NULL;
    pl_decoder *d = calloc(1, sizeof *d);
    if (!d) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory starting the decoder");
    d->list = list;
    d->todo = todo;
    d->n_todo = n_todo;
    d->batch = batch > 0 ? (size_t)batch : 1;
    d->cap = ahead > 0 ? (size_t)ahead : 2;
    d->budget = budget ? budget : HV_IMAGE_DEFAULT_DECODE_BUDGET;
    d->fps = fps;
    d->src = src;
    d->ring = calloc(d->cap, sizeof *d->ring);
    if (!d->ring) {
        free(d);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory starting the decoder");
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->can_put, NULL);
    pthread_cond_init(&d->can_get, NULL);
    int rc = pthread_create(&d->thread, NULL, producer, d);
    if (rc) {
        pl_decoder_free(d);
        return hv_error(HV_ERR_INTERNAL, "cannot start the decode thread: %s", strerror(rc));
    }
    d->started = 1;
    *out = d;
    return HV_OK;
}

hv_status pl_decoder_start(const hv_frame_list *list, const size_t *todo, size_t n_todo, int batch, int ahead,
                           uint64_t budget, double fps, pl_decoder **out) {
    return start(list, todo, n_todo, batch, ahead, budget, fps, NULL, out);
}

hv_status pl_decoder_start_source(pl_source *src, int batch, int ahead, pl_decoder **out) {
    return start(NULL, NULL, 0, batch, ahead, 0, 0, src, out);
}

pl_batch *pl_decoder_next(pl_decoder *d) {
    pthread_mutex_lock(&d->mu);
    while (d->count == 0 && !d->finished) pthread_cond_wait(&d->can_get, &d->mu);
    pl_batch *b = NULL;
    if (d->count) {
        b = d->ring[d->head];
        d->head = (d->head + 1) % d->cap;
        d->count--;
        pthread_cond_signal(&d->can_put);
    }
    pthread_mutex_unlock(&d->mu);
    return b;
}

hv_status pl_decoder_status(pl_decoder *d) {
    pthread_mutex_lock(&d->mu);
    hv_status st = d->status;
    pthread_mutex_unlock(&d->mu);
    return st ? hv_error(st, "decode thread: %s", d->message) : HV_OK;
}

void pl_decoder_free(pl_decoder *d) {
    if (!d) return;
    if (d->started) {
        pthread_mutex_lock(&d->mu);
        d->stop = 1;
        pthread_cond_broadcast(&d->can_put);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->thread, NULL);
    }
    while (d->count) {
        pl_batch_free(d->ring[d->head]);
        d->head = (d->head + 1) % d->cap;
        d->count--;
    }
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->can_put);
    pthread_cond_destroy(&d->can_get);
    free(d->ring);
    free(d);
}
