/* Which weight files this process has opened, in order: a pipeline run's fingerprint hashes the files
 * its stages loaded (pipeline/fingerprint.c), whichever loader (safetensors, swa, a third party's
 * through hv_weights_open) opened them. */
#ifndef HEMOVK_WEIGHTS_OPENED_H
#define HEMOVK_WEIGHTS_OPENED_H

#include <stddef.h>

/* Record `path` (resolved with realpath when possible). Thread-safe; out of memory drops the record. */
void hv_weights_note_opened(const char *path);

/* Number of files recorded so far, and record i (< count) as a malloc'ed copy (NULL on failure). */
size_t hv_weights_opened_count(void);
char *hv_weights_opened_path(size_t i);

#endif
