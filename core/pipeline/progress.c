/* Progress on stderr (see progress.h). Lines look like
 *     progress: 120/564 frames (21%), 9.8 frames/s, ETA 0:45, 1 failed
 * and the bar like
 *     [#########...............]  120/564  21%  9.8 frames/s  ETA 0:45 */
#include "pipeline/progress.h"

#include "pipeline/pipeline_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void pl_format_duration(double s, char *buf, size_t size) {
    if (!(s >= 0) || s > 360000.0) {
        snprintf(buf, size, "--:--");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%lu:%02lu", t / 60, t % 60);
}

void pl_progress_init(pl_progress *p, hv_progress_mode mode, FILE *out, uint64_t total, double interval_s) {
    memset(p, 0, sizeof *p);
    if (mode == HV_PROGRESS_AUTO) mode = isatty(fileno(out)) ? HV_PROGRESS_BAR : HV_PROGRESS_LINES;
    p->mode = mode;
    p->out = out;
    p->total = total;
    p->interval = interval_s > 0 ? interval_s : 5.0;
    p->start = p->last_print = pl_now();
}

static void rates(const pl_progress *p, uint64_t done, double now, double *fps, double *eta) {
    double el = now - p->start;
    *fps = el > 0 ? (double)done / el : 0;
    *eta = (*fps > 0 && p->total >= done) ? (double)(p->total - done) / *fps : -1;
}

static void print_line(pl_progress *p, uint64_t done, uint64_t failed, double now) {
    double fps, eta;
    char e[32];
    rates(p, done, now, &fps, &eta);
    pl_format_duration(eta, e, sizeof e);
    unsigned pct = p->total ? (unsigned)(100.0 * (double)done / (double)p->total) : 100;
    fprintf(p->out, "progress: %llu/%llu frames (%u%%), %.1f frames/s, ETA %s", (unsigned long long)done,
            (unsigned long long)p->total, pct, fps, e);
    if (failed) fprintf(p->out, ", %llu failed", (unsigned long long)failed);
    fputc('\n', p->out);
    fflush(p->out);
    p->last_print = now;
}

static void draw_bar(pl_progress *p, uint64_t done, uint64_t failed, double now) {
    enum { WIDTH = 30 };
    double fps, eta;
    char e[32], bar[WIDTH + 1];
    rates(p, done, now, &fps, &eta);
    pl_format_duration(eta, e, sizeof e);
    double frac = p->total ? (double)done / (double)p->total : 1.0;
    int fill = (int)floor(frac * WIDTH);
    for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    fprintf(p->out, "\r[%s] %llu/%llu %3u%%  %.1f frames/s  ETA %s", bar, (unsigned long long)done,
            (unsigned long long)p->total, (unsigned)(frac * 100), fps, e);
    if (failed) fprintf(p->out, "  %llu failed", (unsigned long long)failed);
    fputs("\033[K", p->out); /* clear what a longer earlier line left */
    fflush(p->out);
    p->bar_drawn = 1;
    p->last_print = now;
}

void pl_progress_update(pl_progress *p, uint64_t done, uint64_t failed) {
    double now = pl_now();
    if (p->mode == HV_PROGRESS_BAR) {
        if (now - p->last_print >= 0.1 || !p->bar_drawn) draw_bar(p, done, failed, now);
    } else if (p->mode == HV_PROGRESS_LINES) {
        uint64_t decile = p->total ? done * 10 / p->total : 10;
        if (decile > p->last_decile || now - p->last_print >= p->interval) {
            p->last_decile = decile;
            if (done < p->total) print_line(p, done, failed, now); /* the last one comes from finish */
        }
    }
}

void pl_progress_finish(pl_progress *p, uint64_t done, uint64_t failed) {
    double now = pl_now();
    if (p->mode == HV_PROGRESS_BAR) {
        draw_bar(p, done, failed, now);
        fputc('\n', p->out);
        fflush(p->out);
    } else if (p->mode == HV_PROGRESS_LINES) {
        print_line(p, done, failed, now);
    }
}
