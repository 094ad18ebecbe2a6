/* The decode thread: turns the frame list into batches of decoded frames ahead of the stages, through
 * a bounded queue, so decoding the next batch overlaps the stages' work on this one. */
#ifndef HEMOVK_PIPELINE_DECODER_H
#define HEMOVK_PIPELINE_DECODER_H

#include "hemovk/frame.h"
#include "hemovk/image.h"

#include <stddef.h>

/* A batch of frames: frames[i] are owned; ptrs[i] == &frames[i] (what process() takes). */
typedef struct pl_batch {
    hv_frame *frames;
    hv_frame **ptrs;
    size_t n;
    uint64_t total;   /* > 0: the source's estimate of the frames the run will do (a video's count) */
} pl_batch;

typedef struct pl_decoder pl_decoder;

/* Start decoding list entries todo[0..n_todo) in batches of `batch`, at most `ahead` batches queued.
 * Each frame carries its list key in metadata HV_FRAME_KEY_META. A batch may spend `budget` bytes
 * (0: HV_IMAGE_DEFAULT_DECODE_BUDGET) on decoding: the pixels it holds plus the frame being decoded,
 * estimated from the header before decoding. A frame that cannot be decoded (or does not fit the
 * budget) is still queued, marked failed (stage "decode") with the reason, and a warning naming the
 * file is logged. With `fps` > 0 each frame also carries its time, list index / fps seconds, in
 * metadata HV_FRAME_TIME_META (image folders have no clock of their own: source.fps gives one). */
hv_status pl_decoder_start(const hv_frame_list *list, const size_t *todo, size_t n_todo, int batch, int ahead,
                           uint64_t budget, double fps, pl_decoder **out);

struct pl_source;

/* Decode from a SOURCE component instead (source.h): its batches, in its order, `ahead` queued. The
 * source is used by the decode thread only until pl_decoder_free; the caller frees it after. */
hv_status pl_decoder_start_source(struct pl_source *src, int batch, int ahead, pl_decoder **out);

/* Next batch in list order (the caller frees it with pl_batch_free), or NULL when all were handed out
 * (or the decoder failed: pl_decoder_status tells). Blocks until one is ready. */
pl_batch *pl_decoder_next(pl_decoder *d);

/* HV_OK, or the error that stopped the decode thread (out of memory), its message set on this thread. */
hv_status pl_decoder_status(pl_decoder *d);

/* Stop the thread (if still running), free queued batches and the decoder. NULL is a no-op. */
void pl_decoder_free(pl_decoder *d);

void pl_batch_free(pl_batch *b);

#endif
