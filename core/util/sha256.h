/* SHA-256 (FIPS 180-4) of a file, for run fingerprints (the weights a resumed run must share). */
#ifndef HEMOVK_UTIL_SHA256_H
#define HEMOVK_UTIL_SHA256_H

#include "hemovk/status.h"

#include <stddef.h>

/* Hash the regular file `path` (FIFOs and devices refused without blocking) into 64 hex digits + NUL. */
hv_status hv_sha256_file(const char *path, char hex[65]);

/* Hash `n` bytes into 64 hex digits + NUL. */
void hv_sha256_hex(const void *data, size_t n, char hex[65]);

#endif
