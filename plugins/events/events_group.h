/* Grouping per-frame bleeding probabilities into bleeding events — the algorithm of writer.events, kept
 * pure (no frames, no files, no hemovk calls) so the unit tests drive it with synthetic sequences
 * (tests/unit/test_events_group.c).
 *
 * Input: p[0..n), the bleeding probability of consecutive exam frames (position = frame order).
 *   1. Smoothing: s[i] = mean of p over a window of `smooth` frames centred on i (with an even window, one
 *      frame more after i than before), cut at the exam's ends (the mean of the frames that exist).
 *      smooth = 1 leaves p as it is. Non-finite probabilities count as 0.
 *   2. Hysteresis: a run starts at a frame with s >= t_high and goes on while the next frame has
 *      s >= t_low (forward only: frames before the start that are only >= t_low are not part of it).
 *   3. Gaps: two runs with at most `max_gap` frames between them become one event (those frames join the
 *      event's span but are not "active").
 *   4. Minimum length: events with fewer than `min_length` active frames (frames in its runs) are dropped.
 * Comparisons are inclusive (a frame exactly at t_high starts a run; exactly at t_low continues it). */
#ifndef HEMOVK_EVENTS_GROUP_H
#define HEMOVK_EVENTS_GROUP_H

#include <stddef.h>
#include <stdint.h>

typedef struct ev_params {
    uint32_t smooth;      /* window k in frames, >= 1 (1: no smoothing) */
    double t_high;        /* a run starts at s >= t_high */
    double t_low;         /* ... and continues while s >= t_low; t_low <= t_high */
    uint32_t max_gap;     /* runs at most this many frames apart are merged (0: only touching runs) */
    uint32_t min_length;  /* events need at least this many active frames, >= 1 */
} ev_params;

typedef struct ev_event {
    size_t first, last;   /* positions of the event's first and last frame, inclusive */
    size_t active;        /* frames of its runs (span minus the merged gap frames) */
    size_t peak;          /* position of the highest raw probability within [first, last] (earliest on ties) */
    double peak_prob;     /* p[peak] */
    double mean_prob;     /* mean raw probability over the active frames */
} ev_event;

/* NULL when the parameters are usable, else a sentence saying what is wrong. */
const char *ev_params_problem(const ev_params *params);

/* out[i] = the smoothed probability of step 1 (out may not alias p). */
void ev_smooth(const float *p, size_t n, uint32_t smooth, float *out);

/* Steps 1-4 over p[0..n). *events gets a malloc'ed array of *n_events events in exam order (NULL when
 * there are none); `smoothed` (n floats, may be NULL) receives s. Returns 0, -1 for bad parameters
 * (ev_params_problem says why) or a NULL p with n > 0, -2 when out of memory. */
int ev_group(const float *p, size_t n, const ev_params *params, float *smoothed, ev_event **events, size_t *n_events);

#endif
