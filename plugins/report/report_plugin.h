/* The "report" plugin (hemovk-report.so): writer.report, one self-contained HTML review of an exam
 * (<path>/index.html with its frame images beside it in <path>/frames/), written at the end of the run. */
#ifndef HEMOVK_REPORT_PLUGIN_H
#define HEMOVK_REPORT_PLUGIN_H

#include "hemovk/plugin.h"
#include "../events/events_group.h"

#include <stdint.h>
#include <stdio.h>

extern const hv_stage_vtable rp_writer_vtable;
extern const char rp_writer_schema[];

/* One detection as the report keeps it (boxes in frame pixels). */
typedef struct rp_box {
    float x1, y1, x2, y2, score;
    int32_t label;
} rp_box;

/* What is kept of one frame: a few numbers for every frame, boxes only for flagged ones. */
typedef struct rp_rec {
    uint64_t index;
    uint64_t arrival;   /* order of arrival: a frame done again (--resume) replaces its earlier record */
    double time;        /* NAN: unknown */
    float prob;
    uint8_t flagged;    /* decided bleeding (or carries detections): shown in the gallery */
    uint8_t has_img, has_mask, has_cam;
    int32_t width, height;
    uint32_t n_box;
    rp_box *boxes;
    char *key;
    char *path;
} rp_rec;

/* The report's header: who made it, with what. Strings are owned by the writer. */
typedef struct rp_header {
    const char *exam;        /* exam name */
    const char *folder;      /* input folder */
    const char *pipeline;    /* pipeline name */
    const char *pipeline_file;
    const char *device;      /* Vulkan device, or "none (host-only stages)" */
    const char *version;     /* hemovk version */
    char date[64];           /* when the report was written, local time with offset */
    char *models_html;       /* <li> items, already escaped */
} rp_header;

/* The exam, in exam order, as report_html.c writes it. recs[0..n) are sorted by index without
 * duplicates; a position is a place in that order (events are grouped over the frames seen, as
 * writer.events does); dense[0..span) maps position to its record (span == n); p[] the probabilities. */
typedef struct rp_exam {
    const rp_rec *recs;
    size_t n;
    const rp_rec *const *dense;
    const float *p;
    size_t span;
    uint64_t base;
    const ev_event *events;
    size_t n_events;
    const ev_params *params;
    uint32_t page_size;
    double mm_per_pixel;     /* 0: none */
} rp_exam;

/* Text escaping (report_escape.c). Append to an open memstream. */
void rp_html(FILE *f, const char *s);               /* &, <, >, ", ' as entities */
void rp_json_str(FILE *f, const char *s);            /* a JSON string literal safe inside <script> */
void rp_url_path(FILE *f, const char *s);            /* percent-encoded path for a file:// href */

/* The page (report_html.c): index.html's text, malloc'ed, NULL when out of memory. */
char *rp_render(const rp_header *h, const rp_exam *x);

/* The page's CSS and JavaScript (report_assets.c). */
extern const char rp_css[];
extern const char rp_js[];

#endif
