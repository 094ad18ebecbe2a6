/* hemovk eval — measured accuracy of a run against ground truth: the paper's Table 1 (classification)
 * and Table 2 (COCO detection and segmentation, plus its "AP" variant), sensitivity/specificity, AUCs,
 * a threshold sweep and a frame-level localisation rate.
 *
 *   hemovk eval --ground-truth GT --results RUN [--split val] [--output DIR] [--model NAME]
 *               [--labels a,b] [--root DIR] [--split-file F] [--verify] [--iou-thr X] [--score-thr X]
 *
 * GT: a COCO ground-truth JSON (hemovk gt writes one) or the WCEBleedGen folder. RUN: an output folder of
 * `hemovk run` (its results.jsonl), a results.jsonl, or a COCO results JSON. Results are read against the
 * whole ground truth first, so a run over every frame can be scored on one split: its other frames are
 * set aside (and counted), while a frame that is in no ground truth at all is an error.
 * Writes DIR/metrics.json, DIR/metrics.md and DIR/frames.jsonl (DIR default: RUN/eval for a folder,
 * else eval/ beside the results file) and prints the Markdown on stdout.
 * Exit: 0 done; 2 usage; 3 bad input (GT and results disagree on frames, malformed JSON, wrong-size
 * mask, unknown category, ...), with a message naming the thing. */
#include "commands.h"

#include "hemovk/eval.h"
#include "hemovk/eval_metrics.h"
#include "hemovk/eval_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: hemovk eval --ground-truth GT --results RUN [--split NAME] [--output DIR] [options]\n"
            "  GT   COCO ground-truth JSON (see hemovk gt) or the WCEBleedGen folder as released\n"
            "  RUN  output folder of `hemovk run` (results.jsonl inside), a results.jsonl, or COCO results JSON\n"
            "  --split NAME       score only this split (val, train) of the split file\n"
            "  --split-file FILE  split file (default: hemovk's splits/wcebleedgen.tsv)\n"
            "  --verify           check the split's frames' sha256 (GT must be the WCEBleedGen folder)\n"
            "  --output DIR       where metrics.json, metrics.md, frames.jsonl go (default RUN/eval)\n"
            "  --model NAME       score the detections of this model tag (default: 'ensemble' when present,\n"
            "                     else the only model in the results)\n"
            "  --labels A,B       the classifier's labels in its probs order (default: read off the results)\n"
            "  --root DIR         strip this prefix from the results' frame paths (default: match frames to\n"
            "                     ground-truth file names by their longest common path suffix)\n"
            "  --iou-thr X        IoU for the localisation rate and per-frame hits (default 0.5)\n"
            "  --score-thr X      detection score from which hits and false alarms count (default 0)\n"
            "exit: 0 done; 2 usage; 3 invalid input (message names the frames, file:line or category)\n");
}

typedef struct args {
    const char *gt, *results, *split, *split_file, *output, *model, *labels, *root;
    int verify;
    double iou_thr, score_thr;
} args;

