/* hemovk run — run a pipeline over an exam:
 *
 *   hemovk run PIPELINE.yaml --output DIR [--input PATH] [--resume] [--batch N] [--limit N]
 *              [--device SEL] [--progress auto|bar|lines|none] [--allow-outside-output] [--decode-budget MIB]
 *
 * Results go to DIR as the pipeline's outputs say, plus DIR/summary.json. Progress and the final
 * summary go to stderr. SIGINT / SIGTERM stop the run after the batch in hand (summary written, exit
 * 130 / 143); a second one exits at once. Exit codes: see commands.h. */
#include "commands.h"

#include "hemovk/pipeline.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The signal that asked the run to stop (0: none). The first SIGINT/SIGTERM only sets it — the
 * scheduler finishes the batch in hand, writes the summary and returns; a second one means "now". */
static volatile sig_atomic_t g_stop;

static void on_stop_signal(int sig) {
    if (g_stop) _exit(HV_EXIT_SIGNAL_BASE + sig);
    g_stop = sig;
    static const char msg[] = "\nhemovk: stopping after the current batch (again to stop at once)\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
}

static void install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: hemovk run PIPELINE.yaml --output DIR [--input PATH] [--resume] [--batch N] [--limit N]\n"
            "                  [--device SEL] [--progress auto|bar|lines|none] [--allow-outside-output]\n"
            "                  [--decode-budget MIB]\n"
            "  --input PATH   frames: a folder, a glob (quote it), a list file (.txt/.lst) or one image;\n"
            "                 overrides the pipeline's `source`\n"
            "  --output DIR   where the outputs and summary.json go (created if missing)\n"
            "  --resume       skip frames already written to DIR by an earlier (killed) run; refused when the\n"
            "                 pipeline, its weights or hemovk changed since (DIR/.hemovk-run.json)\n"
            "  --batch N      frames per batch (overrides the pipeline's `batch`)\n"
            "  --limit N      only the first N frames (natural order)\n"
            "  --device SEL   Vulkan device by index or name substring (overrides the pipeline's `device`)\n"
            "  --progress M   auto (bar on a terminal, lines otherwise), bar, lines or none\n"
            "  --allow-outside-output  let an output `path` be absolute or climb out of DIR with ..\n"
            "  --decode-budget MIB  memory a batch may spend decoding frames (default 512)\n"
            "One run per DIR at a time (DIR/.hemovk.lock). SIGINT/SIGTERM finish the batch in hand, write\n"
            "summary.json and exit 130/143; a second signal exits at once.\n"
            "exit codes: 0 all frames done; 1 some frames failed (see summary.json); 2 usage;\n"
            "  3 invalid pipeline or input; 4 device error; 5 plugin error; 6 output error (disk full /\n"
            "  cannot write); 7 DIR in use by another run; 70 internal error; 130/143 stopped by a signal\n");
}

static int parse_count(const char *opt, const char *text, long long max, long long *out) {
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || v < 1 || v > max) {
        fprintf(stderr, "hemovk run: %s expects a whole number from 1 to %lld, got '%s'\n", opt, max, text);
        return 0;
    }
    *out = v;
    return 1;
}

static void print_summary(const char *name, const hv_pipeline_summary *s, const char *out_dir) {
    fprintf(stderr, "summary of '%s': %llu frames in, %llu done, %llu skipped (resume), %llu dropped, %llu failed, "
                    "%.1f s, %.2f frames/s%s\n",
            name, (unsigned long long)s->frames_in, (unsigned long long)s->frames_done,
            (unsigned long long)s->skipped_resume, (unsigned long long)s->dropped, (unsigned long long)s->failed,
            s->wall_seconds, s->frames_per_second, s->interrupted ? " (interrupted)" : "");
    if (s->device[0]) fprintf(stderr, "  device %s\n", s->device);
    for (size_t i = 0; i < s->n_stages; i++) {
        const hv_pipeline_stage_stats *t = &s->stages[i];
        fprintf(stderr, "  %-6s %-16s %-16s ran %llu, skipped by when %llu, dropped %llu, failed %llu, %.2f s\n",
                t->is_output ? "output" : "stage", t->id, t->component, (unsigned long long)t->ran,
                (unsigned long long)t->skipped_when, (unsigned long long)t->dropped, (unsigned long long)t->failed,
                t->seconds);
    }
    const hv_transfer_stats *x = &s->transfers;
    if (x->submits && s->frames_done) {
        double per = 1.0 / (double)s->frames_done;
        fprintf(stderr, "  device transfers: %llu up (%.1f MB), %llu down (%.1f MB), %llu submissions; a frame: %.1f "
                        "transfers, %.2f MB, %.1f submissions\n",
                (unsigned long long)x->uploads, (double)x->upload_bytes / 1e6, (unsigned long long)x->downloads,
                (double)x->download_bytes / 1e6, (unsigned long long)x->submits, (double)(x->uploads + x->downloads) * per,
                (double)(x->upload_bytes + x->download_bytes) / 1e6 * per, (double)x->submits * per);
    }
    const size_t show = 10;
    for (size_t i = 0; i < s->n_failures && i < show; i++)
        fprintf(stderr, "  failed: %s\n", s->failures[i].error);
    if (s->n_failures > show) fprintf(stderr, "  ... and %zu more failed frames\n", s->n_failures - show);
    fprintf(stderr, "  details: %s/summary.json\n", out_dir);
}

