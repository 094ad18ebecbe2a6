/* ensemble — fuse the detections of several models of one frame into one list (MODEL_SPEC §7), with the
 * voting rules of Casado-García & Heras (affirmative, consensus, unanimous) or weighted boxes fusion.
 *
 * Inputs: the frame's detections whose `model` tag is one of params.models, grouped per model in the
 * order the list gives (within a model, in the frame's order: the segmenter's score order). M = the
 * number of listed models, always: the ensemble runs on the frames its segmenters ran on (give it the
 * same `when`), and a model that ran and found nothing still counts, as in ancasag's code.
 * Output: those detections are replaced by the fused list, tagged `output_model` ("ensemble") — or, with
 * `keep_inputs`, kept before it, so evaluation can score every model and the fusion from one run;
 * detections of models not listed stay as they are (before the fused ones). The exact double scores
 * (the paper's (0.12+0.34)/2 = 0.22999999999999998 does not survive a float) go into the metadata key
 * "<output_model>.scores" (Python repr, space-separated, in detection order); writer.coco uses them.
 *
 * Masks: where the rule picks a member box (paper mode: the max-y2 member; clean mode with box
 * max_score: the best member) that member's mask is kept. For averaged boxes (clean weighted_avg, WBF),
 * `mask: best` keeps the mask of the cluster's best-scoring member (clean: the seed; WBF: the first
 * member, highest weighted score), and `mask: union` takes the OR of the masks of every input detection
 * of the same label whose box has IoU > iou_thr with the fused box, the picked member included. */
#include "fusion_plugin.h"

#include "hemovk/config.h"
#include "hemovk/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fu_ensemble_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "required: [models]\n"
    "properties:\n"
    "  method:\n"
    "    enum: [affirmative, consensus, unanimous, wbf]\n"
    "    default: affirmative\n"
    "    description: >-\n"
    "      affirmative keeps every cluster of overlapping boxes; consensus keeps clusters with at least ceil(M/2) votes;\n"
    "      unanimous keeps clusters all M models voted for; wbf is weighted boxes fusion (averaged boxes and scores)\n"
    "  models:\n"
    "    type: array\n"
    "    minItems: 1\n"
    "    maxItems: 64\n"
    "    uniqueItems: true\n"
    "    items: {type: string, minLength: 1, maxLength: 63}\n"
    "    description: >-\n"
    "      model tags of the detections to fuse (a segmenter tags its detections with its model name), in this order;\n"
    "      M is their count. The paper: the ConvNeXt-B and InternImage-XL Mask R-CNNs\n"
    "  iou_thr:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    description: boxes overlap when IoU > iou_thr (default 0.5 for the voting rules, 0.55 for wbf - the oneOf below fills it)\n"
    "  paper_compatible:\n"
    "    type: boolean\n"
    "    default: false\n"
    "    description: >-\n"
    "      voting rules only: reproduce the authors' ensemble code (ancasag Ensemble) - scores rounded to 2 decimals,\n"
    "      VOC +1 IoU, seeds in input order (same-model members allowed, votes = cluster size), the member box with the\n"
    "      largest y2, score = sum of members' rounded scores / M (can exceed 1). false: the clean rule (best box first,\n"
    "      plain IoU, votes = distinct models, score = sum of each model's best / M)\n"
    "  truncate_coords:\n"
    "    type: boolean\n"
    "    default: false\n"
    "    description: paper_compatible only - also emulate generateXML's str(x)[0:-2] on the output coordinates\n"
    "  box:\n"
    "    enum: [weighted_avg, max_score]\n"
    "    default: weighted_avg\n"
    "    description: clean voting rules - the fused box is the score-weighted mean of the members or the best member\n"
    "  mask:\n"
    "    enum: [best, union]\n"
    "    default: best\n"
    "    description: >-\n"
    "      mask of an averaged box - the best member's, or the union of the masks of the same-label input boxes with\n"
    "      IoU > iou_thr with the fused box (a picked member box always keeps its own mask)\n"
    "  skip_box_thr:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    default: 0\n"
    "    description: wbf - ignore input boxes scoring below this\n"
    "  weights:\n"
    "    type: array\n"
    "    items: {type: number, exclusiveMinimum: 0}\n"
    "    description: wbf - one weight per entry of models (default all 1)\n"
    "  allows_overflow:\n"
    "    type: boolean\n"
    "    default: false\n"
    "    description: wbf - scale the fused score by members/sum(weights) without capping members at M\n"
    "  output_model:\n"
    "    type: string\n"
    "    minLength: 1\n"
    "    maxLength: 63\n"
    "    default: ensemble\n"
    "    description: model tag of the fused detections\n"
    "  keep_inputs:\n"
    "    type: boolean\n"
    "    default: false\n"
    "    description: >-\n"
    "      keep the fused models' own detections (tagged by model, before the fused ones) instead of replacing\n"
    "      them, so one run can be scored per model and fused (hemovk eval --model NAME); writers then show all\n"
    /* iou_thr's default depends on the method; the validator fills `method` first, then the one branch
     * that matches fills iou_thr. The voting branch is "not wbf" rather than an enum, so a misspelt method
     * gets one error (the enum's above), not a second one from here. */
    "oneOf:\n"
    "  - properties: {method: {const: wbf}, iou_thr: {default: 0.55}}\n"
    "  - properties: {method: {not: {const: wbf}}, iou_thr: {default: 0.5}}\n";

