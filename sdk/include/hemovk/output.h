/* hemovk/output.h — writing output files so that a full disk is an error, never a silently short file.
 *
 * Every helper checks every write, flush and close, and reports a failure as HV_ERR_OUTPUT with the
 * file, the reason (strerror) and a hint ("disk full?") — the status the CLI turns into exit code 6.
 * Whole files are written to "<path>.tmp<pid>" and renamed into place only once complete, so a file
 * under its final name is always whole: a kill or a full disk leaves at most a temporary file, which
 * the helpers remove on failure. Writers (plugins) use these instead of fopen/fwrite/fclose. */
#ifndef HEMOVK_OUTPUT_H
#define HEMOVK_OUTPUT_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdio.h>

#include "hemovk/frame.h"
#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Write `size` bytes to `path` atomically (temporary file, checked writes, optional fsync, checked
 *  close, rename). The folder must exist. HV_ERR_OUTPUT on any failure, the temporary file removed. */
HV_API hv_status hv_output_write_file(const char *path, const void *data, size_t size, int sync);

/** For files written as a log (JSONL, CSV, a partial COCO file): flush `f`, check its error flag (a
 *  write that failed since the last check) and optionally fsync. HV_ERR_OUTPUT naming `path`. */
HV_API hv_status hv_output_flush(FILE *f, const char *path, int sync);

/** fclose `f` (NULL is fine) and report a failed close (the last buffered bytes could not be written)
 *  as HV_ERR_OUTPUT naming `path`. */
HV_API hv_status hv_output_close(FILE *f, const char *path);

/** An HV_ERR_OUTPUT error for a failed write of `path` with errno `err`: the message says what the
 *  error means for the user (disk full, quota, file too large, read-only, I/O error). */
HV_API hv_status hv_output_error(const char *path, int err);

/** The key that names frame `f` in outputs: its HV_FRAME_KEY_META metadata (the path relative to the
 *  input root, set by the scheduler), or, for a frame made outside a run, its path's base name. */
HV_API const char *hv_output_frame_key(const hv_frame *f);

/** The file a per-frame writer (overlays, CAM maps) writes for `f` inside folder `dir`: the frame's key
 *  with its folders kept — "bleeding/Images/img- (1).png" becomes DIR/bleeding/Images/img- (1).png — and
 *  ".png" appended unless the key already ends in ".png" ("a.jpg" → "a.jpg.png"), so two frames of one
 *  input never share a file. A ".." segment of a key outside the input root becomes "%2e%2e", so nothing
 *  lands outside `dir`. `prefix_id` puts the zero-padded frame id and '_' before the file's name. Creates
 *  the subfolders. *out is malloc'ed (free()). */
HV_API hv_status hv_output_frame_file(const char *dir, const hv_frame *f, int prefix_id, char **out);

#ifdef __cplusplus
}
#endif
#endif
