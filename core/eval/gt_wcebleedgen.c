/* Ground truth from the WCEBleedGen release as it ships (hv_eval_gt_read_wcebleedgen in hemovk/eval.h
 * documents the rules): image labels from the class folders, instances from the masks' 8-connected
 * components, the TXT and XML boxes only checked against them, every disagreement reported.
 *
 * Why components and not boxes: COCO segm evaluation needs one mask per instance and the release has one
 * mask per frame; its components are the instances the boxes were drawn around (IoU 0.96 median on the
 * release). Why the component's own box and not the TXT box: the bbox and segm results are then judged
 * against the same instances, and the TXT boxes are hand-drawn (off by a few pixels, sometimes one box
 * around two blobs) — the disagreements list says where. */
#include "gt_internal.h"

#include "hemovk/image.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct frame {
    char *rel;   /* path relative to the root */
    int32_t label;
} frame;

static int cmp_frame(const void *a, const void *b) {
    return hv_natural_compare(((const frame *)a)->rel, ((const frame *)b)->rel);
}

static int is_image_name(const char *n) {
    const char *dot = strrchr(n, '.');
    return n[0] != '.' && dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") ||
                                  !strcasecmp(dot, ".bmp"));
}

/* The release spells the folders "bleeding/Images" and "non-bleeding/images"; accept either case. */
static const char *find_images_dir(const char *root, const char *cls, char *buf, size_t size) {
    static const char *const names[] = {"Images", "images"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(buf, size, "%s/%s/%s", root, cls, names[i]);
        if (ev_is_dir(buf)) return names[i];
    }
    return NULL;
}

static hv_status list_class(const char *root, const char *cls, int32_t label, frame **frames, size_t *n,
                            size_t *cap, int *found) {
    char dir[4096];
    const char *sub = find_images_dir(root, cls, dir, sizeof dir);
    if (!sub) return HV_OK;
    *found = 1;
    DIR *d = opendir(dir);
    if (!d) return hv_error(HV_ERR_IO, "ground truth: cannot list %s: %s", dir, strerror(errno));
    hv_status st = HV_OK;
    struct dirent *e;
    while (!st && (e = readdir(d))) {
        if (!is_image_name(e->d_name)) continue;
        char *rel = ev_printf("%s/%s/%s", cls, sub, e->d_name);
        if (!rel || ev_grow((void **)frames, cap, *n + 1, sizeof **frames)) {
            free(rel);
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "ground truth: out of memory listing %s", dir);
            break;
        }
        (*frames)[(*n)++] = (frame){rel, label};
    }
    closedir(d);
    return st;
}

/* "<root>/bleeding/<sub>/<stem-with-prefix><ext>": the release names the mask of "img- (N).png"
 * "ann- (N).png" and its boxes "img- (N).txt" / ".xml". */
static char *sibling(const char *root, const char *sub, const char *image_name, const char *prefix, const char *ext) {
    const char *stem = image_name;
    if (prefix && !strncmp(stem, "img", 3)) stem += 3;
    else prefix = "";
    const char *dot = strrchr(stem, '.');
    int len = dot ? (int)(dot - stem) : (int)strlen(stem);
    return ev_printf("%s/bleeding/%s/%s%.*s%s", root, sub, prefix, len, stem, ext ? ext : (dot ? dot : ""));
}

typedef struct ctx {
    const char *root;
    double thr;
    uint32_t min_area;
    hv_eval_gt *gt;
    size_t ann_cap;
    hv_eval_warnings *warn;
} ctx;

