/* core/vulkan/shaders.h — the table of SPIR-V blobs embedded at build time (cmake/Shaders.cmake
 * generates build/generated/shader_registry.c with one entry per variant of each shaders/NAME.comp). */
#ifndef HEMOVK_CORE_VULKAN_SHADERS_H
#define HEMOVK_CORE_VULKAN_SHADERS_H

#include <stddef.h>
#include <stdint.h>

#include "hemovk/status.h"

/** One embedded blob: its name ("<stem>" or "<stem>_<variant>"), words and size in bytes. */
typedef struct {
    const char *name;
    const uint32_t *code;
    const size_t *size;
} hv_shader_entry;

/** The generated table, sorted by name and terminated by a {NULL, NULL, NULL} entry. */
extern const hv_shader_entry hv_shader_table[];
/** Number of real entries in hv_shader_table. */
extern const size_t hv_shader_count;

/** The blob called `name`: an embedded one, else one added by hv_shader_register; NULL when none. */
const hv_shader_entry *hv_shader_find(const char *name);

/** Add a SPIR-V blob under `name` (copied) for the rest of the process, or until hv_shader_unregister:
 *  custom ops' shaders (core/ops/custom_op.c). Fails when the name is taken. */
hv_status hv_shader_register(const char *name, const uint32_t *code, size_t bytes);

/** Remove a blob hv_shader_register added (no-op for unknown names). */
void hv_shader_unregister(const char *name);

#endif
