/* hemovk — command-line entry point: parses the global options and dispatches to a subcommand. */
#include "commands.h"

#include "hemovk/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command k_commands[] = {
    {"run", hv_cmd_run, "run a pipeline: hemovk run PIPELINE.yaml --input PATH --output DIR"},
    {"validate", hv_cmd_validate, "check a pipeline file against the schemas without running it"},
    {"devices", hv_cmd_devices, "list Vulkan devices and the CPU backend, with their type, driver and features"},
    {"plugins", hv_cmd_plugins, "list plugins, their versions, components and parameters"},
    {"gt", hv_cmd_gt, "ground truth for eval: hemovk gt WCEBleedGen_DIR --output gt.json [--split val]"},
    {"eval", hv_cmd_eval, "measure accuracy: hemovk eval --ground-truth GT --results RUN_DIR [--split val]"},
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: hemovk [--device SEL] [--threads N] [--log LEVEL] COMMAND [ARGS]\n"
            "       hemovk --version | --help\n\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        fprintf(f, "  %-9s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(f,
            "\nglobal options:\n"
            "  --device SEL  device by index or name substring (also HEMOVK_DEVICE): \"cpu\" is hemovk's\n"
            "                CPU backend, \"vulkan\" the best Vulkan device; default: discrete > integrated >\n"
            "                virtual GPU > the CPU backend > a Vulkan CPU device (lavapipe)\n"
            "  --threads N   threads of the CPU backend (also HEMOVK_THREADS; default: every core)\n"
            "  --log LEVEL   error, warn, info or debug (also HEMOVK_LOG)\n\n"
            "environment: HEMOVK_DEVICE, HEMOVK_THREADS, HEMOVK_LOG, HEMOVK_VALIDATE=1 (Khronos validation layer),\n"
            "  HEMOVK_PROFILE=1 (per-op GPU times), HEMOVK_PLUGIN_PATH (extra plugin folders),\n"
            "  HEMOVK_DISABLE_FP16, HEMOVK_DISABLE_STORAGE16, HEMOVK_DISABLE_INT8,\n"
            "  HEMOVK_DISABLE_SUBGROUP, HEMOVK_DISABLE_COOPMAT (turn optional features off)\n\n"
            "exit codes: 0 success; 1 some frames failed (results kept); 2 usage error;\n"
            "  3 invalid input (pipeline, schema, weights, image); 4 device error; 5 plugin error;\n"
            "  6 output error (disk full / cannot write); 7 output folder in use by another run;\n"
            "  70 internal error; 130 / 143 stopped by SIGINT / SIGTERM (resume with --resume)\n");
}

int hv_cli_exit_code(hv_status status) {
    switch (status) {
    case HV_OK: return HV_EXIT_OK;
    case HV_ERR_INVALID_ARGUMENT:
    case HV_ERR_IO:
    case HV_ERR_PARSE:
    case HV_ERR_SCHEMA:
    case HV_ERR_SHAPE:
    case HV_ERR_DECODE:
    case HV_ERR_NOT_FOUND: return HV_EXIT_INPUT;
    case HV_ERR_UNSUPPORTED:
    case HV_ERR_DEVICE_OUT_OF_MEMORY:
    case HV_ERR_VULKAN: return HV_EXIT_DEVICE;
    case HV_ERR_ABI: return HV_EXIT_PLUGIN;
    case HV_ERR_OUTPUT: return HV_EXIT_OUTPUT;
    case HV_ERR_BUSY: return HV_EXIT_BUSY;
    case HV_ERR_CANCELLED: return HV_EXIT_PARTIAL;
    case HV_ERR_OUT_OF_MEMORY:
    case HV_ERR_INTERNAL: return HV_EXIT_INTERNAL;
    }
    return HV_EXIT_INTERNAL;
}

int hv_cli_fail(hv_status status) {
    const char *msg = hv_last_error();
    fprintf(stderr, "hemovk: error: %s\n", msg && *msg ? msg : hv_status_name(status));
    return hv_cli_exit_code(status);
}

const char *hv_cli_device = NULL;

/* The levels hv_log understands (HEMOVK_LOG): anything else would silently mean "info". */
static int log_level_ok(const char *v) {
    static const char *const ok[] = {"error", "warn", "warning", "info", "debug"};
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
        if (!strcasecmp(v, ok[k])) return 1;
    return 0;
}

int main(int argc, char **argv) {
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return HV_EXIT_OK;
        } else if (!strcmp(a, "--version")) {
            printf("hemovk %s\n", HEMOVK_VERSION);
            return HV_EXIT_OK;
        } else if (!strcmp(a, "--device") && i + 1 < argc) {
            hv_cli_device = argv[++i];
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            const char *v = argv[++i];
            char *end = NULL;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 1 || n > 256) {
                fprintf(stderr, "hemovk: --threads expects a number from 1 to 256, got '%s'\n", v);
                return HV_EXIT_USAGE;
            }
            setenv("HEMOVK_THREADS", v, 1); /* read by the CPU backend when it starts */
        } else if (!strcmp(a, "--log") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!log_level_ok(v)) {
                fprintf(stderr, "hemovk: --log expects error, warn, info or debug, got '%s'\n", v);
                return HV_EXIT_USAGE;
            }
            setenv("HEMOVK_LOG", v, 1);
        } else {
            fprintf(stderr, "hemovk: unknown option '%s'\n\n", a);
            usage(stderr);
            return HV_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return HV_EXIT_USAGE;
    }
    const char *env_log = getenv("HEMOVK_LOG");
    if (env_log && *env_log && !log_level_ok(env_log))
        fprintf(stderr, "hemovk: warning: HEMOVK_LOG='%s' is not error, warn, info or debug; using info\n", env_log);
    for (size_t c = 0; c < sizeof k_commands / sizeof k_commands[0]; c++)
        if (!strcmp(argv[i], k_commands[c].name))
            return k_commands[c].fn(argc - i, argv + i);
    fprintf(stderr, "hemovk: unknown command '%s' (try hemovk --help)\n", argv[i]);
    return HV_EXIT_USAGE;
}