static hv_status push_ann(ctx *c, int64_t image_id, const ev_component *k, const int32_t *labels, int32_t lab,
                          int32_t w, int32_t h, uint8_t *scratch) {
    hv_eval_gt *gt = c->gt;
    if (ev_grow((void **)&gt->anns, &c->ann_cap, gt->n_anns + 1, sizeof *gt->anns))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "ground truth: out of memory");
    size_t n = (size_t)w * (size_t)h;
    for (size_t i = 0; i < n; i++) scratch[i] = labels[i] == lab;
    hv_eval_ann *a = &gt->anns[gt->n_anns];
    memset(a, 0, sizeof *a);
    hv_status st = hv_rle_encode(scratch, (uint32_t)h, (uint32_t)w, &a->segm);
    if (st) return st;
    a->id = (int64_t)gt->n_anns + 1;
    a->image_id = image_id;
    a->category_id = 1;
    a->bbox[0] = k->x1;
    a->bbox[1] = k->y1;
    a->bbox[2] = k->x2 - k->x1;
    a->bbox[3] = k->y2 - k->y1;
    a->area = (double)k->area;
    gt->n_anns++;
    return HV_OK;
}

/* XML against TXT: the same objects (count equal, each TXT box with an XML partner at IoU ≥ 0.5). Small
 * shifts are counted, not warned about: the release has 307 such files. */
static hv_status check_xml(ctx *c, const hv_eval_image *im, const char *name, const ev_box *txt, size_t nt) {
    char *path = sibling(c->root, "Bounding boxes/XML", name, NULL, ".xml");
    if (!path) return hv_error(HV_ERR_OUT_OF_MEMORY, "ground truth: out of memory");
    hv_status st = HV_OK;
    if (!ev_is_file(path)) {
        st = ev_warn(c->warn, HV_EVAL_WARN_MISSING_FILE, im->file_name, "no XML box file %s", path + strlen(c->root) + 1);
        free(path);
        return st;
    }
    ev_box *xml = NULL;
    size_t nx = 0;
    if (ev_read_xml_boxes(path, &xml, &nx)) {
        st = ev_warn(c->warn, HV_EVAL_WARN_MISSING_FILE, im->file_name, "unreadable XML box file: %s", hv_last_error());
        free(path);
        return st;
    }
    free(path);
    int identical = nx == nt;
    for (size_t i = 0; identical && i < nt; i++) identical = !memcmp(&xml[i], &txt[i], sizeof *txt);
    if (!identical && c->warn) c->warn->xml_txt_not_identical++;
    if (nx != nt) {
        st = ev_warn(c->warn, HV_EVAL_WARN_XML_TXT, im->file_name, "XML has %zu boxes, TXT %zu", nx, nt);
    } else if (!identical && nt) {
        ptrdiff_t *t2x = malloc(nt * sizeof *t2x), *x2t = malloc(nt * sizeof *x2t);
        double *best = malloc(nt * sizeof *best);
        if (!t2x || !x2t || !best) st = hv_error(HV_ERR_OUT_OF_MEMORY, "ground truth: out of memory");
        if (!st) st = ev_match_greedy(txt, nt, xml, nt, 0.5, t2x, x2t, best, NULL);
        for (size_t i = 0; !st && i < nt; i++)
            if (t2x[i] < 0)
                st = ev_warn(c->warn, HV_EVAL_WARN_XML_TXT, im->file_name,
                             "TXT box %zu [%g %g %g %g] has no XML box at IoU >= 0.5 (best %.3f)", i + 1, txt[i].x1,
                             txt[i].y1, txt[i].x2, txt[i].y2, best[i]);
        free(t2x);
        free(x2t);
        free(best);
    }
    free(xml);
    return st;
}

