/* index.html of writer.report: the header and the event table are written here as HTML (so the summary
 * reads and prints without JavaScript), the timeline, the gallery and the flagged-frame index are drawn by
 * the page's script (report_assets.c) from one JSON block. Sizes for a 100,000-frame exam: probabilities
 * as integers in thousandths (~4 bytes a frame), times as t0 + i*dt when the clock is regular, boxes only
 * for flagged frames; about 0.5 MB of JSON, which a browser parses in a few milliseconds. */
#include "report_plugin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_time(FILE *f, double s) {
    if (isnan(s)) return;
    long t = lround(floor(s));
    double frac = s - (double)t;
    if (t >= 3600) fprintf(f, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else fprintf(f, "%ld:%02ld", t / 60, t % 60);
    if (frac > 0.05) fprintf(f, ".%d", (int)floor(frac * 10));
}

static int idx_digits(void) { return 6; }

/* The frame whose image stands for event e: its peak frame when it has an image, else the flagged frame
 * with an image nearest to the peak inside the event (NULL when none has one). */
static const rp_rec *event_face(const rp_exam *x, const ev_event *e) {
    const rp_rec *r = x->dense[e->peak];
    if (r && r->has_img) return r;
    for (size_t d = 1; d <= e->last - e->first; d++) {
        if (e->peak >= e->first + d && (r = x->dense[e->peak - d]) && r->has_img) return r;
        if (e->peak + d <= e->last && (r = x->dense[e->peak + d]) && r->has_img) return r;
    }
    return NULL;
}

static void event_rows(FILE *f, const rp_exam *x) {
    for (size_t k = 0; k < x->n_events; k++) {
        const ev_event *e = &x->events[k];
        const rp_rec *rf = x->dense[e->first], *rl = x->dense[e->last], *face = event_face(x, e);
        size_t flagged = 0;
        for (size_t j = e->first; j <= e->last; j++) flagged += x->dense[j] && x->dense[j]->flagged;
        fprintf(f, "<tr class=\"ev-row\" id=\"ev-%zu\" data-ev=\"%zu\" tabindex=\"-1\"><td class=\"n\">%zu</td><td class=\"face\">", k + 1, k,
                k + 1);
        if (face)
            fprintf(f, "<img loading=\"lazy\" decoding=\"async\" width=\"56\" height=\"56\" alt=\"\" src=\"frames/%0*llu.jpg\">", idx_digits(),
                    (unsigned long long)face->index);
        fputs("</td><td class=\"where\"><div>", f);
        fprintf(f, "<b>#%llu</b>", (unsigned long long)x->recs[e->first].index);
        if (e->last != e->first) fprintf(f, "–<b>#%llu</b>", (unsigned long long)x->recs[e->last].index);
        if (rf && !isnan(rf->time)) {
            fputs(" <span class=\"t\">", f);
            fmt_time(f, rf->time);
            if (rl && !isnan(rl->time) && e->last != e->first) {
                fputs("–", f);
                fmt_time(f, rl->time);
            }
            fputs("</span>", f);
        }
        fputs("</div><div class=\"key\">", f);
        rp_html(f, rf && rf->key ? rf->key : "");
        fprintf(f, "</div></td><td class=\"num\">%zu<span class=\"muted\">/%zu</span><div class=\"muted small\">%zu flagged</div></td>",
                e->active, e->last - e->first + 1, flagged);
        fprintf(f, "<td class=\"num\"><span class=\"pbar\"><span style=\"width:%.0f%%\"></span></span>%.2f<div class=\"muted small\">mean %.2f</div></td></tr>\n",
                e->peak_prob * 100, e->peak_prob, e->mean_prob);
    }
}

