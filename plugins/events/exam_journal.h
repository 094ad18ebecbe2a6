/* What writer.events and writer.report share about keeping an exam's frames: the per-frame journal
 * (one JSON line per frame, appended and flushed after each batch, read back on --resume with a torn
 * last line cut off), the growing record array, the order records end in (exam order, a frame done
 * again keeping its last record), the bleeding probability read from a frame, and the input root.
 * Compiled into both plugins (report_journal.c includes the .c), since a plugin may call only the SDK
 * across shared objects; one source, so the two writers cannot drift apart on any of these rules. */
#ifndef HEMOVK_EXAM_JOURNAL_H
#define HEMOVK_EXAM_JOURNAL_H

#include "hemovk/frame.h"
#include "hemovk/status.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The journal of writer `who` (e.g. "writer.events 'events'", for messages). */
typedef struct xj_journal {
    const char *who;
    char *path; /* owned: set before xj_open, freed by xj_close */
    FILE *file;
    int sync;   /* fsync after each batch (xj_flush) */
} xj_journal;

/* Called for each complete line of the journal on --resume with the line parsed (not NULL); returns
 * HV_OK for a line it took or ignored (not one of its records), an error to stop reading. */
typedef hv_status (*xj_line_fn)(void *ctx, const cJSON *line);

/* Open the journal for writing: truncated, or with `resume` its complete lines are given to `on_line`
 * in order, a torn last line (a kill mid-write: that frame is done again) is cut off, and writing
 * appends. *n_read (may be NULL) counts the lines read back. Errors name the file. */
hv_status xj_open(xj_journal *j, int resume, xj_line_fn on_line, void *ctx, size_t *n_read);

/* Append `o` as one line (consumed: deleted whatever happens). A failed write names the file. */
hv_status xj_write(xj_journal *j, cJSON *o);

/* Flush (and fsync with j->sync) what the batch appended; every write error surfaces here at the latest. */
hv_status xj_flush(xj_journal *j);

/* Close the file (already flushed and checked after each batch) and free the path. */
void xj_close(xj_journal *j);

/* The number at `key` of `o`, or `def`. */
double xj_num(const cJSON *o, const char *key, double def);

/* A copy of the string at `key` of `o` into *out (NULL when absent); 0 when out of memory. */
int xj_str(const cJSON *o, const char *key, char **out);

/* strdup that keeps NULL: 0 when out of memory (s given, no copy). */
int xj_dup(const char *s, char **out);

/* Room for one more record in an array of `size`-byte records holding *n of *cap: grows it (doubling,
 * from 1024) when full. HV_ERR_OUT_OF_MEMORY naming `who` when it cannot. */
hv_status xj_reserve(void **items, size_t *cap, size_t n, size_t size, const char *who);

/* Sort records into exam order (cmp: by index, then arrival) and keep one per index, the last to arrive
 * (a frame done again after a kill replaces its earlier record): `same` says two records share an index,
 * `free_rec` frees a dropped one. Returns the new count. */
size_t xj_exam_order(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *),
                     int (*same)(const void *, const void *), void (*free_rec)(void *));

/* The probability of bleeding the classifier gave frame `f`: the probability of the class its rule calls
 * positive (hv_frame_class_rule), else of the label named `positive` (case, '-' and '_' ignored), else in a
 * two-class result the other class's. *decided (may be NULL): the classifier called the frame positive. */
double xj_class_probability(const hv_frame *f, const char *positive, int *decided);

/* The input root of a frame: its path with its key taken off the end ("exam/a.png" - "a.png" = "exam"),
 * else its folder; "" without a path. NULL when out of memory. */
char *xj_input_root(const char *path, const char *key);

#endif
