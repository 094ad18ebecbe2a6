/* The two frame decoders behind hv_image_load_memory (image.c). Each takes a buffer whose header
 * hv_image_probe_memory has accepted, fills `out` (pixels from malloc) or returns HV_ERR_DECODE with a
 * message naming `name`, and never reads outside [data, data + size). */
#ifndef HEMOVK_IO_DECODERS_H
#define HEMOVK_IO_DECODERS_H

#include "hemovk/image.h"

#include <stddef.h>
#include <stdint.h>

hv_status hv_io_decode_png(const uint8_t *data, size_t size, const char *name, hv_image *out);

/* max_memory: libjpeg's working-memory cap in bytes (0: libjpeg's default). */
hv_status hv_io_decode_jpeg(const uint8_t *data, size_t size, const char *name, uint64_t max_memory, hv_image *out);

#endif
