/* The writer thread and its one-slot queue (see writer_thread.h). One producer (the scheduler), one
 * consumer: a mutex and two condition variables, as in decoder.c. */
#include "pipeline/writer_thread.h"

#include "hemovk/status.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pl_writer {
    pl_write_fn fn;
    void *ctx;
    int threaded, started, finished;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t changed;    /* a batch was put, taken or written, or the run ends */
    pl_batch *waiting;         /* the one queued batch, or NULL */
    size_t *waiting_owner;
    int closing;               /* no more batches will come */
    hv_status status;          /* the writers' first error */
    char message[3072];
    uint64_t written, failed;
};

/* Write one batch (on whichever thread), count it, free it. */
static hv_status write_one(pl_writer *w, pl_batch *b, size_t *owner) {
    hv_status st = w->fn(w->ctx, b, owner);
    uint64_t failed = 0;
    for (size_t i = 0; i < b->n; i++) failed += b->frames[i].error != NULL;
    pthread_mutex_lock(&w->mu);
    if (!st) w->written += b->n, w->failed += failed;
    if (st && !w->status) {
        w->status = st;
        snprintf(w->message, sizeof w->message, "%s", hv_last_error());
    }
    pthread_mutex_unlock(&w->mu);
    pl_batch_free(b);
    free(owner);
    return st;
}

static void *consumer(void *arg) {
    pl_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->waiting && !w->closing) pthread_cond_wait(&w->changed, &w->mu);
        if (!w->waiting) break; /* closing and nothing left */
        pl_batch *b = w->waiting;
        size_t *owner = w->waiting_owner;
        w->waiting = NULL, w->waiting_owner = NULL;
        int failed = w->status != HV_OK;
        pthread_cond_broadcast(&w->changed); /* the slot is free */
        pthread_mutex_unlock(&w->mu);
        if (failed) { /* after an error nothing more is written: a resumed run redoes these frames */
            pl_batch_free(b);
            free(owner);
        } else {
            write_one(w, b, owner);
        }
        pthread_mutex_lock(&w->mu);
        pthread_cond_broadcast(&w->changed); /* a put waiting for the slot sees a new error */
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

hv_status pl_writer_start(pl_write_fn fn, void *ctx, int threaded, pl_writer **out) {
    *out = NULL;
    pl_writer *w = calloc(1, sizeof *w);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory starting the writers");
    w->fn = fn, w->ctx = ctx, w->threaded = threaded;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->changed, NULL);
    if (threaded) {
        int rc = pthread_create(&w->thread, NULL, consumer, w);
        if (rc) {
            pl_writer_free(w);
            return hv_error(HV_ERR_INTERNAL, "cannot start the writer thread: %s", strerror(rc));
        }
        w->started = 1;
    }
    *out = w;
    return HV_OK;
}

/* The writers' error as this thread's error (call with w->mu held). */
static hv_status failure(pl_writer *w) {
    return w->status ? hv_error(w->status, "%s", w->message) : HV_OK;
}

hv_status pl_writer_put(pl_writer *w, pl_batch *b, const size_t *owner) {
    size_t *copy = malloc((b->n ? b->n : 1) * sizeof *copy);
    if (!copy) {
        pl_batch_free(b);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory handing a batch to the writers");
    }
    memcpy(copy, owner, b->n * sizeof *copy);
    if (!w->threaded) {
        pthread_mutex_lock(&w->mu);
        hv_status st = w->status;
        pthread_mutex_unlock(&w->mu);
        if (st) {
            pl_batch_free(b);
            free(copy);
            return st;
        }
        return write_one(w, b, copy);
    }
    pthread_mutex_lock(&w->mu);
    while (w->waiting && !w->status) pthread_cond_wait(&w->changed, &w->mu);
    hv_status st = failure(w);
    if (!st) {
        w->waiting = b, w->waiting_owner = copy;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->mu);
    if (st) pl_batch_free(b), free(copy);
    return st;
}

void pl_writer_counts(pl_writer *w, uint64_t *written, uint64_t *failed) {
    pthread_mutex_lock(&w->mu);
    *written = w->written, *failed = w->failed;
    pthread_mutex_unlock(&w->mu);
}

/* Let the thread write what is queued, then join it. */
static void stop_thread(pl_writer *w) {
    if (w->started && !w->finished) {
        pthread_mutex_lock(&w->mu);
        w->closing = 1;
        pthread_cond_broadcast(&w->changed);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    w->finished = 1;
}

hv_status pl_writer_finish(pl_writer *w) {
    stop_thread(w);
    pthread_mutex_lock(&w->mu);
    hv_status st = failure(w);
    pthread_mutex_unlock(&w->mu);
    return st;
}

void pl_writer_free(pl_writer *w) {
    if (!w) return;
    stop_thread(w);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->changed);
    free(w);
}
