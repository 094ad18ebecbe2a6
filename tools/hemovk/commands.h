/* The `hemovk` program's subcommands: one file each (cmd_<name>.c), dispatched by main.c.
 *
 * Exit codes (documented in --help and README.md):
 *   0  success
 *   1  the run finished, but some frames failed (they are listed in the summary; results kept)
 *   2  usage error (bad command line)
 *   3  invalid input: a pipeline, schema, weights or image problem named in the message
 *   4  device error: no such device, Vulkan failure, GPU out of memory
 *   5  plugin error: a plugin could not be loaded or has the wrong ABI
 *   70 internal error (a bug: please report it) */
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
    HV_EXIT_INTERNAL = 70
};

/** Map a failed hv_status to the documented exit code. */
int hv_cli_exit_code(hv_status status);

/** Print the last error (hv_last_error) as "hemovk: error: ..." and return the exit code for it. */
int hv_cli_fail(hv_status status);

int hv_cmd_devices(int argc, char **argv);
int hv_cmd_plugins(int argc, char **argv);
int hv_cmd_validate(int argc, char **argv);
int hv_cmd_run(int argc, char **argv);

#endif