static hv_status read_instances(ctx *c, const hv_eval_image *im) {
    const char *name = strrchr(im->file_name, '/') + 1;
    char *mask_path = sibling(c->root, "Annotations", name, "ann", NULL);
    char *txt_path = sibling(c->root, "Bounding boxes/TXT", name, NULL, ".txt");
    uint8_t *fg = NULL, *scratch = NULL;
    int32_t *labels = NULL, mw = 0, mh = 0;
    ev_component *comps = NULL;
    ev_box *txt = NULL, *cb = NULL;
    ptrdiff_t *c2t = NULL, *t2c = NULL;
    double *best_c = NULL, *best_t = NULL;
    size_t nc = 0, nt = 0, nk = 0;
    size_t *kept = NULL;
    const size_t skip = strlen(c->root) + 1;
    hv_status st = HV_OK;
    if (!mask_path || !txt_path) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "ground truth: out of memory");
        goto done;
    }
    int have_txt = ev_is_file(txt_path);
    if (have_txt && ev_read_txt_boxes(txt_path, &txt, &nt)) {
        if ((st = ev_warn(c->warn, HV_EVAL_WARN_MISSING_FILE, im->file_name, "unreadable TXT box file: %s",
                          hv_last_error())))
            goto done;
        have_txt = 0;
    } else if (!have_txt &&
               (st = ev_warn(c->warn, HV_EVAL_WARN_MISSING_FILE, im->file_name, "no TXT box file %s", txt_path + skip))) {
        goto done;
    }
    if (have_txt && (st = check_xml(c, im, name, txt, nt))) goto done;
    if (!ev_is_file(mask_path)) {
        st = ev_warn(c->warn, HV_EVAL_WARN_MISSING_FILE, im->file_name, "no mask %s: the frame has no instances",
                     mask_path + skip);
        goto done;
    }
    if ((st = ev_load_mask(mask_path, &fg, &mw, &mh))) goto done;
    if (mw != im->width || mh != im->height) {
        st = ev_warn(c->warn, HV_EVAL_WARN_MASK_SIZE, im->file_name,
                     "mask %s is %dx%d, the image %dx%d: the frame keeps its label but has no instances",
                     mask_path + skip, (int)mw, (int)mh, (int)im->width, (int)im->height);
        goto done;
    }
    size_t npx = (size_t)mw * (size_t)mh;
    labels = malloc((npx ? npx : 1) * sizeof *labels);
    scratch = malloc(npx ? npx : 1);
    if (!labels || !scratch) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "ground truth: out of memory");
        goto done;
    }
    if ((st = ev_components(fg, mw, mh, labels, &comps, &nc))) goto done;
    cb = malloc((nc ? nc : 1) * sizeof *cb);
    kept = malloc((nc ? nc : 1) * sizeof *kept);
    c2t = malloc((nc ? nc : 1) * sizeof *c2t);
    best_c = malloc((nc ? nc : 1) * sizeof *best_c);
    t2c = malloc((nt ? nt : 1) * sizeof *t2c);
    best_t = malloc((nt ? nt : 1) * sizeof *best_t);
    if (!cb || !kept || !c2t || !best_c || !t2c || !best_t) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "ground truth: out of memory");
        goto done;
    }
    for (size_t k = 0; k < nc; k++) {
        const ev_component *p = &comps[k];
        if (p->area < c->min_area) {
            if ((st = ev_warn(c->warn, HV_EVAL_WARN_SMALL_COMPONENT, im->file_name,
                              "component at [%d %d %d %d] has %llu px < min_area %u: left out", (int)p->x1, (int)p->y1,
                              (int)p->x2, (int)p->y2, (unsigned long long)p->area, (unsigned)c->min_area)))
                goto done;
            continue;
        }
        cb[nk] = (ev_box){p->x1, p->y1, p->x2, p->y2};
        kept[nk++] = k;
        if ((st = push_ann(c, im->id, p, labels, (int32_t)k + 1, mw, mh, scratch))) goto done;
    }
    if (!have_txt) goto done;
    if ((st = ev_match_greedy(cb, nk, txt, nt, c->thr, c2t, t2c, best_c, best_t))) goto done;
    for (size_t k = 0; k < nk; k++)
        if (c2t[k] < 0) {
            const ev_box *b = &cb[k];
            st = ev_warn(c->warn, HV_EVAL_WARN_COMPONENT_WITHOUT_BOX, im->file_name,
                         "mask component %zu [x1 y1 x2 y2 = %g %g %g %g, %llu px] matches no TXT box (best IoU %.3f)",
                         kept[k] + 1, b->x1, b->y1, b->x2, b->y2, (unsigned long long)comps[kept[k]].area, best_c[k]);
            if (st) goto done;
        }
    for (size_t j = 0; j < nt; j++)
        if (t2c[j] < 0) {
            const ev_box *b = &txt[j];
            st = ev_warn(c->warn, HV_EVAL_WARN_BOX_WITHOUT_COMPONENT, im->file_name,
                         "TXT box %zu [%g %g %g %g] matches no mask component (best IoU %.3f)", j + 1, b->x1, b->y1,
                         b->x2, b->y2, best_t[j]);
            if (st) goto done;
        }
