/* Progress on stderr: a bar redrawn in place on a terminal, plain periodic lines otherwise. */
#ifndef HEMOVK_PIPELINE_PROGRESS_H
#define HEMOVK_PIPELINE_PROGRESS_H

#include "hemovk/pipeline.h"

#include <stdint.h>
#include <stdio.h>

typedef struct pl_progress {
    hv_progress_mode mode;   /* resolved: BAR, LINES or NONE */
    FILE *out;
    uint64_t total;
    double start, last_print, interval;
    uint64_t last_decile;    /* tenths of `total` already reported by a line */
    int bar_drawn;
} pl_progress;

/* Resolve AUTO against isatty(fileno(out)) and remember the start time. */
void pl_progress_init(pl_progress *p, hv_progress_mode mode, FILE *out, uint64_t total, double interval_s);

/* Report `done` frames (of total), `failed` of them failed. Lines: at each 10% step or after
 * `interval` seconds; the bar: at most 10 times a second. */
void pl_progress_update(pl_progress *p, uint64_t done, uint64_t failed);

/* Final state (always printed in LINES mode, the bar is finished with a newline). */
void pl_progress_finish(pl_progress *p, uint64_t done, uint64_t failed);

/* "1:02:03" / "2:03" for a duration in seconds; "--:--" for an unknown one. */
void pl_format_duration(double s, char *buf, size_t size);

#endif
