/* --resume: which frames an earlier run already wrote, read back from its JSONL results. */
#ifndef HEMOVK_PIPELINE_RESUME_H
#define HEMOVK_PIPELINE_RESUME_H

#include "hemovk/status.h"

#include <stddef.h>
#include <stdint.h>

/* A set of frame paths (open addressing, FNV-1a). */
typedef struct pl_path_set {
    char **slots;
    size_t cap, count;
} pl_path_set;

/* Add `path` (copied); adding one already there is a no-op. */
hv_status pl_path_set_add(pl_path_set *set, const char *path);

/* Non-zero when `path` is in the set. */
int pl_path_set_has(const pl_path_set *set, const char *path);

void pl_path_set_free(pl_path_set *set);

/* Read the JSONL results at `path` into `done` (the "key" of every complete, parseable line; "path"
 * for lines of an older hemovk that wrote no key).
 * A missing file is an empty set. A torn last line (no newline, or not valid JSON: what a kill in the
 * middle of a write leaves) is cut off the file so the writer appends after the last whole line, and
 * its frame is redone; *torn says so. A damaged line in the middle is warned about and ignored. */
hv_status pl_resume_scan(const char *path, pl_path_set *done, int *torn);

#endif
