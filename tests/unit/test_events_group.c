/* The bleeding-event grouping of writer.events (plugins/events/events_group.c) on synthetic probability
 * sequences whose events are known by hand: hysteresis, gap merging, minimum length, ties at the
 * thresholds and between peaks, smoothing, an empty exam, an all-bleeding exam, bad parameters. */
#include "hvtest.h"

/* The algorithm is plain C inside the plugin; compile it into this test to check it directly. */
#include "../../plugins/events/events_group.c"

#include <math.h>
#include <stdlib.h>

/* Grouping with explicit parameters; returns the events (caller frees). */
static ev_event *group(const float *p, size_t n, uint32_t smooth, double hi, double lo, uint32_t gap, uint32_t min_len,
                       size_t *count) {
    ev_params q = {.smooth = smooth, .t_high = hi, .t_low = lo, .max_gap = gap, .min_length = min_len};
    ev_event *e = NULL;
    ck_assert_int_eq(ev_group(p, n, &q, NULL, &e, count), 0);
    ck_assert(*count == 0 || e != NULL);
    return e;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(hysteresis_starts_high_and_continues_low) {
    /* a run starts only at >= 0.5, continues while >= 0.3; 0.4 before the start is not part of it */
    const float p[] = {0.1f, 0.4f, 0.6f, 0.35f, 0.31f, 0.2f, 0.45f, 0.45f, 0.1f, 0.9f, 0.8f};
    size_t n = 0;
    ev_event *e = group(p, N(p), 1, 0.5, 0.3, 0, 1, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(e[0].first, 2);
    ck_assert_uint_eq(e[0].last, 4);
    ck_assert_uint_eq(e[0].active, 3);
    ck_assert_uint_eq(e[0].peak, 2);
    ck_assert_double_eq_tol(e[0].peak_prob, 0.6, 1e-6);
    ck_assert_double_eq_tol(e[0].mean_prob, (0.6 + 0.35 + 0.31) / 3, 1e-6);
    /* 0.45 0.45 never reach t_high: no event; the last run reaches the end of the exam */
    ck_assert_uint_eq(e[1].first, 9);
    ck_assert_uint_eq(e[1].last, 10);
    ck_assert_uint_eq(e[1].peak, 9);
    free(e);
    /* without hysteresis (t_low = t_high) the first event is one frame */
    e = group(p, N(p), 1, 0.5, 0.5, 0, 1, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(e[0].first, 2);
    ck_assert_uint_eq(e[0].last, 2);
    free(e);
}
END_TEST

START_TEST(gaps_up_to_g_frames_merge) {
    /* runs [1,2], [4,4] (gap 1), [8,9] (gap 3 from 4) */
    const float p[] = {0, 0.9f, 0.8f, 0.1f, 0.7f, 0, 0, 0, 0.6f, 0.95f, 0};
    size_t n = 0;
    ev_event *e = group(p, N(p), 1, 0.5, 0.3, 0, 1, &n);
    ck_assert_uint_eq(n, 3); /* g = 0: nothing merges */
    free(e);
    e = group(p, N(p), 1, 0.5, 0.3, 1, 1, &n);
    ck_assert_uint_eq(n, 2); /* g = 1: the first two merge */
    ck_assert_uint_eq(e[0].first, 1);
    ck_assert_uint_eq(e[0].last, 4);
    ck_assert_uint_eq(e[0].active, 3); /* the gap frame is in the span, not active */
    ck_assert_double_eq_tol(e[0].mean_prob, (0.9 + 0.8 + 0.7) / 3, 1e-6);
    ck_assert_uint_eq(e[1].first, 8);
    free(e);
    e = group(p, N(p), 1, 0.5, 0.3, 2, 1, &n);
    ck_assert_uint_eq(n, 2); /* g = 2: the gap of 3 still separates */
    free(e);
    e = group(p, N(p), 1, 0.5, 0.3, 3, 1, &n);
    ck_assert_uint_eq(n, 1); /* g = 3: one event over everything */
    ck_assert_uint_eq(e[0].first, 1);
    ck_assert_uint_eq(e[0].last, 9);
    ck_assert_uint_eq(e[0].active, 5);
    ck_assert_uint_eq(e[0].peak, 9);
    free(e);
}
END_TEST

START_TEST(minimum_length_counts_active_frames_after_merging) {
    /* single frames: [1], [3] (gap 1), [7]; then a two-frame run [10,11] */
    const float p[] = {0, 0.9f, 0, 0.8f, 0, 0, 0, 0.7f, 0, 0, 0.6f, 0.6f};
    size_t n = 0;
    ev_event *e = group(p, N(p), 1, 0.5, 0.3, 0, 2, &n);
    ck_assert_uint_eq(n, 1); /* g = 0: only the two-frame run survives min_length 2 */
    ck_assert_uint_eq(e[0].first, 10);
    ck_assert_uint_eq(e[0].last, 11);
    free(e);
    e = group(p, N(p), 1, 0.5, 0.3, 1, 2, &n);
    ck_assert_uint_eq(n, 2); /* g = 1: [1] and [3] merge into 2 active frames and survive; [7] alone does not */
    ck_assert_uint_eq(e[0].first, 1);
    ck_assert_uint_eq(e[0].last, 3);
    ck_assert_uint_eq(e[0].active, 2);
    ck_assert_uint_eq(e[1].first, 10);
    free(e);
    e = group(p, N(p), 1, 0.5, 0.3, 1, 3, &n);
    ck_assert_uint_eq(n, 0); /* min 3: none */
    ck_assert_ptr_null(e);
    e = group(p, N(p), 1, 0.5, 0.3, 0, 1, &n);
    ck_assert_uint_eq(n, 4); /* min 1: every run */
    free(e);
}
END_TEST

START_TEST(ties_at_thresholds_and_between_peaks) {
    /* exactly t_high starts, exactly t_low continues; equal peaks: the earliest is the representative */
    const float p[] = {0.25f, 0.5f, 0.25f, 0.75f, 0.75f, 0.2f};
    size_t n = 0;
    ev_event *e = group(p, N(p), 1, 0.5, 0.25, 0, 1, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(e[0].first, 1); /* 0.25 before it is only >= t_low: not a start */
    ck_assert_uint_eq(e[0].last, 4);  /* 0.25 (== t_low) continues, 0.2 ends */
    ck_assert_uint_eq(e[0].peak, 3);  /* 0.75 at 3 and 4: the earliest */
    ck_assert_double_eq_tol(e[0].peak_prob, 0.75, 1e-7);
    free(e);
    /* just below t_high starts nothing */
    const float q[] = {0.4999f, 0.4999f, 0.4999f};
    e = group(q, N(q), 1, 0.5, 0.25, 0, 1, &n);
    ck_assert_uint_eq(n, 0);
    /* a gap of exactly g merges, g + 1 does not */
    const float r[] = {0.9f, 0, 0, 0.9f, 0, 0, 0, 0.9f};
    e = group(r, N(r), 1, 0.5, 0.3, 2, 1, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(e[0].last, 3);
    ck_assert_uint_eq(e[1].first, 7);
    free(e);
}
END_TEST

START_TEST(smoothing_window) {
    const float p[] = {0, 0, 0.9f, 0.9f, 0, 0, 0, 0, 0.9f, 0, 0, 0};
    float s[N(p)];
    ev_smooth(p, N(p), 3, s);
    ck_assert_double_eq_tol(s[0], 0.0, 1e-6); /* the start: mean of the 2 frames that exist */
    ck_assert_double_eq_tol(s[1], 0.3, 1e-6);
    ck_assert_double_eq_tol(s[2], 0.6, 1e-6);
    ck_assert_double_eq_tol(s[3], 0.6, 1e-6);
    ck_assert_double_eq_tol(s[5], 0.0, 1e-6);
    ck_assert_double_eq_tol(s[8], 0.3, 1e-6);
    ck_assert_double_eq_tol(s[11], 0.0, 1e-6);
    /* k = 3: the isolated 0.9 falls to 0.3 and starts nothing; the pair stays an event whose span the
     * smoothing widens by the frame after it (0.3 >= t_low; forward only, so not the frame before) */
    size_t n = 0;
    ev_event *e = group(p, N(p), 3, 0.5, 0.25, 0, 1, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(e[0].first, 2);
    ck_assert_uint_eq(e[0].last, 4);
    ck_assert_uint_eq(e[0].active, 3);
    ck_assert_uint_eq(e[0].peak, 2);                    /* 0.9 at 2 and 3: the earliest */
    ck_assert_double_eq_tol(e[0].peak_prob, 0.9, 1e-6); /* peak and mean are of the raw probabilities */
    ck_assert_double_eq_tol(e[0].mean_prob, 0.6, 1e-6);
    free(e);
    /* an even window looks one frame further ahead than back; k = 1 copies; NaN counts as 0 */
    const float q[] = {1, 0, NAN, 1};
    float t[4];
    ev_smooth(q, 4, 2, t);
    ck_assert_double_eq_tol(t[0], 0.5, 1e-6);
    ck_assert_double_eq_tol(t[1], 0.0, 1e-6);
    ck_assert_double_eq_tol(t[2], 0.5, 1e-6);
    ck_assert_double_eq_tol(t[3], 1.0, 1e-6);
    ev_smooth(q, 4, 1, t);
    ck_assert_double_eq_tol(t[2], 0.0, 1e-6);
    ck_assert_double_eq_tol(t[3], 1.0, 1e-6);
    /* the smoothed output of ev_group is the same */
    ev_params par = {.smooth = 3, .t_high = 0.5, .t_low = 0.25, .max_gap = 0, .min_length = 1};
    float out[N(p)];
    ck_assert_int_eq(ev_group(p, N(p), &par, out, &e, &n), 0);
    for (size_t i = 0; i < N(p); i++) ck_assert_float_eq(out[i], s[i]);
    free(e);
}
END_TEST

START_TEST(empty_exam) {
    size_t n = 7;
    ev_event *e = (ev_event *)1;
    ev_params q = {.smooth = 5, .t_high = 0.5, .t_low = 0.3, .max_gap = 2, .min_length = 2};
    ck_assert_int_eq(ev_group(NULL, 0, &q, NULL, &e, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(e);
    /* an exam without bleeding: frames, no events */
    float zeros[50] = {0};
    e = group(zeros, 50, 1, 0.5, 0.3, 2, 2, &n);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(all_bleeding_exam) {
    float p[1000];
    for (size_t i = 0; i < 1000; i++) p[i] = 0.6f + 0.3f * (float)(i % 7) / 6.0f;
    p[500] = 0.1f; /* one dark frame inside: within the gap, still one event */
    size_t n = 0;
    ev_event *e = group(p, 1000, 5, 0.5, 0.3, 2, 2, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(e[0].first, 0);
    ck_assert_uint_eq(e[0].last, 999);
    ck_assert_uint_eq(e[0].active, 1000); /* smoothed over 5, the dark frame stays above t_low */
    ck_assert_uint_eq(e[0].peak, 6);      /* 0.9 first at i % 7 == 6 */
    free(e);
    e = group(p, 1000, 1, 0.5, 0.3, 2, 2, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(e[0].active, 999); /* unsmoothed, the dark frame is a merged gap */
    free(e);
    /* a single frame exam */
    const float one[] = {0.9f};
    e = group(one, 1, 1, 0.5, 0.3, 2, 1, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(e[0].first, 0);
    ck_assert_uint_eq(e[0].last, 0);
    free(e);
    e = group(one, 1, 1, 0.5, 0.3, 2, 2, &n);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(bad_parameters_are_refused) {
    const float p[] = {0.9f};
    ev_event *e = NULL;
    size_t n = 0;
    ev_params q = {.smooth = 1, .t_high = 0.3, .t_low = 0.5, .max_gap = 0, .min_length = 1};
    ck_assert_ptr_nonnull(ev_params_problem(&q));
    ck_assert_int_eq(ev_group(p, 1, &q, NULL, &e, &n), -1);
    q = (ev_params){.smooth = 0, .t_high = 0.5, .t_low = 0.3, .max_gap = 0, .min_length = 1};
    ck_assert_int_eq(ev_group(p, 1, &q, NULL, &e, &n), -1);
    q = (ev_params){.smooth = 1, .t_high = 0.5, .t_low = 0.3, .max_gap = 0, .min_length = 0};
    ck_assert_int_eq(ev_group(p, 1, &q, NULL, &e, &n), -1);
    q.min_length = 1;
    ck_assert_ptr_null(ev_params_problem(&q));
    ck_assert_int_eq(ev_group(NULL, 1, &q, NULL, &e, &n), -1);
}
END_TEST

int main(void) {
    Suite *s = suite_create("events_group");
    TCase *tc = tcase_create("group");
    tcase_add_test(tc, hysteresis_starts_high_and_continues_low);
    tcase_add_test(tc, gaps_up_to_g_frames_merge);
    tcase_add_test(tc, minimum_length_counts_active_frames_after_merging);
    tcase_add_test(tc, ties_at_thresholds_and_between_peaks);
    tcase_add_test(tc, smoothing_window);
    tcase_add_test(tc, empty_exam);
    tcase_add_test(tc, all_bleeding_exam);
    tcase_add_test(tc, bad_parameters_are_refused);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