static int parse_args(int argc, char **argv, args *a) {
    *a = (args){.iou_thr = 0.5, .score_thr = 0};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int has = i + 1 < argc;
        const char **slot = NULL;
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            usage(stdout);
            return -1;
        }
        if (!strcmp(s, "--ground-truth")) slot = &a->gt;
        else if (!strcmp(s, "--results")) slot = &a->results;
        else if (!strcmp(s, "--split")) slot = &a->split;
        else if (!strcmp(s, "--split-file")) slot = &a->split_file;
        else if (!strcmp(s, "--output")) slot = &a->output;
        else if (!strcmp(s, "--model")) slot = &a->model;
        else if (!strcmp(s, "--labels")) slot = &a->labels;
        else if (!strcmp(s, "--root")) slot = &a->root;
        if (slot && has) {
            *slot = argv[++i];
            continue;
        }
        if (!strcmp(s, "--verify")) {
            a->verify = 1;
            continue;
        }
        if ((!strcmp(s, "--iou-thr") || !strcmp(s, "--score-thr")) && has) {
            char *end = NULL;
            double v = strtod(argv[++i], &end);
            if (*end || !isfinite(v) || (s[2] == 'i' && (v < 0 || v > 1))) {
                fprintf(stderr, "hemovk eval: %s wants a number%s, not '%s'\n", s, s[2] == 'i' ? " in [0, 1]" : "", argv[i]);
                return HV_EXIT_USAGE;
            }
            *(s[2] == 'i' ? &a->iou_thr : &a->score_thr) = v;
            continue;
        }
        fprintf(stderr, "hemovk eval: unknown option, missing value or stray argument: '%s'\n", s);
        usage(stderr);
        return HV_EXIT_USAGE;
    }
    if (!a->gt || !a->results) {
        fprintf(stderr, "hemovk eval: --ground-truth and --results are required\n");
        usage(stderr);
        return HV_EXIT_USAGE;
    }
    if (a->verify && !a->split) {
        fprintf(stderr, "hemovk eval: --verify checks the frames of a split: give --split\n");
        return HV_EXIT_USAGE;
    }
    return 0;
}

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Default output folder: RUN/eval, or eval/ beside a results file. */
static char *default_output(const char *results) {
    size_t n = strlen(results) + 16;
    char *s = malloc(n);
    if (!s) return NULL;
    if (is_dir(results)) {
        snprintf(s, n, "%s/eval", results);
    } else {
        const char *slash = strrchr(results, '/');
        if (slash) snprintf(s, n, "%.*s/eval", (int)(slash - results), results);
        else snprintf(s, n, "eval");
    }
    return s;
}

/* GT (whole), results against it, then the split applied to both. */
static hv_status load_inputs(const args *a, hv_eval_gt *gt, hv_eval_warnings *w, hv_eval_results *res) {
    hv_eval_results_options ro = {a->model, a->labels, a->root};
    hv_status st = hv_eval_gt_load(a->gt, NULL, NULL, 0, NULL, gt, w);
    if (st) return st;
    if (is_dir(a->gt)) hv_cli_print_gt_summary(a->gt, gt, w);
    if ((st = hv_eval_results_read(a->results, gt, &ro, res))) return st;
    if (a->split) {
        char def[4096];
        const char *file = a->split_file;
        if (!file && !(st = hv_eval_split_default_path(def, sizeof def))) file = def;
        hv_eval_split sp = {0};
        if (!st) st = hv_eval_split_read(file, &sp);
        if (!st) st = hv_eval_gt_apply_split(gt, &sp, a->split, a->verify ? a->gt : NULL);
        if (!st) st = hv_eval_warnings_restrict(w, gt);
        hv_eval_split_free(&sp);
        size_t before = res->n_cls;
        if (!st) st = hv_eval_results_restrict(res, gt);
        if (!st && before > res->n_cls)
            fprintf(stderr, "split %s: %zu frames; %zu result frames outside it set aside\n", a->split, gt->n_images,
                    before - res->n_cls);
        if (st) return st;
    }
    return hv_eval_results_check_coverage(res, gt);
}

static int all_masks(const hv_eval_gt *gt, const hv_eval_results *res) {
    for (size_t i = 0; i < gt->n_anns; i++)
        if (!gt->anns[i].segm.n) return 0;
    for (size_t i = 0; i < res->n_dets; i++)
        if (!res->dets[i].segm.n) return 0;
    return 1;
}

static int any_classified(const hv_eval_results *res) {
    for (size_t i = 0; i < res->n_cls; i++)
        if (res->cls[i].predicted >= 0) return 1;
    return 0;
}