typedef struct ens_stage {
    const char *id;
    int method_wbf, mask_union;
    hv_ensemble_params vote;
    hv_wbf_params wbf;
    double *weights; /* M entries or NULL */
    int n_models;
    char (*models)[HV_FRAME_NAME_MAX];
    char output_model[HV_FRAME_NAME_MAX];
    int keep_inputs; /* keep the listed models' detections beside the fused ones */
} ens_stage;

static void ens_destroy(void *instance) {
    ens_stage *s = instance;
    if (!s) return;
    free(s->weights);
    free(s->models);
    free(s);
}

static hv_status param_error(const ens_stage *s, const hv_config_node *node, const char *what) {
    return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: ensemble '%s': %s", hv_config_file(node), hv_config_line(node),
                    hv_config_column(node), s->id, what);
}

static hv_status ens_create(const hv_create_info *info, void **instance) {
    ens_stage *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "ensemble: out of memory");
    s->id = info->instance_id;
    const hv_config_node *P = info->params;
    const char *method = NULL, *box = NULL, *mask = NULL, *out_model = NULL;
    int paper = 0, trunc = 0, overflow = 0;
    double skip = 0, iou = 0;
    hv_status st = hv_config_need_string(P, "method", &method);
    if (!st) st = hv_config_need_string(P, "box", &box);
    if (!st) st = hv_config_need_string(P, "mask", &mask);
    if (!st) st = hv_config_need_string(P, "output_model", &out_model);
    if (!st) st = hv_config_need_bool(P, "paper_compatible", &paper);
    if (!st) st = hv_config_need_bool(P, "truncate_coords", &trunc);
    if (!st) st = hv_config_need_bool(P, "allows_overflow", &overflow);
    if (!st) st = hv_config_need_bool(P, "keep_inputs", &s->keep_inputs);
    if (!st) st = hv_config_need_double(P, "skip_box_thr", &skip);
    if (!st) st = hv_config_need_double(P, "iou_thr", &iou); /* the schema's oneOf fills it by method */
    if (st) goto fail;
    s->method_wbf = !strcmp(method, "wbf");
    s->mask_union = !strcmp(mask, "union");
    snprintf(s->output_model, sizeof s->output_model, "%s", out_model);

    const hv_config_node *models = hv_config_get(P, "models");
    size_t M = models ? hv_config_size(models) : 0;
    if (!M) {
        st = hv_error(HV_ERR_SCHEMA, "ensemble '%s': params.models must list the model tags to fuse", s->id);
        goto fail;
    }
    s->n_models = (int)M;
    if (!(s->models = calloc(M, sizeof *s->models))) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "ensemble: out of memory");
        goto fail;
    }
    for (size_t m = 0; m < M; m++) {
        const char *name = NULL;
        if ((st = hv_config_as_string(hv_config_item(models, m), &name))) goto fail;
        snprintf(s->models[m], sizeof s->models[m], "%s", name);
        if (!strcmp(name, s->output_model)) {
            st = param_error(s, hv_config_item(models, m), "a fused model's tag equals output_model: rename one");
            goto fail;
        }
    }

    const hv_config_node *weights = hv_config_get(P, "weights");
    if (weights) {
        if (!s->method_wbf) {
            st = param_error(s, weights, "weights are used by method wbf only: remove them or set method: wbf");
            goto fail;
        }
        if (hv_config_size(weights) != M) {
            char what[160];
            snprintf(what, sizeof what, "weights has %zu entries but models has %zu: give one weight per model",
                     hv_config_size(weights), M);
            st = param_error(s, weights, what);
            goto fail;
        }
        if (!(s->weights = malloc(M * sizeof *s->weights))) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "ensemble: out of memory");
            goto fail;
        }
        for (size_t m = 0; m < M; m++)
            if ((st = hv_config_as_double(hv_config_item(weights, m), &s->weights[m]))) goto fail;
    }
    if (s->method_wbf && paper) {
        st = param_error(s, hv_config_get(P, "paper_compatible"),
                         "paper_compatible applies to the voting rules (affirmative, consensus, unanimous), not to wbf");
        goto fail;
    }

    hv_ensemble_params_default(&s->vote);
    s->vote.vote = !strcmp(method, "consensus")   ? HV_VOTE_CONSENSUS
                   : !strcmp(method, "unanimous") ? HV_VOTE_UNANIMOUS
                                                  : HV_VOTE_AFFIRMATIVE;
    s->vote.iou_thr = iou;
    s->vote.paper_compatible = paper != 0;
    s->vote.truncate_coords = trunc != 0;
    s->vote.clean_box = !strcmp(box, "max_score") ? HV_FUSE_MAX_SCORE : HV_FUSE_WEIGHTED_AVG;
    hv_wbf_params_default(&s->wbf, 1, 1);
    s->wbf.iou_thr = iou;
    s->wbf.skip_box_thr = skip;
    s->wbf.allows_overflow = overflow != 0;
    s->wbf.weights = s->weights;
    *instance = s;
    return HV_OK;
