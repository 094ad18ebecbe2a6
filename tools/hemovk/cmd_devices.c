/* hemovk devices [--json] — every Vulkan device with its type, driver, API version, ids, memory
 * heaps, detected optional features (after HEMOVK_DISABLE_*) and key limits, then the CPU backend
 * ("cpu": oneDNN, its threads); the device a run would use by default (--device / HEMOVK_DEVICE, else
 * the choice rule) is marked with '*'. */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/device.h"

static const char *component_type(uint32_t t) {
    static const char *names[] = {"f16", "f32", "f64", "s8", "s16", "s32", "s64", "u8", "u16", "u32", "u64"};
    return t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* Subgroup operation names in VkSubgroupFeatureFlagBits order. */
static void subgroup_ops(uint32_t flags, char *out, size_t cap) {
    static const char *names[] = {"basic", "vote", "arithmetic", "ballot", "shuffle", "shuffle_relative", "clustered", "quad"};
    size_t len = 0;
    out[0] = 0;
    for (unsigned i = 0; i < 8; i++)
        if (flags & (1u << i)) {
            int w = snprintf(out + len, cap - len, "%s%s", len ? "," : "", names[i]);
            if (w < 0 || (size_t)w >= cap - len) break;
            len += (size_t)w;
        }
}

static void api_version(uint32_t v, char *out, size_t cap) {
    snprintf(out, cap, "%u.%u.%u", (v >> 22) & 0x7fu, (v >> 12) & 0x3ffu, v & 0xfffu);
}

/* JSON string with the few escapes device names can need. */
static void json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void print_text(const hv_device_info *d, bool chosen) {
    if (d->host) { /* the CPU backend: no Vulkan properties to show */
        printf("%s %u: %s\n", chosen ? "*" : " ", d->index, d->name);
        printf("    type            CPU backend (not Vulkan): heavy ops through %s, the rest in C\n", d->driver_info);
        printf("    threads         %u (HEMOVK_THREADS)\n", d->threads);
        printf("    select with     --device cpu  or  HEMOVK_DEVICE=cpu\n");
        return;
    }
    char api[32], ops[128];
    api_version(d->api_version, api, sizeof api);
    subgroup_ops(d->subgroup_supported_ops, ops, sizeof ops);
    printf("%s %u: %s\n", chosen ? "*" : " ", d->index, d->name);
    printf("    type            %s\n", hv_device_type_name(d->type));
    printf("    driver          %s%s%s\n", d->driver_name[0] ? d->driver_name : "(unknown)", d->driver_info[0] ? " — " : "",
           d->driver_info);
    printf("    Vulkan          %s (driver version 0x%08x)\n", api, d->driver_version);
    printf("    vendor/device   0x%04x / 0x%04x\n", d->vendor_id, d->device_id);
    for (uint32_t h = 0; h < d->heap_count; h++)
        printf("    heap %u          %.2f GiB%s\n", h, (double)d->heap_size[h] / (1024.0 * 1024.0 * 1024.0),
               d->heap_device_local[h] ? " device-local" : "");
    printf("    fp16 %s, storage16 %s, int8 %s, subgroup size %u (%s; hemovk subgroup ops %s)\n", d->float16 ? "yes" : "no",
           d->storage16 ? "yes" : "no", d->int8 ? "yes" : "no", d->subgroup_size, ops[0] ? ops : "none",
           d->subgroup_ops ? "yes" : "no");
    printf("    cooperative matrix %s", d->coopmat ? "yes" : "no");
    for (uint32_t i = 0; i < d->coopmat_shape_count; i++) {
        const hv_coopmat_shape *s = &d->coopmat_shapes[i];
        printf("%s%ux%ux%u %s*%s+%s", i ? ", " : ": ", s->m, s->n, s->k, component_type(s->a_type),
               component_type(s->b_type), component_type(s->c_type));
    }
    printf("\n");
    printf("    limits          storage buffer range %.0f MiB, allocation %.0f MiB, shared memory %u KiB,\n"
           "                    workgroup %u invocations (%u x %u x %u), push constants %u B, timestamps %s\n",
           (double)d->max_storage_buffer_range / 1048576.0, (double)d->max_memory_allocation_size / 1048576.0,
           d->max_shared_memory / 1024, d->max_workgroup_invocations, d->max_workgroup_size[0], d->max_workgroup_size[1],
           d->max_workgroup_size[2], d->max_push_constants, d->timestamp_period_ns > 0 ? "yes" : "no");
}

static void print_json(const hv_device_info *d, bool chosen, bool last) {
    char api[32], ops[128];
    api_version(d->api_version, api, sizeof api);
    subgroup_ops(d->subgroup_supported_ops, ops, sizeof ops);
    printf("  {\"index\": %u, \"default\": %s, \"name\": ", d->index, chosen ? "true" : "false");
    json_str(d->name);
    printf(", \"host\": %s, \"threads\": %u", d->host ? "true" : "false", d->threads);
    printf(", \"type\": ");
    json_str(hv_device_type_name(d->type));
    printf(", \"driver_name\": ");
    json_str(d->driver_name);
    printf(", \"driver_info\": ");
    json_str(d->driver_info);
    printf(", \"api_version\": \"%s\", \"driver_version\": %u, \"vendor_id\": %u, \"device_id\": %u,\n", api,
           d->driver_version, d->vendor_id, d->device_id);
    printf("   \"heaps\": [");
    for (uint32_t h = 0; h < d->heap_count; h++)
        printf("%s{\"size\": %llu, \"device_local\": %s}", h ? ", " : "", (unsigned long long)d->heap_size[h],
               d->heap_device_local[h] ? "true" : "false");
    printf("],\n   \"fp16\": %s, \"storage16\": %s, \"int8\": %s, \"subgroup_size\": %u, \"subgroup_ops\": %s, "
           "\"subgroup_supported\": \"%s\",\n",
           d->float16 ? "true" : "false", d->storage16 ? "true" : "false", d->int8 ? "true" : "false", d->subgroup_size,
           d->subgroup_ops ? "true" : "false", ops);
    printf("   \"coopmat\": %s, \"coopmat_shapes\": [", d->coopmat ? "true" : "false");
    for (uint32_t i = 0; i < d->coopmat_shape_count; i++) {
        const hv_coopmat_shape *s = &d->coopmat_shapes[i];
        printf("%s{\"m\": %u, \"n\": %u, \"k\": %u, \"a\": \"%s\", \"b\": \"%s\", \"c\": \"%s\"}", i ? ", " : "", s->m,
               s->n, s->k, component_type(s->a_type), component_type(s->b_type), component_type(s->c_type));
    }
    printf("],\n   \"max_storage_buffer_range\": %llu, \"max_memory_allocation_size\": %llu, \"max_shared_memory\": %u, "
           "\"max_workgroup_invocations\": %u, \"max_workgroup_size\": [%u, %u, %u], \"max_push_constants\": %u, "
           "\"timestamp_period_ns\": %g}%s\n",
           (unsigned long long)d->max_storage_buffer_range, (unsigned long long)d->max_memory_allocation_size,
           d->max_shared_memory, d->max_workgroup_invocations, d->max_workgroup_size[0], d->max_workgroup_size[1],
           d->max_workgroup_size[2], d->max_push_constants, (double)d->timestamp_period_ns, last ? "" : ",");
}

int hv_cmd_devices(int argc, char **argv) {
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: hemovk [--device SEL] devices [--json]\n"
                   "Lists every Vulkan device, then hemovk's CPU backend (\"cpu\"); '*' marks the one a run would\n"
                   "use (--device / HEMOVK_DEVICE, else discrete > integrated > virtual > CPU). Features already\n"
                   "reflect HEMOVK_DISABLE_*.\n");
            return HV_EXIT_OK;
        } else {
            fprintf(stderr, "hemovk devices: unknown argument '%s' (try hemovk devices --help)\n", argv[i]);
            return HV_EXIT_USAGE;
        }
    }
    const hv_device_info *infos = NULL;
    uint32_t count = 0;
    hv_status st = hv_device_list(&infos, &count);
    if (st) return hv_cli_fail(st);
    uint32_t chosen = UINT32_MAX;
    const char *sel = hv_cli_device ? hv_cli_device : getenv("HEMOVK_DEVICE");
    hv_status choose = count ? hv_device_choose(infos, count, sel, &chosen) : HV_OK;
    if (choose) hv_error_context(choose, "choosing the device \"%s\" (from %s)", sel ? sel : "",
                                 hv_cli_device ? "--device" : "HEMOVK_DEVICE");
    if (json) printf("[\n");
    for (uint32_t i = 0; i < count; i++) {
        if (json) print_json(&infos[i], i == chosen, i + 1 == count);
        else print_text(&infos[i], i == chosen);
    }
    if (json) printf("]\n");
    if (count == 0) {
        fprintf(stderr, "hemovk: no Vulkan device found; install a Vulkan driver (CPU-only: mesa-vulkan-drivers)\n");
        return HV_EXIT_DEVICE;
    }
    if (choose) { /* HEMOVK_DEVICE / --device names no device: a device error, not bad input */
        hv_cli_fail(choose);
        return HV_EXIT_DEVICE;
    }
    return HV_EXIT_OK;
}