static hv_status write_outputs(const hv_eval_report *r, const char *dir) {
    char *md = NULL, *p = NULL;
    hv_status st = hv_eval_report_markdown(r, &md);
    size_t n = strlen(dir) + 32;
    if (!st && !(p = malloc(n))) st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    if (!st) {
        snprintf(p, n, "%s/metrics.md", dir);
        st = hv_eval_write_text(p, md);
    }
    if (!st) {
        snprintf(p, n, "%s/metrics.json", dir);
        st = hv_eval_report_write_json(r, p);
    }
    if (!st) {
        snprintf(p, n, "%s/frames.jsonl", dir);
        st = hv_eval_report_write_frames(r, p);
    }
    if (!st) {
        fputs(md, stdout);
        fprintf(stderr, "wrote %s/metrics.json, metrics.md, frames.jsonl\n", dir);
    }
    free(md);
    free(p);
    return st;
}

int hv_cmd_eval(int argc, char **argv) {
    args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? HV_EXIT_OK : rc;
    if (a.verify && !is_dir(a.gt)) {
        fprintf(stderr, "hemovk eval: --verify needs the WCEBleedGen folder as --ground-truth\n");
        return HV_EXIT_USAGE;
    }
    hv_eval_gt gt = {0};
    hv_eval_warnings w = {0};
    hv_eval_results res = {0};
    hv_cls_metrics *cls = NULL;
    hv_coco_eval_result *bbox = NULL, *segm = NULL;
    hv_eval_loc_rate loc = {0};
    int8_t *localised = NULL;
    char *out_dir = NULL;
    hv_eval_report r = {0};
    hv_status st = load_inputs(&a, &gt, &w, &res);
    if (!st && !(out_dir = a.output ? strdup(a.output) : default_output(a.results)))
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    r = (hv_eval_report){.gt = &gt, .res = &res, .ground_truth = a.gt, .results = a.results, .split = a.split,
                         .model = a.model, .warnings = is_dir(a.gt) ? &w : NULL, .loc_iou_thr = a.iou_thr,
                         .loc_score_thr = a.score_thr};
    if (!st && any_classified(&res)) {
        hv_cls_params cp;
        hv_cls_params_default(&cp);
        st = hv_cls_eval(&gt, &res, &cp, &cls);
        if (!st) st = hv_eval_report_sweep(&r, cls->positive);
        r.cls = cls;
    } else if (!st) {
        r.notes[r.n_notes++] = "no classification in the results: Table 1 left out";
    }
    hv_coco_params cp;
    hv_coco_params_default(&cp);
    cp.frame_iou_thr = a.iou_thr;
    cp.frame_score_thr = a.score_thr;
    if (!st && gt.n_categories) {
        st = hv_coco_eval(&gt, &res, HV_COCO_BBOX, &cp, &bbox);
        r.bbox = bbox;
        if (!st && all_masks(&gt, &res)) {
            st = hv_coco_eval(&gt, &res, HV_COCO_SEGM, &cp, &segm);
            r.segm = segm;
        } else if (!st) {
            r.notes[r.n_notes++] = "some detections or instances have no mask: segmentation (segm) left out";
        }
        if (!st && !(localised = malloc(gt.n_images ? gt.n_images : 1)))
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
        if (!st) st = hv_eval_localisation_rate(&gt, &res, a.iou_thr, a.score_thr, &loc, localised);
        r.loc = st ? NULL : &loc;
        r.localised = localised;
    }
    if (!st && !res.n_dets && gt.n_anns)
        r.notes[r.n_notes++] = "the results hold no detections (of the chosen model): detection numbers are 0";
    if (!st) st = write_outputs(&r, out_dir);
    hv_cls_metrics_free(cls);
    hv_coco_eval_result_free(bbox);
    hv_coco_eval_result_free(segm);
    free(localised);
    free(out_dir);
    hv_eval_results_free(&res);
    hv_eval_warnings_free(&w);
    hv_eval_gt_free(&gt);
    return st ? hv_cli_fail(st) : HV_EXIT_OK;
}
