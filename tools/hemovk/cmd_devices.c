/* hemovk devices — placeholder until its issue lands: says so instead of pretending to work. */
#include "commands.h"

#include <stdio.h>

int hv_cmd_devices(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "hemovk: 'devices' is not implemented in this build yet\n");
    return HV_EXIT_INTERNAL;
}