fail:
    ens_destroy(s);
    return st;
}

/* Does the fused output box come from one member unchanged (so that member's mask is exact)? */
static int picks_member(const ens_stage *s) {
    return !s->method_wbf && (s->vote.paper_compatible || s->vote.clean_box == HV_FUSE_MAX_SCORE);
}

/* OR of the masks of same-label inputs with IoU > thr with `box`, plus the picked member's. */
static hv_status union_mask(const ens_stage *s, const hv_frame *f, const hv_det *all, size_t n_all,
                            const size_t *frame_index, const hv_det *out, hv_mask *mask) {
    uint32_t w = (uint32_t)f->width, h = (uint32_t)f->height;
    uint8_t *acc = NULL;
    double thr = s->method_wbf ? s->wbf.iou_thr : s->vote.iou_thr;
    for (size_t i = 0; i < n_all; i++) {
        if (all[i].label != out->label) continue;
        if ((int32_t)i != out->src && !(hv_box_iou(&all[i].box, &out->box) > thr)) continue;
        uint8_t *b = fu_mask_bitmap(&f->detections[frame_index[i]].mask, w, h);
        if (!b) continue;
        if (!acc) {
            acc = b;
            continue;
        }
        for (size_t p = 0; p < (size_t)w * h; p++) acc[p] |= b[p];
        free(b);
    }
    memset(mask, 0, sizeof *mask);
    if (!acc) return HV_OK;
    mask->format = HV_MASK_BITMAP;
    mask->width = w;
    mask->height = h;
    mask->bitmap = acc;
    return HV_OK;
}

