/* hemovk validate — check pipeline files against schemas/pipeline.schema.* without running anything.
 *
 *   hemovk validate [--schema FILE] [--print] PIPELINE.yaml...
 *
 * Every problem is printed as "file:line:col: message" on stderr (the format editors and compilers
 * use, so terminals and IDEs make them clickable); a good file prints "FILE: valid" on stdout. With
 * --print the effective configuration (defaults filled in) is printed as JSON on stdout.
 * Exit: 0 all valid, 3 some file invalid (or unreadable), 2 usage.
 *
 * A file that passes the pipeline schema is then loaded in check-only mode: the stage graph (ids,
 * inputs, `when:` references) and every stage's params against its component's own schema (from the
 * plugins found on the search path) — still without opening a device or loading weights. Params nested
 * inside another component's params (a tta stage's inner stage, a classifier's backbone) are checked
 * when that stage is created, i.e. by `hemovk run`. */
#include "commands.h"

#include "hemovk/config.h"
#include "hemovk/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: hemovk validate [--schema FILE] [--print] [--allow-outside-output] PIPELINE.yaml...\n"
            "  checks each file against the pipeline schema (found in HEMOVK_SCHEMA_DIR, the source tree's\n"
            "  schemas/ or the installed share/hemovk/schemas) and prints every error as file:line:col.\n"
            "  --schema FILE  validate against this schema instead\n"
            "  --print        print the effective configuration (with defaults) as JSON\n"
            "  --allow-outside-output  accept output paths that are absolute or climb out with ..\n"
            "  (two outputs writing one path, or an output path outside the output folder, are errors)\n");
}

/* Validate one file; returns HV_EXIT_OK or HV_EXIT_INPUT. */
static int validate_one(const hv_config_node *schema, const char *path, int print, int allow_outside) {
    hv_config_node *doc = NULL;
    hv_status st = hv_config_load_file(path, &doc);
    if (st) {
        /* Parse errors already read "file:line:col: what"; I/O errors "file: what". */
        fprintf(stderr, "%s\n", hv_last_error());
        return hv_cli_exit_code(st);
    }
    hv_schema_errors *errs = NULL;
    st = hv_schema_validate(schema, doc, &errs);
    int rc = HV_EXIT_OK;
    if (st == HV_ERR_SCHEMA && errs) {
        for (size_t i = 0; i < hv_schema_errors_count(errs); i++) fprintf(stderr, "%s\n", hv_schema_errors_message(errs, i));
        size_t n = hv_schema_errors_count(errs);
        fprintf(stderr, "%s: invalid: %zu%s error%s\n", path, n, hv_schema_errors_truncated(errs) ? "+" : "",
                n == 1 && !hv_schema_errors_truncated(errs) ? "" : "s");
        rc = HV_EXIT_INPUT;
    } else if (st) {
        fprintf(stderr, "%s\n", hv_last_error());
        rc = hv_cli_exit_code(st);
    } else {
        hv_pipeline_load_options lo = {.check_only = 1, .allow_outside_output = allow_outside};
        hv_pipeline *pl = NULL;
        st = hv_pipeline_load(path, &lo, &pl);
        hv_pipeline_free(pl);
        if (st) {
            fprintf(stderr, "%s\n", hv_last_error());
            hv_schema_errors_free(errs);
            hv_config_free(doc);
            return hv_cli_exit_code(st);
        }
        printf("%s: valid\n", path);
        if (print) {
            char *json = NULL;
            if (hv_config_to_json(doc, &json) == HV_OK) printf("%s\n", json);
            free(json);
        }
    }
    hv_schema_errors_free(errs);
    hv_config_free(doc);
    return rc;
}

int hv_cmd_validate(int argc, char **argv) {
    const char *schema_path = NULL;
    int print = 0, first = 1, allow_outside = 0;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--schema") && first + 1 < argc) {
            schema_path = argv[++first];
        } else if (!strcmp(argv[first], "--allow-outside-output")) {
            allow_outside = 1;
        } else if (!strcmp(argv[first], "--print")) {
            print = 1;
        } else if (!strcmp(argv[first], "--help") || !strcmp(argv[first], "-h")) {
            usage(stdout);
            return HV_EXIT_OK;
        } else {
            fprintf(stderr, "hemovk validate: unknown option '%s'\n", argv[first]);
            usage(stderr);
            return HV_EXIT_USAGE;
        }
    }
    if (first >= argc) {
        usage(stderr);
        return HV_EXIT_USAGE;
    }
    char found[4096];
    if (!schema_path) {
        hv_status st = hv_schema_find("pipeline", found, sizeof found);
        if (st) return hv_cli_fail(st);
        schema_path = found;
    }
    hv_config_node *schema = NULL;
    hv_status st = hv_schema_load_file(schema_path, &schema);
    if (st) return hv_cli_fail(st);
    int rc = HV_EXIT_OK;
    for (int i = first; i < argc; i++) {
        int r = validate_one(schema, argv[i], print, allow_outside);
        if (r != HV_EXIT_OK && rc == HV_EXIT_OK) rc = r;
    }
    hv_config_free(schema);
    return rc;
}
