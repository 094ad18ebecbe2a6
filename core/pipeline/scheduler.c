/* The scheduler: list the source, skip what a resumed run already wrote, decode ahead on a thread,
 * push each batch through the stages in run order with `when` routing, hand every frame to the
 * writers, count everything, and write summary.json. See hemovk/pipeline.h for the contract. */
#include "pipeline/decoder.h"
#include "pipeline/fingerprint.h"
#include "pipeline/out_lock.h"
#include "pipeline/pipeline_internal.h"
#include "pipeline/progress.h"
#include "pipeline/resume.h"
#include "pipeline/source.h"
#include "pipeline/writer_thread.h"

#include "hemovk/image.h"
#include "hemovk/log.h"
#include "vulkan/runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Name writer.jsonl uses inside the output folder when the output gives no `path`. */
#define PL_JSONL_DEFAULT_NAME "results.jsonl"

void hv_pipeline_run_options_init(hv_pipeline_run_options *o) {
    memset(o, 0, sizeof *o);
    o->progress = HV_PROGRESS_AUTO;
    o->progress_interval_s = 5.0;
    o->queue_batches = 2;
}

/* Per-run state. The stages run on the scheduler's thread, the writers on the writer thread
 * (writer_thread.h): each side has its own scratch array, and the counts in `sum` and the failures list
 * are the writer side's until the writer thread has finished. */
typedef struct run_state {
    hv_pipeline *p;
    hv_pipeline_summary *sum;
    hv_frame **sub;          /* frames handed to one stage */
    size_t *owner;           /* per frame of the batch: stage index of its classification */
    size_t cap;
    hv_frame **wsub;         /* writer side: frames handed to one output */
    size_t wcap;
    size_t cap_failures;
} run_state;

static char *join_path(const char *dir, const char *rel) {
    if (rel[0] == '/') return strdup(rel);
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", rel);
    return s;
}

/* The output whose JSONL --resume reads: the first writer.jsonl without `when`. */
static pl_node *resume_output(hv_pipeline *p) {
    for (size_t i = 0; i < p->n_outputs; i++)
        if (p->outputs[i].enabled && !strcmp(p->outputs[i].component, "writer.jsonl") && !p->outputs[i].when.present)
            return &p->outputs[i];
    return NULL;
}

static hv_status add_failure(run_state *r, const hv_frame *f) {
    hv_pipeline_summary *s = r->sum;
    if (s->n_failures == r->cap_failures) {
        size_t cap = r->cap_failures ? r->cap_failures * 2 : 16;
        hv_pipeline_failure *nf = realloc(s->failures, cap * sizeof *nf);
        if (!nf) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory recording failed frames");
        s->failures = nf;
        r->cap_failures = cap;
    }
    hv_pipeline_failure *e = &s->failures[s->n_failures++];
    e->id = f->id;
    e->path = pl_strdup(f->path);
    e->error = pl_strdup(f->error ? f->error : "");
    return HV_OK;
}

/* Did the classification change during a stage? (set_class always allocates fresh probs.) */
typedef struct cls_snap {
    int was_dropped;
    int valid;
    int32_t label;
    float score;
    const float *probs;
    char name[HV_FRAME_NAME_MAX];
} cls_snap;

static void snap(cls_snap *s, const hv_frame *f) {
    s->was_dropped = f->dropped;
    s->valid = f->cls.valid;
    s->label = f->cls.label;
    s->score = f->cls.score;
    s->probs = f->cls.probs;
    memcpy(s->name, f->cls.label_name, sizeof s->name);
}

static int cls_changed(const cls_snap *s, const hv_frame *f) {
    if (!f->cls.valid) return 0;
    return !s->valid || s->label != f->cls.label || s->score != f->cls.score || s->probs != f->cls.probs ||
           memcmp(s->name, f->cls.label_name, sizeof s->name) != 0;
}

/* Run stage `si` on the `live` frames gathered in r->sub and count what it did to them. */
static hv_status process_chunk(run_state *r, size_t si, size_t live, const size_t *idx, const cls_snap *snaps) {
    pl_node *n = &r->p->stages[si];
    double t0 = pl_now();
    hv_status st = hv_stage_process(n->stage, r->sub, live);
    n->stats.seconds += pl_now() - t0;
    n->stats.ran += live;
    for (size_t k = 0; k < live; k++) {
        hv_frame *g = r->sub[k];
        if (g->dropped && !snaps[k].was_dropped) {
            if (g->error) n->stats.failed++;
            else n->stats.dropped++;
        }
        if (cls_changed(&snaps[k], g)) r->owner[idx[k]] = si;
    }
    return st;
}