/* Fuse one frame. `sc` is scratch of Σ counts entries per array (allocated by the caller). */
static hv_status fuse_frame(ens_stage *s, hv_frame *f) {
    const int M = s->n_models;
    size_t n_in = 0;
    for (size_t i = 0; i < f->n_detections; i++)
        for (int m = 0; m < M; m++)
            if (!strcmp(f->detections[i].model, s->models[m])) n_in++;
    size_t cap = n_in ? n_in : 1;
    hv_det *all = malloc(cap * sizeof *all), *out = malloc(cap * sizeof *out);
    size_t *frame_index = malloc(cap * sizeof *frame_index);
    double *scores64 = malloc(cap * sizeof *scores64);
    const hv_det **per_model = malloc((size_t)M * sizeof *per_model);
    size_t *counts = calloc((size_t)M, sizeof *counts);
    hv_detection *keep = NULL;
    size_t n_keep = 0, n_out = 0;
    char *scores_text = NULL;
    hv_status st = HV_OK;
    if (!all || !out || !frame_index || !scores64 || !per_model || !counts) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "ensemble '%s': out of memory fusing frame %llu", s->id,
                      (unsigned long long)f->id);
        goto done;
    }
    /* concatenate per model, in the order of `models`, each in frame order */
    size_t k = 0;
    for (int m = 0; m < M; m++) {
        per_model[m] = all + k;
        for (size_t i = 0; i < f->n_detections; i++) {
            const hv_detection *d = &f->detections[i];
            if (strcmp(d->model, s->models[m])) continue;
            all[k] = (hv_det){.box = {d->x1, d->y1, d->x2, d->y2}, .score = d->score, .label = d->label, .src = (int32_t)k};
            frame_index[k++] = i;
            counts[m]++;
        }
    }
    if (s->method_wbf) {
        s->wbf.img_w = (float)f->width;
        s->wbf.img_h = (float)f->height;
        st = hv_wbf(per_model, counts, M, &s->wbf, out, &n_out);
        for (size_t i = 0; i < n_out; i++) scores64[i] = out[i].score;
    } else {
        st = hv_ensemble_fuse(per_model, counts, M, &s->vote, out, scores64, &n_out);
    }
    if (st) {
        st = hv_error_context(st, "ensemble '%s', frame %llu (%s)", s->id, (unsigned long long)f->id,
                              f->path ? f->path : "in memory");
        goto done;
    }
    /* the new list: untouched detections of other models (masks moved) — and with keep_inputs the fused
     * models' own (masks copied: the fused ones below still copy from them) —, then the fused ones */
    size_t n_other = f->n_detections - (s->keep_inputs ? 0 : n_in);
    if (!(keep = calloc(n_other + n_out + 1, sizeof *keep))) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "ensemble '%s': out of memory", s->id);
        goto done;
    }
    for (size_t i = 0; i < f->n_detections; i++) {
        hv_detection *d = &f->detections[i];
        int listed = 0;
        for (int m = 0; m < M && !listed; m++) listed = !strcmp(d->model, s->models[m]);
        if (listed && !s->keep_inputs) continue;
        keep[n_keep] = *d;
        if (listed) {
            memset(&keep[n_keep].mask, 0, sizeof keep[n_keep].mask);
            if ((st = fu_mask_copy(&d->mask, &keep[n_keep++].mask))) goto done;
            continue;
        }
        n_keep++;
        memset(&d->mask, 0, sizeof d->mask);
    }
    for (size_t i = 0; i < n_out; i++) {
        hv_detection *d = &keep[n_keep++];
        memset(d, 0, sizeof *d);
        d->x1 = out[i].box.x1, d->y1 = out[i].box.y1, d->x2 = out[i].box.x2, d->y2 = out[i].box.y2;
        d->score = out[i].score;
        d->label = out[i].label;
        snprintf(d->model, sizeof d->model, "%s", s->output_model);
        const hv_mask *member = &f->detections[frame_index[out[i].src]].mask;
        if (s->mask_union && !picks_member(s))
            st = union_mask(s, f, all, k, frame_index, &out[i], &d->mask);
        else
            st = fu_mask_copy(member, &d->mask);
        if (st) goto done;
    }
    /* exact scores, Python repr, for writer.coco */
    if (!(scores_text = malloc(n_out * 32 + 1))) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "ensemble '%s': out of memory", s->id);
        goto done;
    }
    size_t len = 0;
    scores_text[0] = '\0';
    for (size_t i = 0; i < n_out; i++) {
        char buf[32];
        hv_py_repr(scores64[i], buf, sizeof buf);
        len += (size_t)snprintf(scores_text + len, 32, "%s%s", i ? " " : "", buf);
    }
    char key[HV_FRAME_NAME_MAX + 8];
    snprintf(key, sizeof key, "%s.scores", s->output_model);
    if ((st = hv_frame_set_meta(f, key, "%s", scores_text))) goto done;
    hv_frame_clear_detections(f);
    for (size_t i = 0; i < n_keep; i++)
        if ((st = hv_frame_add_detection(f, &keep[i], NULL))) goto done;
    n_keep = 0;
done:
    if (keep)
        for (size_t i = 0; i < n_keep; i++) {
            free(keep[i].mask.bitmap);
            free(keep[i].mask.rle);
        }
    free(keep);
    free(scores_text);
    free(all);
    free(out);
    free(frame_index);
    free(scores64);
    free(per_model);
    free(counts);
    return st;
}

static hv_status ens_process(void *instance, hv_frame *const *frames, size_t n) {
    ens_stage *s = instance;
    for (size_t i = 0; i < n; i++) {
        hv_frame *f = frames[i];
        if (f->dropped) continue;
        if (s->method_wbf && (f->width < 1 || f->height < 1)) {
            hv_frame_fail(f, s->id, "ensemble: frame %llu has no size (not decoded): wbf normalises boxes by it",
                          (unsigned long long)f->id);
            continue;
        }
        hv_status st = fuse_frame(s, f);
        if (st == HV_ERR_INVALID_ARGUMENT) { /* a bad box of this frame (NaN, ...): that frame fails */
            hv_frame_fail(f, s->id, "%s", hv_last_error());
            continue;
        }
        if (st) return st;
    }
    return HV_OK;
}

const hv_stage_vtable fu_ensemble_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = ens_create,
    .process = ens_process,
    .flush = NULL,
    .destroy = ens_destroy,
};