done:
    free(mask_path);
    free(txt_path);
    free(fg);
    free(scratch);
    free(labels);
    free(comps);
    free(txt);
    free(cb);
    free(kept);
    free(c2t);
    free(t2c);
    free(best_c);
    free(best_t);
    return st;
}

hv_status hv_eval_gt_read_wcebleedgen(const char *root, const hv_eval_layout_options *options, hv_eval_gt *out,
                                      hv_eval_warnings *warnings) {
    if (!root || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_gt_read_wcebleedgen: NULL argument");
    memset(out, 0, sizeof *out);
    if (!ev_is_dir(root)) return hv_error(HV_ERR_NOT_FOUND, "ground truth %s: no such folder", root);
    frame *frames = NULL;
    size_t n = 0, cap = 0;
    int found_b = 0, found_n = 0;
    hv_status st = list_class(root, "bleeding", 0, &frames, &n, &cap, &found_b);
    if (!st) st = list_class(root, "non-bleeding", 1, &frames, &n, &cap, &found_n);
    if (!st && !found_b && !found_n)
        st = hv_error(HV_ERR_NOT_FOUND,
                      "ground truth %s: not the WCEBleedGen layout (no bleeding/Images nor non-bleeding/images folder; "
                      "give the folder named WCEBleedGen)", root);
    if (!st && !n) st = hv_error(HV_ERR_NOT_FOUND, "ground truth %s: no images in its class folders", root);
    if (!st) qsort(frames, n, sizeof *frames, cmp_frame);
    ctx c = {root, options && options->match_iou > 0 ? options->match_iou : 0.5, options ? options->min_area : 0, out,
             0, warnings};
    if (!st && !(out->images = calloc(n, sizeof *out->images)))
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "ground truth: out of memory");
    if (!st && !(out->source = ev_strdup(root))) st = HV_ERR_OUT_OF_MEMORY;
    if (!st) st = ev_gt_default_classes(out);
    if (!st) st = ev_gt_add_category(out, 1, "bleeding");
    for (size_t i = 0; !st && i < n; i++) {
        hv_eval_image *im = &out->images[i];
        im->id = (int64_t)i + 1;
        im->file_name = frames[i].rel;
        frames[i].rel = NULL;
        im->label = frames[i].label;
        out->n_images = i + 1;
        /* Only the header is read, through the engine's own probe (the checks `hemovk run` applies to a
         * frame: format by magic bytes, size limits), so a frame the run would refuse fails here too. */
        char *path = ev_printf("%s/%s", root, im->file_name);
        void *data = NULL;
        size_t size = 0;
        hv_image_header hdr = {0};
        if (!path) st = hv_error(HV_ERR_OUT_OF_MEMORY, "ground truth: out of memory");
        else if ((st = hv_image_read_file(path, &data, &size)) || (st = hv_image_probe_memory(data, size, path, &hdr)))
            st = hv_error_context(st, "ground truth image");
        free(data);
        free(path);
        im->width = hdr.width;
        im->height = hdr.height;
        if (!st && im->label == 0) st = read_instances(&c, im);
    }
    for (size_t i = 0; i < n; i++) free(frames[i].rel);
    free(frames);
    if (st) hv_eval_gt_free(out);
    return st;
}
