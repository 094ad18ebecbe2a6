/* Lookup of SPIR-V by name: the blobs embedded at build time, then those registered at run time (custom
 * ops' shaders). A linear scan: it runs once per pipeline build (pipelines are cached), and it does not
 * depend on how CMake sorted the table. */
#include "vulkan/shaders.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct added_shader {
    hv_shader_entry entry;
    char *name;
    uint32_t *code;
    size_t size;
    struct added_shader *next;
} added_shader;

static added_shader *g_added;
static pthread_mutex_t g_added_lock = PTHREAD_MUTEX_INITIALIZER;

const hv_shader_entry *hv_shader_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < hv_shader_count; i++)
        if (strcmp(name, hv_shader_table[i].name) == 0) return &hv_shader_table[i];
    const hv_shader_entry *found = NULL;
    pthread_mutex_lock(&g_added_lock);
    for (added_shader *a = g_added; a && !found; a = a->next)
        if (!strcmp(a->name, name)) found = &a->entry;
    pthread_mutex_unlock(&g_added_lock);
    return found;
}

hv_status hv_shader_register(const char *name, const uint32_t *code, size_t bytes) {
    if (!name || !code || !bytes || bytes % 4)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "shader '%s': SPIR-V must be a non-empty array of 32-bit words",
                        name ? name : "");
    if (hv_shader_find(name)) return hv_error(HV_ERR_INVALID_ARGUMENT, "a shader named '%s' already exists", name);
    added_shader *a = calloc(1, sizeof *a);
    if (a) a->name = strdup(name), a->code = malloc(bytes);
    if (!a || !a->name || !a->code) {
        if (a) free(a->name), free(a->code);
        free(a);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory registering shader '%s'", name);
    }
    memcpy(a->code, code, bytes);
    a->size = bytes;
    a->entry = (hv_shader_entry){a->name, a->code, &a->size};
    pthread_mutex_lock(&g_added_lock);
    a->next = g_added;
    g_added = a;
    pthread_mutex_unlock(&g_added_lock);
    return HV_OK;
}

void hv_shader_unregister(const char *name) {
    if (!name) return;
    pthread_mutex_lock(&g_added_lock);
    for (added_shader **pp = &g_added; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->name, name)) {
            added_shader *a = *pp;
            *pp = a->next;
            free(a->name);
            free(a->code);
            free(a);
            break;
        }
    pthread_mutex_unlock(&g_added_lock);
}