static void json_data(FILE *f, const rp_header *h, const rp_exam *x) {
    fprintf(f, "{\"base\":%llu,\"n\":%zu,\"t_high\":%.6g,\"t_low\":%.6g,\"page_size\":%u,\"exam\":", (unsigned long long)x->base, x->span,
            x->params->t_high, x->params->t_low, x->page_size);
    rp_json_str(f, h->exam);
    /* probabilities in thousandths */
    fputs(",\"q\":[", f);
    for (size_t j = 0; j < x->span; j++) fprintf(f, j ? ",%d" : "%d", (int)lround(fmin(fmax(x->p[j], 0), 1) * 1000));
    fputs("]", f);
    /* exam indices of the positions: base + position, or a list when the output saw sparse indices */
    int contiguous = 1;
    for (size_t i = 0; contiguous && i < x->n; i++) contiguous = x->recs[i].index == x->base + i;
    if (contiguous) {
        fputs(",\"idx\":null", f);
    } else {
        fputs(",\"idx\":[", f);
        for (size_t i = 0; i < x->n; i++) fprintf(f, i ? ",%llu" : "%llu", (unsigned long long)x->recs[i].index);
        fputs("]", f);
    }
    /* times: a regular clock as t0 + i*dt, else one per frame (null when unknown), else none */
    size_t timed = 0;
    for (size_t i = 0; i < x->n; i++) timed += !isnan(x->recs[i].time);
    if (!timed) {
        fputs(",\"time\":null", f);
    } else {
        double t0 = x->recs[0].time, dt = 0;
        int regular = timed == x->n && x->n == x->span && !isnan(t0);
        if (regular && x->n > 1) dt = (x->recs[x->n - 1].time - t0) / (double)(x->n - 1);
        for (size_t i = 0; regular && i < x->n; i++)
            regular = fabs(x->recs[i].time - (t0 + dt * (double)i)) < 1e-6 * (1 + fabs(x->recs[i].time));
        if (regular) {
            fprintf(f, ",\"time\":{\"t0\":%.9g,\"dt\":%.9g}", t0, dt);
        } else {
            fputs(",\"time\":[", f);
            for (size_t j = 0; j < x->span; j++) {
                const rp_rec *r = x->dense[j];
                if (j) fputc(',', f);
                if (r && !isnan(r->time)) fprintf(f, "%.3f", r->time);
                else fputs("null", f);
            }
            fputs("]", f);
        }
    }
    fputs(",\"events\":[", f);
    for (size_t k = 0; k < x->n_events; k++) {
        const ev_event *e = &x->events[k];
        fprintf(f, "%s[%zu,%zu,%zu,%.3f,%.3f,%zu]", k ? "," : "", e->first, e->last, e->peak, e->peak_prob, e->mean_prob, e->active);
    }
    /* events: [first, last, peak (positions), peak p, mean p, active]; flagged frames: [index, key, width,
     * height, images (1 frame, 2 mask, 4 cam), probability, [[x1,y1,x2,y2,score]...], position] */
    fputs("],\"flagged\":[", f);
    int first = 1;
    for (size_t i = 0; i < x->n; i++) {
        const rp_rec *r = &x->recs[i];
        if (!r->flagged) continue;
        fprintf(f, "%s\n[%llu,", first ? "" : ",", (unsigned long long)r->index);
        first = 0;
        rp_json_str(f, r->key ? r->key : "");
        fprintf(f, ",%d,%d,%d,%.3f,[", r->width, r->height, r->has_img | r->has_mask << 1 | r->has_cam << 2, r->prob);
        for (uint32_t b = 0; b < r->n_box; b++)
            fprintf(f, "%s[%.1f,%.1f,%.1f,%.1f,%.3f]", b ? "," : "", r->boxes[b].x1, r->boxes[b].y1, r->boxes[b].x2, r->boxes[b].y2,
                    r->boxes[b].score);
        fprintf(f, "],%zu]", i);
    }
    fputs("]}", f);
}