/* Give stage `si` the batch's live frames that meet its condition, in chunks of PL_CHUNK so the
 * before-snapshots stay on the stack. */
#define PL_CHUNK 64
static hv_status run_stage(run_state *r, size_t si, pl_batch *b) {
    pl_node *n = &r->p->stages[si];
    cls_snap snaps[PL_CHUNK];
    size_t idx[PL_CHUNK];
    size_t live = 0;
    hv_status st = HV_OK;
    for (size_t i = 0; i < b->n && !st; i++) {
        hv_frame *f = b->ptrs[i];
        if (f->dropped) continue;
        if (!pl_condition_eval(&n->when, f, r->owner[i])) {
            n->stats.skipped_when++;
            continue;
        }
        r->sub[live] = f;
        idx[live] = i;
        snap(&snaps[live], f);
        if (++live == PL_CHUNK) {
            st = process_chunk(r, si, live, idx, snaps);
            live = 0;
        }
    }
    if (live && !st) st = process_chunk(r, si, live, idx, snaps);
    return st;
}

static hv_status run_output(run_state *r, pl_node *n, pl_batch *b, const size_t *owner) {
    size_t live = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (!pl_condition_eval(&n->when, b->ptrs[i], owner[i])) {
            n->stats.skipped_when++;
            continue;
        }
        r->wsub[live++] = b->ptrs[i];
    }
    double t0 = pl_now();
    hv_status st = hv_stage_process_all(n->stage, r->wsub, live);
    n->stats.seconds += pl_now() - t0;
    n->stats.ran += live;
    return st;
}

/* The stages of one batch, in run order (the scheduler's thread). */
static hv_status run_stages(run_state *r, pl_batch *b) {
    hv_pipeline *p = r->p;
    if (b->n > r->cap) {
        size_t *o = realloc(r->owner, b->n * sizeof *o);
        if (o) r->owner = o;
        hv_frame **s = realloc(r->sub, b->n * sizeof *s);
        if (s) r->sub = s;
        if (!o || !s) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for a batch of %zu frames", b->n);
        r->cap = b->n;
    }
    hv_status st = HV_OK;
    for (size_t i = 0; i < b->n; i++) r->owner[i] = SIZE_MAX;
    for (size_t k = 0; k < p->n_order && !st; k++) st = run_stage(r, p->order[k], b);
    return st;
}

/* The writers of one batch, then its counts (pl_write_fn: the writer thread). */
static hv_status write_batch(void *ctx, pl_batch *b, const size_t *owner) {
    run_state *r = ctx;
    hv_pipeline *p = r->p;
    if (b->n > r->wcap) {
        hv_frame **s = realloc(r->wsub, b->n * sizeof *s);
        if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for a batch of %zu frames", b->n);
        r->wsub = s, r->wcap = b->n;
    }
    hv_status st = HV_OK;
    /* The JSONL that --resume reads goes last: a frame it records was already written everywhere else,
     * so a kill between writers makes the others redo a frame (they skip or overwrite it), never lose one. */
    pl_node *journal = resume_output(p);
    for (size_t i = 0; i < p->n_outputs && !st; i++)
        if (p->outputs[i].enabled && &p->outputs[i] != journal) st = run_output(r, &p->outputs[i], b, owner);
    if (journal && !st) st = run_output(r, journal, b, owner);
    if (st) return st;
    for (size_t i = 0; i < b->n; i++) {
        const hv_frame *f = b->ptrs[i];
        r->sum->frames_done++;
        if (f->error) {
            r->sum->failed++;
            if ((st = add_failure(r, f))) return st;
        } else if (f->dropped) {
            r->sum->dropped++;
        }
    }
    return HV_OK;
}

/* Writers on their own thread unless HEMOVK_WRITER_THREAD=0 (the old inline order, for comparisons). */
static int writer_threaded(void) {
    const char *e = getenv("HEMOVK_WRITER_THREAD");
    return !(e && !strcmp(e, "0"));
}

