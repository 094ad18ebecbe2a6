/* Lookup of embedded SPIR-V by name. A linear scan: it runs once per pipeline build (pipelines are
 * cached), and it does not depend on how CMake sorted the table. */
#include "vulkan/shaders.h"

#include <string.h>

const hv_shader_entry *hv_shader_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < hv_shader_count; i++)
        if (strcmp(name, hv_shader_table[i].name) == 0) return &hv_shader_table[i];
    return NULL;
}
