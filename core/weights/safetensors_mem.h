/* The safetensors reader on a buffer in memory: the same checks hv_weights_open applies to a mapped
 * file (header length, UTF-8, JSON, dtypes, shapes, offsets, overlaps), without a file. For the fuzz
 * target (tests/fuzz/fuzz_safetensors.c); not part of the SDK. */
#ifndef HEMOVK_WEIGHTS_SAFETENSORS_MEM_H
#define HEMOVK_WEIGHTS_SAFETENSORS_MEM_H

#include "hemovk/weights.h"

#include <stddef.h>

/* Parse `size` bytes at `data` as a safetensors file named `name` in messages. The set's tensors point
 * into `data`, which must outlive it (hv_weights_free does not free it); tensors whose offset is not
 * aligned to their element size are copied, as from a file. Not recorded as an opened weight file. */
hv_status hv_safetensors_parse_memory(const char *name, const void *data, size_t size, hv_weights **out);

#endif