static hv_status create_outputs(hv_pipeline *p, const hv_pipeline_run_options *o) {
    for (size_t i = 0; i < p->n_outputs; i++) {
        pl_node *n = &p->outputs[i];
        if (!n->enabled) continue;
        if (n->rel_path && !(n->abs_path = join_path(o->output_dir, n->rel_path)))
            return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
        hv_stage_context ctx = {.output_dir = o->output_dir, .output_path = n->abs_path, .resume = o->resume != 0,
                                .batch = p->batch, .precision = n->precision};
        hv_status st = hv_stage_create_ex(p->reg, n->kind, n->component, n->id, n->params, &ctx, &n->stage);
        if (st)
            return hv_error_context(st, "%s:%d:%d", hv_config_file(n->node), hv_config_line(n->node),
                                    hv_config_column(n->node));
    }
    return HV_OK;
}

/* The keys a resumed run finds in the JSONL (empty without --resume). */
static hv_status load_done(hv_pipeline *p, const hv_pipeline_run_options *o, pl_path_set *out) {
    pl_path_set done;
    memset(&done, 0, sizeof done);
    memset(out, 0, sizeof *out);
    if (o->resume) {
        pl_node *j = resume_output(p);
        if (!j)
            return hv_error(HV_ERR_INVALID_ARGUMENT,
                            "%s: --resume needs an output with component writer.jsonl and no `when` (it records which "
                            "frames are finished); add one to `outputs`", p->file);
        char *path = join_path(o->output_dir, j->rel_path ? j->rel_path : PL_JSONL_DEFAULT_NAME);
        if (!path) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
        int torn = 0;
        hv_status st = pl_resume_scan(path, &done, &torn);
        if (!st) hv_log_info("resume: %zu frame%s already in %s", done.count, done.count == 1 ? "" : "s", path);
        free(path);
        if (st) {
            pl_path_set_free(&done);
            return st;
        }
    }
    *out = done;
    return HV_OK;
}

/* Which list entries to run: every `every`-th of the first `n`, minus those a resumed run finds in the JSONL. */
static hv_status plan_frames(hv_pipeline *p, const hv_pipeline_run_options *o, const hv_frame_list *list, size_t n,
                             size_t **todo, size_t *n_todo, size_t *n_wanted) {
    pl_path_set done;
    hv_status st = load_done(p, o, &done);
    if (st) return st;
    *todo = malloc((n ? n : 1) * sizeof **todo);
    if (!*todo) {
        pl_path_set_free(&done);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    }
    *n_todo = 0;
    /* Matched by key (an older JSONL without keys recorded paths: those match too). */
    size_t every = (size_t)p->every;
    *n_wanted = 0;
    for (size_t i = 0; i < n; i += every, ++*n_wanted)
        if (!pl_path_set_has(&done, hv_frame_list_key(list, i)) && !pl_path_set_has(&done, hv_frame_list_path(list, i)))
            (*todo)[(*n_todo)++] = i;
    pl_path_set_free(&done);
    return HV_OK;
}

static hv_status copy_stats(hv_pipeline *p, hv_pipeline_summary *s) {
    size_t n = p->n_order + p->n_outputs;
    s->stages = calloc(n ? n : 1, sizeof *s->stages);
    if (!s->stages) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t k = 0; k < n; k++) {
        int out = k >= p->n_order;
        pl_node *node = out ? &p->outputs[k - p->n_order] : &p->stages[p->order[k]];
        if (out && !node->enabled) continue;
        hv_pipeline_stage_stats *t = &s->stages[s->n_stages++];
        *t = node->stats;
        t->id = pl_strdup(node->id);
        t->component = pl_strdup(node->component);
        t->is_output = out;
    }
    return HV_OK;
}

static hv_status flush_all(hv_pipeline *p) {
    hv_status st = HV_OK, first = HV_OK;
    char msg[2048] = "";
    for (size_t k = 0; k < p->n_order; k++)
        if ((st = hv_stage_flush(p->stages[p->order[k]].stage)) && !first) {
            first = st;
            snprintf(msg, sizeof msg, "%s", hv_last_error());
        }
    for (size_t i = 0; i < p->n_outputs; i++)
        if (p->outputs[i].stage && (st = hv_stage_flush(p->outputs[i].stage)) && !first) {
            first = st;
            snprintf(msg, sizeof msg, "%s", hv_last_error());
        }
    return first ? hv_error(first, "%s", msg) : HV_OK;
}

