/* hemovk gt — ground truth for `hemovk eval` (and pycocotools) from the WCEBleedGen release or a COCO
 * file, optionally cut to one split of the fixed split file.
 *
 *   hemovk gt WCEBleedGen_DIR --output gt.json [--split val|train] [--split-file F] [--verify]
 *             [--min-area N] [--match-iou X]
 *
 * Writes COCO instances JSON (image ids 1, 2, … in natural order of the file names, masks as compressed
 * RLE, the image-level classes and labels, and a "disagreements" list), and prints a summary of the
 * disagreements between masks, TXT and XML boxes on stderr. Exit: 0 written, 2 usage, 3 bad input. */
#include "commands.h"

#include "hemovk/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: hemovk gt SOURCE --output GT.json [--split NAME] [--split-file FILE] [--verify]\n"
            "                 [--min-area N] [--match-iou X]\n"
            "  SOURCE is the WCEBleedGen folder as released (bleeding/Images, bleeding/Annotations,\n"
            "  bleeding/Bounding boxes/TXT|XML, non-bleeding/images) or a COCO ground-truth JSON.\n"
            "  Instances are the 8-connected components of each mask (> 127); their boxes are the\n"
            "  components' own; the TXT/XML boxes are only checked, and every disagreement is listed in\n"
            "  the output's \"disagreements\" and summarised on stderr.\n"
            "  --output FILE      where to write the COCO JSON (required)\n"
            "  --split NAME       keep the frames of this split (val, train) of the split file\n"
            "  --split-file FILE  split file (default: hemovk's splits/wcebleedgen.tsv)\n"
            "  --verify           check the kept frames' sha256 against the split file\n"
            "  --min-area N       leave out mask components under N pixels (default 0: keep all)\n"
            "  --match-iou X      IoU at which a component and a TXT box agree (default 0.5)\n");
}

void hv_cli_print_gt_summary(const char *source, const hv_eval_gt *gt, const hv_eval_warnings *w) {
    size_t per_class[8] = {0}, unlabelled = 0;
    for (size_t i = 0; i < gt->n_images; i++) {
        int32_t l = gt->images[i].label;
        if (l >= 0 && l < 8) per_class[l]++;
        else unlabelled++;
    }
    fprintf(stderr, "ground truth %s: %zu images (", source, gt->n_images);
    for (size_t k = 0; k < gt->n_classes && k < 8; k++)
        fprintf(stderr, "%s%zu %s", k ? ", " : "", per_class[k], gt->class_names[k]);
    if (unlabelled) fprintf(stderr, ", %zu unlabelled", unlabelled);
    fprintf(stderr, "), %zu instances\n", gt->n_anns);
    if (!w) return;
    if (w->n) {
        fprintf(stderr, "  %zu disagreements:", w->n);
        const char *sep = "";
        for (int k = 0; k < HV_EVAL_WARN_KIND_COUNT; k++) {
            size_t n = hv_eval_warnings_count(w, (hv_eval_warning_kind)k);
            if (n) fprintf(stderr, "%s %zu %s", sep, n, hv_eval_warning_kind_name((hv_eval_warning_kind)k));
            if (n) sep = ",";
        }
        fprintf(stderr, "\n");
        for (size_t i = 0; i < w->n && i < 3; i++)
            fprintf(stderr, "    e.g. %s: %s\n", w->items[i].file_name, w->items[i].detail);
    }
    if (w->xml_txt_not_identical)
        fprintf(stderr, "  %zu frames' XML boxes differ slightly from their TXT boxes (same objects)\n",
                w->xml_txt_not_identical);
}

int hv_cmd_gt(int argc, char **argv) {
    const char *source = NULL, *output = NULL, *split = NULL, *split_file = NULL;
    int verify = 0;
    hv_eval_layout_options lo = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return HV_EXIT_OK;
        } else if (!strcmp(a, "--output") && has) {
            output = argv[++i];
        } else if (!strcmp(a, "--split") && has) {
            split = argv[++i];
        } else if (!strcmp(a, "--split-file") && has) {
            split_file = argv[++i];
        } else if (!strcmp(a, "--layout") && has) {
            source = argv[++i];
        } else if (!strcmp(a, "--verify")) {
            verify = 1;
        } else if (!strcmp(a, "--min-area") && has) {
            char *end = NULL;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 1000000000L) {
                fprintf(stderr, "hemovk gt: --min-area wants a pixel count, not '%s'\n", argv[i]);
                return HV_EXIT_USAGE;
            }
            lo.min_area = (uint32_t)v;
        } else if (!strcmp(a, "--match-iou") && has) {
            char *end = NULL;
            lo.match_iou = strtod(argv[++i], &end);
            if (*end || !(lo.match_iou > 0 && lo.match_iou <= 1)) {
                fprintf(stderr, "hemovk gt: --match-iou wants a number in (0, 1], not '%s'\n", argv[i]);
                return HV_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "hemovk gt: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return HV_EXIT_USAGE;
        } else if (!source) {
            source = a;
        } else {
            fprintf(stderr, "hemovk gt: one SOURCE only ('%s' and '%s')\n", source, a);
            return HV_EXIT_USAGE;
        }
    }
    if (!source || !output) {
        usage(stderr);
        return HV_EXIT_USAGE;
    }
    if (verify && !split) {
        fprintf(stderr, "hemovk gt: --verify checks the frames of a split: give --split\n");
        return HV_EXIT_USAGE;
    }
    hv_eval_gt gt;
    hv_eval_warnings w = {0};
    hv_status st = hv_eval_gt_load(source, split, split_file, verify, &lo, &gt, &w);
    if (st) {
        hv_eval_warnings_free(&w);
        return hv_cli_fail(st);
    }
    /* warnings of frames the split left out are dropped with them */
    st = hv_eval_gt_write_coco(&gt, &w, output);
    if (!st) {
        hv_cli_print_gt_summary(source, &gt, &w);
        fprintf(stderr, "wrote %s%s%s%s\n", output, split ? " (split " : "", split ? split : "", split ? ")" : "");
    }
    hv_eval_gt_free(&gt);
    hv_eval_warnings_free(&w);
    return st ? hv_cli_fail(st) : HV_EXIT_OK;
}
