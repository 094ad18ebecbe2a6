/* The device choice rule as a pure function over a list of infos, so it can be unit-tested with
 * fake lists: best type first (discrete > integrated > virtual > CPU > other), ties by index — except
 * that hemovk's CPU backend (the `host` entry) beats a Vulkan device that is itself a CPU (lavapipe,
 * SwiftShader): on a machine without a GPU the default is the optimised CPU backend, not Vulkan shaders
 * compiled for the CPU. A selector picks by index ("1") or case-insensitive name substring; "vulkan"
 * picks the best Vulkan device (never the CPU backend), "cpu" the CPU backend (its name begins with
 * it); a selector that matches nothing is an error listing every device. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hemovk/device.h"

const char *hv_device_type_name(hv_device_type type) {
    switch (type) {
    case HV_DEVICE_DISCRETE: return "discrete GPU";
    case HV_DEVICE_INTEGRATED: return "integrated GPU";
    case HV_DEVICE_VIRTUAL: return "virtual GPU";
    case HV_DEVICE_CPU: return "CPU";
    default: return "other";
    }
}

static bool contains_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    if (n == 0) return true;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return true;
    }
    return false;
}

/* "0: name [type]; 1: ..." for error messages. */
static void list_devices(const hv_device_info *infos, uint32_t count, char *out, size_t cap) {
    size_t len = 0;
    out[0] = 0;
    if (count == 0) {
        snprintf(out, cap, "(none: no Vulkan device was found)");
        return;
    }
    for (uint32_t i = 0; i < count && len < cap; i++) {
        int w = snprintf(out + len, cap - len, "%s%u: %s [%s]", i ? "; " : "", i, infos[i].name,
                         hv_device_type_name(infos[i].type));
        if (w < 0) break;
        len += (size_t)w;
    }
}

static int rank(hv_device_type t) { return (t >= HV_DEVICE_DISCRETE && t <= HV_DEVICE_OTHER) ? (int)t : 4; }

hv_status hv_device_choose(const hv_device_info *infos, uint32_t count, const char *selector, uint32_t *chosen) {
    if (!chosen || (!infos && count)) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_device_choose: NULL argument");
    char listing[2048];
    if (count == 0)
        return hv_error(HV_ERR_NOT_FOUND, "no Vulkan device found; install a Vulkan driver (CPU-only machines: "
                        "Debian's mesa-vulkan-drivers provides lavapipe)");

    /* Trim the selector. */
    char sel[256] = "";
    if (selector) {
        while (isspace((unsigned char)*selector)) selector++;
        snprintf(sel, sizeof sel, "%s", selector);
        size_t n = strlen(sel);
        while (n && isspace((unsigned char)sel[n - 1])) sel[--n] = 0;
    }

    if (sel[0]) {
        bool numeric = true;
        for (const char *c = sel; *c; c++) numeric = numeric && isdigit((unsigned char)*c);
        if (numeric) {
            unsigned long idx = strtoul(sel, NULL, 10);
            if (strlen(sel) > 9 || idx >= count) {
                list_devices(infos, count, listing, sizeof listing);
                return hv_error(HV_ERR_NOT_FOUND, "device index %s does not exist (%u device%s: %s)", sel, count,
                                count == 1 ? "" : "s", listing);
            }
            *chosen = (uint32_t)idx;
            return HV_OK;
        }
    }

    bool vulkan_only = !strcasecmp(sel, "vulkan");
    int best = -1, host = -1;
    for (uint32_t i = 0; i < count; i++) {
        if (infos[i].host) {
            if (!vulkan_only && (!sel[0] || contains_nocase(infos[i].name, sel))) host = (int)i;
            continue;
        }
        if (sel[0] && !vulkan_only && !contains_nocase(infos[i].name, sel)) continue;
        if (best < 0 || rank(infos[i].type) < rank(infos[best].type)) best = (int)i;
    }
    /* the CPU backend (when the selector allows it) unless a matching Vulkan device is a real GPU */
    if (host >= 0 && (best < 0 || rank(infos[best].type) >= rank(HV_DEVICE_CPU))) best = host;
    if (best < 0) {
        list_devices(infos, count, listing, sizeof listing);
        return hv_error(HV_ERR_NOT_FOUND, "no device matches \"%s\" (by index or name substring); devices: %s", sel,
                        listing);
    }
    *chosen = (uint32_t)best;
    return HV_OK;
}
