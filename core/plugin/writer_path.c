/* Where a writer writes (hemovk/plugin.h, hv_writer_output_path). */
#include "hemovk/plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hv_status hv_writer_output_path(const hv_create_info *info, const char *component, const char *default_name,
                                char **out) {
    if (!info || !component || !default_name || !out)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_writer_output_path: NULL argument");
    *out = NULL;
    const char *given = HV_CREATE_INFO_HAS(info, output_path) ? info->output_path : NULL;
    const char *dir = HV_CREATE_INFO_HAS(info, output_dir) ? info->output_dir : NULL;
    if (given && *given) {
        *out = strdup(given);
    } else if (dir && *dir) {
        size_t n = strlen(dir) + strlen(default_name) + 2;
        if ((*out = malloc(n))) snprintf(*out, n, "%s/%s", dir, default_name);
    } else {
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "%s '%s': no output folder: a writer runs inside `hemovk run ... --output DIR`", component,
                        info->instance_id ? info->instance_id : "");
    }
    return *out ? HV_OK : hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", component);
}
