/* The writer thread: the outputs (writers) of one batch run while the stages work on the next (issue 16,
 * overlap). A bounded queue of one batch waiting plus the one being written: when the writers are slower
 * than the stages, the stages wait instead of piling frames up in memory.
 *
 * Batches are written in the order they are put, one at a time, so every writer still sees the frames in
 * source order and never two batches at once. A writer's error stops the thread: the batches already
 * written stay written, later ones are freed unwritten (a --resume redoes them), and the error comes back
 * from the next pl_writer_put or from pl_writer_finish. */
#ifndef HEMOVK_PIPELINE_WRITER_THREAD_H
#define HEMOVK_PIPELINE_WRITER_THREAD_H

#include "pipeline/decoder.h"

#include <stdint.h>

/* Write batch b: owner[i] is the index of the stage whose classification frame i carries (the `when`
 * conditions need it). Runs on the writer thread (or the caller's, when not threaded). */
typedef hv_status (*pl_write_fn)(void *ctx, pl_batch *b, const size_t *owner);

typedef struct pl_writer pl_writer;

/* Start writing through fn(ctx, …); threaded = 0 writes inline in pl_writer_put (HEMOVK_WRITER_THREAD=0). */
hv_status pl_writer_start(pl_write_fn fn, void *ctx, int threaded, pl_writer **out);

/* Queue batch b (taken over: written then freed, or freed unwritten after an error) with a copy of its
 * owner[] array; blocks while a batch already waits. Returns the writers' error once they have failed. */
hv_status pl_writer_put(pl_writer *w, pl_batch *b, const size_t *owner);

/* Frames written so far, and how many of them failed (for the progress line; safe from any thread). */
void pl_writer_counts(pl_writer *w, uint64_t *written, uint64_t *failed);

/* Wait until every queued batch is written (or the writers failed), stop the thread, and return HV_OK or
 * the writers' error, its message set on this thread. */
hv_status pl_writer_finish(pl_writer *w);

/* Let the thread write what is queued and stop it (as pl_writer_finish, without setting an error), then
 * free. NULL is a no-op. */
void pl_writer_free(pl_writer *w);

#endif
