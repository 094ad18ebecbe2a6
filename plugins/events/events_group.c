/* The event grouping of events_group.h: prefix sums for the smoothing window, one pass for the
 * hysteresis runs, one for gap merging and the minimum length. O(n) time, O(n) memory for s. */
#include "events_group.h"

#include <math.h>
#include <stdlib.h>

const char *ev_params_problem(const ev_params *q) {
    if (!q) return "no parameters";
    if (q->smooth < 1) return "smooth must be at least 1 frame";
    if (q->min_length < 1) return "min_length must be at least 1 frame";
    if (!(q->t_low >= 0.0 && q->t_high <= 1.0 && q->t_low <= q->t_high))
        return "thresholds must satisfy 0 <= t_low <= t_high <= 1";
    return NULL;
}

static double value(float v) {
    return isfinite(v) ? (double)v : 0.0;
}

void ev_smooth(const float *p, size_t n, uint32_t k, float *out) {
    if (!n) return;
    if (k <= 1) {
        for (size_t i = 0; i < n; i++) out[i] = (float)value(p[i]);
        return;
    }
    size_t before = (k - 1) / 2, after = k / 2;
    /* running window sum in double: exact enough for any exam length, no prefix array */
    double sum = 0;
    size_t lo = 0, hi = 0; /* window [lo, hi) */
    for (size_t i = 0; i < n; i++) {
        size_t want_lo = i > before ? i - before : 0;
        size_t want_hi = i + after + 1 < n ? i + after + 1 : n;
        while (hi < want_hi) sum += value(p[hi++]);
        while (lo < want_lo) sum -= value(p[lo++]);
        double m = sum / (double)(hi - lo);
        out[i] = (float)(m < 0 ? 0 : m); /* a cancelled sum's tiny negative rounding is 0 */
    }
}

int ev_group(const float *p, size_t n, const ev_params *q, float *smoothed, ev_event **events, size_t *n_events) {
    if (!events || !n_events) return -1;
    *events = NULL;
    *n_events = 0;
    if (ev_params_problem(q) || (n && !p)) return -1;
    if (!n) return 0;
    float *s = smoothed ? smoothed : malloc(n * sizeof *s);
    if (!s) return -2;
    ev_smooth(p, n, q->smooth, s);
    ev_event *out = NULL;
    size_t count = 0, cap = 0;
    int have = 0;        /* an event is being built in cur */
    ev_event cur = {0};
    double cur_sum = 0;  /* raw probability summed over cur's active frames */
    int rc = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t start = i, end = 0;
        int run = 0;
        if (i < n && (double)s[i] >= q->t_high) {
            end = i;
            while (end + 1 < n && (double)s[end + 1] >= q->t_low) end++;
            run = 1;
        }
        if (i < n && !run) continue;
        /* a run [start, end], or the end of the exam: merge into cur or close cur first */
        if (have && run && start - cur.last - 1 <= q->max_gap) {
            cur.last = end;
        } else {
            if (have && cur.active >= q->min_length) {
                cur.mean_prob = cur_sum / (double)cur.active;
                if (count == cap) {
                    size_t nc = cap ? cap * 2 : 16;
                    ev_event *g = realloc(out, nc * sizeof *g);
                    if (!g) {
                        rc = -2;
                        break;
                    }
                    out = g;
                    cap = nc;
                }
                out[count++] = cur;
            }
            have = run;
            if (!run) break;
            cur = (ev_event){.first = start, .last = end};
            cur_sum = 0;
        }
        for (size_t j = start; j <= end; j++) cur_sum += value(p[j]);
        cur.active += end - start + 1;
        i = end; /* the loop's i++ moves past the run */
    }
    if (!rc)
        for (size_t e = 0; e < count; e++) {
            ev_event *ev = &out[e];
            ev->peak = ev->first;
            ev->peak_prob = value(p[ev->first]);
            for (size_t j = ev->first + 1; j <= ev->last; j++)
                if (value(p[j]) > ev->peak_prob) {
                    ev->peak = j;
                    ev->peak_prob = value(p[j]);
                }
        }
    if (s != smoothed) free(s);
    if (rc) {
        free(out);
        return rc;
    }
    *events = out;
    *n_events = count;
    return 0;
}
