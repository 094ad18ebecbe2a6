/* The `hemovk` program's subcommands: one file each (cmd_<name>.c), dispatched by main.c.
 *
 * Exit codes (documented in --help and README.md):
 *   0  success
 *   1  the run finished, but some frames failed (they are listed in the summary; results kept)
 *   2  usage error (bad command line)
 *   3  invalid input: a pipeline, schema, weights or image problem named in the message
 *   4  device error: no such device, Vulkan failure, GPU out of memory
 *   5  plugin error: a plugin could not be loaded or has the wrong ABI
 *   6  output error: an output could not be written (disk full, quota, read-only or failing disk); the
 *      run stopped, every file reported written is complete, summary.json says how far it got
 *   7  the output folder is in use by another run (its lock file OUT/.hemovk.lock names the holder)
 *   70 internal error (a bug: please report it)
 *   130, 143  the run was stopped by SIGINT / SIGTERM (128 + the signal): the batch in hand was finished
 *      and summary.json written; `hemovk run --resume` goes on. A second signal exits at once. */
#ifndef HEMOVK_CLI_COMMANDS_H
#define HEMOVK_CLI_COMMANDS_H

#include "hemovk/status.h"

enum {
    HV_EXIT_OK = 0,
    HV_EXIT_PARTIAL = 1,
    HV_EXIT_USAGE = 2,
    HV_EXIT_INPUT = 3,
    HV_EXIT_DEVICE = 4,
    HV_EXIT_PLUGIN = 5,
    HV_EXIT_OUTPUT = 6,
    HV_EXIT_BUSY = 7,
    HV_EXIT_INTERNAL = 70,
    HV_EXIT_SIGNAL_BASE = 128
};

/** The global `--device SEL` (before the command), or NULL. Commands that open a device use it before
 *  HEMOVK_DEVICE, and name where the selector came from in their errors. */
extern const char *hv_cli_device;

/** Map a failed hv_status to the documented exit code. */
int hv_cli_exit_code(hv_status status);

/** Print the last error (hv_last_error) as "hemovk: error: ..." and return the exit code for it. */
int hv_cli_fail(hv_status status);

int hv_cmd_devices(int argc, char **argv);
int hv_cmd_plugins(int argc, char **argv);
int hv_cmd_validate(int argc, char **argv);
int hv_cmd_run(int argc, char **argv);
int hv_cmd_gt(int argc, char **argv);
int hv_cmd_eval(int argc, char **argv);

struct hv_eval_gt;
struct hv_eval_warnings;
/** The "ground truth X: N images (…), M instances; K disagreements: …" summary on stderr (cmd_gt.c). */
void hv_cli_print_gt_summary(const char *source, const struct hv_eval_gt *gt, const struct hv_eval_warnings *w);

#endif
