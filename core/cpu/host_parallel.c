/* hv_host_parallel_for: threads started per call. A call is one op (milliseconds of work), so the tens
 * of microseconds a pthread_create costs do not show, and no pool outlives the plans that use it. */
#include "cpu/host_parallel.h"

#include <pthread.h>

#include "cpu/host.h"

#define MAX_CHUNKS 64

typedef struct chunk {
    hv_host_range_fn fn;
    void *ctx;
    int64_t begin, end;
    hv_status st;
} chunk;

static void *run_chunk(void *arg) {
    chunk *c = arg;
    c->st = c->fn(c->ctx, c->begin, c->end);
    return NULL;
}

hv_status hv_host_parallel_for(int64_t n, int64_t min_chunk, hv_host_range_fn fn, void *ctx) {
    if (n <= 0) return HV_OK;
    int64_t parts = hv_host_threads();
    if (min_chunk < 1) min_chunk = 1;
    if (parts > n / min_chunk) parts = n / min_chunk;
    if (parts > MAX_CHUNKS) parts = MAX_CHUNKS;
    if (parts <= 1) return fn(ctx, 0, n);
    chunk c[MAX_CHUNKS];
    pthread_t th[MAX_CHUNKS];
    int started[MAX_CHUNKS] = {0};
    for (int64_t i = 0; i < parts; i++)
        c[i] = (chunk){fn, ctx, n * i / parts, n * (i + 1) / parts, HV_OK};
    for (int64_t i = 1; i < parts; i++) started[i] = pthread_create(&th[i], NULL, run_chunk, &c[i]) == 0;
    run_chunk(&c[0]);
    for (int64_t i = 1; i < parts; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else run_chunk(&c[i]); /* no thread to spare: this one does it */
    }
    for (int64_t i = 0; i < parts; i++)
        if (c[i].st) return c[i].st;
    return HV_OK;
}