/* Frames from `list` (entries todo[0..n_todo)) or, when `src` is not NULL, from that source component. */
static hv_status run_frames(run_state *r, const hv_pipeline_run_options *o, const hv_frame_list *list,
                            const size_t *todo, size_t n_todo, pl_source *src, double *t_start) {
    pl_decoder *dec = NULL;
    hv_status st = src ? pl_decoder_start_source(src, r->p->batch, o->queue_batches, &dec)
                       : pl_decoder_start(list, todo, n_todo, r->p->batch, o->queue_batches, o->decode_budget_bytes,
                                          r->p->fps, &dec);
    if (st) return st;
    pl_progress prog;
    pl_progress_init(&prog, o->progress, stderr, n_todo, o->progress_interval_s);
    *t_start = prog.start;
    pl_writer *writer = NULL;
    if ((st = pl_writer_start(write_batch, r, writer_threaded(), &writer))) {
        pl_decoder_free(dec);
        return st;
    }
    int stop_signal = 0, from_writers = 0;
    pl_batch *b;
    while ((b = pl_decoder_next(dec))) {
        if (b->total) prog.total = b->total; /* a video's count is known once it is open */
        st = run_stages(r, b);
        if (st) {
            pl_batch_free(b);
            break;
        }
        /* The writers take the batch over; the stages go on with the next one while they write. */
        if ((st = pl_writer_put(writer, b, r->owner))) {
            from_writers = 1;
            break;
        }
        uint64_t written = 0, failed = 0;
        pl_writer_counts(writer, &written, &failed);
        pl_progress_update(&prog, written, failed);
        /* A stop request (SIGINT/SIGTERM) is honoured between batches: the batches in hand are finished
         * and written everywhere, so the journal and the other writers agree. */
        if (o->stop && *o->stop) {
            stop_signal = (int)*o->stop;
            break;
        }
    }
    if (!st) st = pl_decoder_status(dec);
    pl_decoder_free(dec);
    /* Every batch the stages finished is written before returning, also after a stage's error. */
    if (st && !from_writers) {
        char saved[3072];
        snprintf(saved, sizeof saved, "%s", hv_last_error());
        hv_status wst = pl_writer_finish(writer);
        st = wst ? hv_error(st, "%s\n(the writers also failed: %s)", saved, hv_last_error()) : hv_error(st, "%s", saved);
    } else {
        hv_status wst = pl_writer_finish(writer); /* the writers' error, when theirs stopped the run */
        if (!st) st = wst;
    }
    pl_writer_free(writer);
    if (!st && stop_signal) {
        r->sum->stop_signal = stop_signal;
        st = hv_error(HV_ERR_CANCELLED, "stopped by signal %d after %llu frame%s: finish with --resume", stop_signal,
                      (unsigned long long)r->sum->frames_done, r->sum->frames_done == 1 ? "" : "s");
    }
    if (st) {
        if (prog.mode == HV_PROGRESS_BAR) fputc('\n', stderr);
        r->sum->interrupted = 1;
        return st;
    }
    pl_progress_finish(&prog, r->sum->frames_done, r->sum->failed);
    return HV_OK;
}

/* Write summary.json; when that fails after an earlier error, the returned error keeps the earlier
 * message and says the summary could not be written (and why), so no failure is silent. */
static hv_status write_summary(const hv_pipeline_summary *sum, const char *dir, hv_status st) {
    char saved[3072];
    snprintf(saved, sizeof saved, "%s", hv_last_error());
    char *path = join_path(dir, "summary.json");
    hv_status wst = path ? hv_pipeline_summary_write_json(sum, path) : hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    free(path);
    if (!wst) {
        if (st) hv_error(st, "%s", saved);
        return st;
    }
    if (!st) return wst;
    char why[1024];
    snprintf(why, sizeof why, "%s", hv_last_error());
    return hv_error(st, "%s\n(summary.json was not written either: %s)", saved, why);
}

