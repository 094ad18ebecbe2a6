/* The output-folder lock: one run per output folder at a time. Two runs appending to one
 * results.jsonl interleave their lines (and both exit 0), so a run takes an exclusive flock on
 * OUT/.hemovk.lock for its whole life and writes who holds it (pid, host, start time) into the file;
 * a second run is refused with HV_ERR_BUSY saying who. flock is released by the kernel when the
 * process dies, so a killed run never leaves a stale lock (the file stays, unlocked). */
#ifndef HEMOVK_PIPELINE_OUT_LOCK_H
#define HEMOVK_PIPELINE_OUT_LOCK_H

#include "hemovk/status.h"

/* Take the lock of folder `dir` (which exists); *fd is the descriptor to pass to pl_lock_release. */
hv_status pl_lock_acquire(const char *dir, int *fd);

/* Release it (closing the descriptor). -1 is a no-op. */
void pl_lock_release(int fd);

#endif
