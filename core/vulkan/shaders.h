/* core/vulkan/shaders.h — the table of SPIR-V blobs embedded at build time (cmake/Shaders.cmake
 * generates build/generated/shader_registry.c with one entry per variant of each shaders/NAME.comp). */
#ifndef HEMOVK_CORE_VULKAN_SHADERS_H
#define HEMOVK_CORE_VULKAN_SHADERS_H

#include <stddef.h>
#include <stdint.h>

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

/** The blob called `name`, or NULL when no shader of that name was embedded. */
const hv_shader_entry *hv_shader_find(const char *name);

#endif