char *rp_render(const rp_header *h, const rp_exam *x) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    size_t n_flagged = 0, timed = 0;
    double t_first = NAN, t_last = NAN;
    for (size_t i = 0; i < x->n; i++) {
        n_flagged += x->recs[i].flagged;
        if (!isnan(x->recs[i].time)) {
            if (!timed++) t_first = x->recs[i].time;
            t_last = x->recs[i].time;
        }
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"hemovk writer.report\">\n<title>Bleeding review — ", f);
    rp_html(f, h->exam);
    fputs("</title>\n<style>\n", f);
    fputs(rp_css, f);
    fputs("</style></head>\n<body>\n<header class=\"top\">\n<div class=\"title\"><h1>Bleeding review <span class=\"exam\">", f);
    rp_html(f, h->exam);
    fprintf(f, "</span></h1>\n<div class=\"stats\"><span><b>%zu</b> frames</span>", x->n);
    if (timed > 1) {
        fputs("<span><b>", f);
        fmt_time(f, t_last - t_first);
        fputs("</b> recorded</span>", f);
    }
    fprintf(f, "<span class=\"hot\"><b>%zu</b> bleeding event%s</span><span><b>%zu</b> flagged frame%s (%.1f%%)</span></div></div>\n", x->n_events,
            x->n_events == 1 ? "" : "s", n_flagged, n_flagged == 1 ? "" : "s", x->n ? 100.0 * (double)n_flagged / (double)x->n : 0.0);
    fputs("<dl class=\"meta\"><div><dt>Exam folder</dt><dd class=\"path\">", f);
    rp_html(f, h->folder);
    fputs("</dd></div><div><dt>Pipeline</dt><dd>", f);
    rp_html(f, h->pipeline ? h->pipeline : "?");
    if (h->pipeline_file) {
        fputs(" <span class=\"path\">", f);
        rp_html(f, h->pipeline_file);
        fputs("</span>", f);
    }
    fputs("</dd></div><div><dt>Device</dt><dd>", f);
    rp_html(f, h->device);
    fputs("</dd></div><div><dt>Report</dt><dd>", f);
    rp_html(f, h->date);
    fputs(" · hemovk ", f);
    rp_html(f, h->version);
    fprintf(f, "</dd></div><div><dt>Events rule</dt><dd>start ≥ %.2f, continue ≥ %.2f, gaps ≤ %u merged, ≥ %u frames%s</dd></div></dl>\n",
            x->params->t_high, x->params->t_low, x->params->max_gap, x->params->min_length, x->params->smooth > 1 ? ", smoothed" : "");
    fputs("<details class=\"models\" open><summary>Models</summary><ul>", f);
    if (h->models_html && *h->models_html) fputs(h->models_html, f);
    else fputs("<li class=\"muted\">no model weights named in the pipeline</li>", f);
    fputs("</ul></details>\n"
          "<p class=\"disclaimer\">Decision support for review by a qualified reader — research software, not a medical device.</p>\n"
          "</header>\n", f);
    /* timeline */
    fputs("<section id=\"timeline\" class=\"panel\"><div class=\"panel-head\"><h2>Bleeding probability over the exam</h2>"
          "<span id=\"tl-range\" class=\"muted\"></span><span class=\"grow\"></span>"
          "<span class=\"legend\"><i class=\"lg-env\"></i>probability (min–max per pixel) <i class=\"lg-ev\"></i>event "
          "<i class=\"lg-fl\"></i>flagged frame <i class=\"lg-th\"></i>thresholds</span>"
          "<span class=\"tools noprint\"><button id=\"tl-in\" title=\"Zoom in (+)\">+</button><button id=\"tl-out\" title=\"Zoom out (−)\">−</button>"
          "<button id=\"tl-reset\" title=\"Whole exam (0)\">All</button></span></div>\n"
          "<div class=\"tl-wrap\"><canvas id=\"tl-canvas\" height=\"190\" aria-label=\"bleeding probability timeline\"></canvas>"
          "<div id=\"tl-tip\" class=\"tip\" hidden></div></div>"
          "<div class=\"hint noprint\">Scroll to zoom, drag to pan, click to open the nearest flagged frame, double-click for the whole exam.</div></section>\n",
          f);
    /* events and gallery */
    fprintf(f, "<div class=\"work\">\n<aside id=\"events\" class=\"panel\"><div class=\"panel-head\"><h2>Bleeding events <span class=\"count\">%zu</span></h2></div>\n",
            x->n_events);
    if (x->n_events) {
        fputs("<div class=\"ev-scroll\"><table class=\"ev\"><thead><tr><th>#</th><th></th><th>frames · time · first frame</th>"
              "<th class=\"num\">active/span</th><th class=\"num\">peak p</th></tr></thead><tbody>\n", f);
        event_rows(f, x);
        fputs("</tbody></table></div>\n", f);
    } else {
        fputs("<p class=\"empty\">No bleeding event: no run of frames reached the thresholds.</p>\n", f);
    }
    fputs("</aside>\n<section id=\"gallery\" class=\"panel\"><div class=\"panel-head\"><h2 id=\"g-title\">Flagged frames</h2>"
          "<span class=\"grow\"></span><span class=\"tools noprint\">"
          "<label title=\"Boxes, scores and mask outlines (o)\"><input type=\"checkbox\" id=\"t-ov\" checked> overlay</label>"
          "<label title=\"Class-activation map (c)\"><input type=\"checkbox\" id=\"t-cam\"> CAM</label>"
          "<button id=\"g-all\" title=\"All flagged frames (Esc)\">all</button>"
          "<button id=\"g-prev\" title=\"Previous page (PageUp)\">‹</button><span id=\"g-page\" class=\"muted\"></span>"
          "<button id=\"g-next\" title=\"Next page (PageDown)\">›</button></span></div>\n"
          "<div id=\"g-grid\" class=\"grid\"></div></section>\n</div>\n", f);
    fprintf(f, "<details id=\"flagged-index\" class=\"panel noprint\"><summary>All flagged frames (%zu) — index</summary><div id=\"chips\"></div></details>\n",
            n_flagged);
    fputs("<footer class=\"noprint\"><b>Keys</b>: <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↓</kbd>/<kbd>↑</kbd> next/previous event · "
          "<kbd>→</kbd>/<kbd>←</kbd> or <kbd>n</kbd>/<kbd>p</kbd> next/previous flagged frame · <kbd>PgDn</kbd>/<kbd>PgUp</kbd> gallery page · "
          "<kbd>+</kbd>/<kbd>−</kbd>/<kbd>0</kbd> zoom · <kbd>o</kbd> overlay · <kbd>c</kbd> CAM · <kbd>Esc</kbd> all frames · "
          "<kbd>Ctrl</kbd>+<kbd>P</kbd> printable summary</footer>\n", f);
    fputs("<script type=\"application/json\" id=\"hv-data\">", f);
    json_data(f, h, x);
    fputs("</script>\n<script>\n", f);
    fputs(rp_js, f);
    fputs("</script>\n</body></html>\n", f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