hv_status hv_pipeline_run(hv_pipeline *p, const hv_pipeline_run_options *options, hv_pipeline_summary *sum) {
    if (!sum) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_pipeline_run: summary is NULL");
    memset(sum, 0, sizeof *sum);
    if (!p) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_pipeline_run: pipeline is NULL");
    hv_pipeline_run_options defaults;
    if (!options) {
        hv_pipeline_run_options_init(&defaults);
        options = &defaults;
    }
    if (p->ran) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: a pipeline runs once; load it again for another run", p->file);
    p->ran = 1;
    if (!options->output_dir || !*options->output_dir)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: no output folder: pass --output DIR", p->file);
    const char *input = options->input ? options->input : p->source;
    if (!input)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: no frames to read: the pipeline has no `source`; pass --input PATH",
                        p->file);
    hv_status st = hv_mkdirs(options->output_dir);
    if (st) return st;
    int lock = -1;
    if ((st = pl_lock_acquire(options->output_dir, &lock))) return st;
    /* A video is not a list of image files: its frames come from a SOURCE component (source.h), the
     * one the pipeline names, or `video` when the input is a video file (recognised by its first bytes). */
    const char *component = p->source_component;
    if (!component && pl_is_video_file(input)) component = "video";
    int64_t limit = options->limit > 0 ? options->limit : p->limit;
    hv_frame_list *list = NULL;
    pl_source *src = NULL;
    pl_path_set done;
    memset(&done, 0, sizeof done);
    if ((st = pl_fingerprint_apply(p, options->output_dir, options->resume)) ||
        (!component && (st = hv_frame_list_open(input, p->recursive, &list)))) {
        pl_lock_release(lock);
        return st;
    }
    size_t n = list ? hv_frame_list_count(list) : 0;
    if (list && limit > 0 && (uint64_t)limit * (uint64_t)p->every < n) n = (size_t)limit * (size_t)p->every;
    size_t *todo = NULL, n_todo = 0, n_wanted = 0;
    run_state r = {.p = p, .sum = sum};
    double t0 = pl_now();
    hv_transfer_stats xfer0;
    hv_device_transfer_stats(p->device, &xfer0);
    int prepared = 0;
    hv_stage_context sctx = {.output_dir = options->output_dir, .resume = options->resume != 0, .batch = p->batch};
    if (component) {
        st = load_done(p, options, &done);
        if (!st) st = pl_source_open(p, component, input, (uint64_t)p->every, limit, p->fps, &done, &sctx, &src);
    } else {
        st = plan_frames(p, options, list, n, &todo, &n_todo, &n_wanted);
    }
    if (!st && !(st = create_outputs(p, options))) {
        prepared = 1;
        sum->frames_in = n_wanted;
        sum->skipped_resume = n_wanted - n_todo;
        if (src) {
            hv_log_info("%s: frames of %s (source component %s, every %lld)", p->name, input, component,
                        (long long)p->every);
        } else {
            hv_log_info("%s: %zu frame%s from %s", p->name, n_wanted, n_wanted == 1 ? "" : "s", input);
            if (sum->skipped_resume)
                hv_log_info("resume: skipping %llu finished frame%s, %zu to go", (unsigned long long)sum->skipped_resume,
                            sum->skipped_resume == 1 ? "" : "s", n_todo);
        }
        st = run_frames(&r, options, list, todo, n_todo, src, &t0);
        if (src) {
            sum->frames_in = pl_source_wanted(src);
            sum->skipped_resume = pl_source_skipped(src);
            if (sum->skipped_resume)
                hv_log_info("resume: skipped %llu finished frame%s without decoding them",
                            (unsigned long long)sum->skipped_resume, sum->skipped_resume == 1 ? "" : "s");
        }
    }
    /* Flush (finalise) the stages and writers only when every frame went through: after an error or a
     * stop request their per-batch output is already durable, and finalising would end what --resume
     * must continue (writer.coco turns its journal, the .partial file, into the final files). */
    if (prepared && !st) st = flush_all(p);
    sum->wall_seconds = pl_now() - t0;
    sum->frames_per_second = sum->wall_seconds > 0 ? (double)sum->frames_done / sum->wall_seconds : 0;
    hv_device_transfer_stats(p->device, &sum->transfers);
    sum->transfers.uploads -= xfer0.uploads, sum->transfers.upload_bytes -= xfer0.upload_bytes;
    sum->transfers.downloads -= xfer0.downloads, sum->transfers.download_bytes -= xfer0.download_bytes;
    sum->transfers.submits -= xfer0.submits;
    const hv_device_info *dinfo = hv_device_get_info(p->device);
    snprintf(sum->device, sizeof sum->device, "%s", dinfo ? dinfo->name : "");
    if (dinfo && !dinfo->host) {
        uint64_t mem_now = 0, mem_peak = 0;
        hv_device_memory_usage(p->device, &mem_now, &mem_peak);
        hv_log_info("device memory: peak %.1f MiB, %.1f MiB held at the end (%u distinct weight blocks, each shared by the plans that use it)",
                    mem_peak / 1048576.0, mem_now / 1048576.0, hv_weight_block_count(p->device));
    }
    hv_status cst = copy_stats(p, sum);
    if (!st) st = cst;
    if (prepared) st = write_summary(sum, options->output_dir, st);
    free(todo);
    pl_source_free(src);
    pl_path_set_free(&done);
    free(r.sub);
    free(r.wsub);
    free(r.owner);
    hv_frame_list_free(list);
    pl_lock_release(lock);
    return st;
}