int hv_cmd_run(int argc, char **argv) {
    const char *pipeline = NULL, *device = NULL;
    hv_pipeline_run_options ro;
    hv_pipeline_run_options_init(&ro);
    long long batch = 0, limit = 0, budget_mib = 0;
    int allow_outside = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return HV_EXIT_OK;
        } else if (!strcmp(a, "--input") && has) {
            ro.input = argv[++i];
        } else if (!strcmp(a, "--output") && has) {
            ro.output_dir = argv[++i];
        } else if (!strcmp(a, "--resume")) {
            ro.resume = 1;
        } else if (!strcmp(a, "--batch") && has) {
            if (!parse_count(a, argv[++i], 4096, &batch)) return HV_EXIT_USAGE;
        } else if (!strcmp(a, "--limit") && has) {
            if (!parse_count(a, argv[++i], (long long)1 << 40, &limit)) return HV_EXIT_USAGE;
        } else if (!strcmp(a, "--allow-outside-output")) {
            allow_outside = 1;
        } else if (!strcmp(a, "--decode-budget") && has) {
            if (!parse_count(a, argv[++i], 1 << 20, &budget_mib)) return HV_EXIT_USAGE;
        } else if (!strcmp(a, "--device") && has) {
            device = argv[++i];
        } else if (!strcmp(a, "--progress") && has) {
            const char *m = argv[++i];
            if (!strcmp(m, "auto")) ro.progress = HV_PROGRESS_AUTO;
            else if (!strcmp(m, "bar")) ro.progress = HV_PROGRESS_BAR;
            else if (!strcmp(m, "lines")) ro.progress = HV_PROGRESS_LINES;
            else if (!strcmp(m, "none")) ro.progress = HV_PROGRESS_NONE;
            else {
                fprintf(stderr, "hemovk run: --progress expects auto, bar, lines or none, got '%s'\n", m);
                return HV_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "hemovk run: unknown option '%s' (or it lacks its value)\n", a);
            usage(stderr);
            return HV_EXIT_USAGE;
        } else if (!pipeline) {
            pipeline = a;
        } else {
            fprintf(stderr, "hemovk run: one pipeline at a time ('%s' and '%s')\n", pipeline, a);
            return HV_EXIT_USAGE;
        }
    }
    if (!pipeline || !ro.output_dir) {
        fprintf(stderr, "hemovk run: %s\n", !pipeline ? "no pipeline file given" : "--output DIR is required");
        usage(stderr);
        return HV_EXIT_USAGE;
    }
    ro.limit = limit;
    ro.decode_budget_bytes = (uint64_t)budget_mib << 20;
    ro.stop = &g_stop;
    if (!device) device = hv_cli_device; /* `hemovk --device X run` as `hemovk run --device X` */
    hv_pipeline_load_options lo = {.device = device, .batch = (int)batch, .allow_outside_output = allow_outside};
    hv_pipeline *p = NULL;
    install_stop_handlers();
    hv_status st = hv_pipeline_load(pipeline, &lo, &p);
    if (st) return hv_cli_fail(st);
    if (g_stop) { /* stopped while loading: nothing was written, nothing to finish */
        hv_pipeline_free(p);
        fprintf(stderr, "hemovk: stopped by signal %d before the run started\n", (int)g_stop);
        return HV_EXIT_SIGNAL_BASE + (int)g_stop;
    }
    hv_pipeline_summary sum;
    st = hv_pipeline_run(p, &ro, &sum);
    if (sum.frames_in || sum.skipped_resume || sum.frames_done) print_summary(hv_pipeline_name(p), &sum, ro.output_dir);
    int rc = st ? hv_cli_fail(st) : (sum.failed ? HV_EXIT_PARTIAL : HV_EXIT_OK);
    if (st == HV_ERR_CANCELLED && sum.stop_signal > 0) rc = HV_EXIT_SIGNAL_BASE + sum.stop_signal;
    hv_pipeline_summary_free(&sum);
    hv_pipeline_free(p);
    return rc;
}
