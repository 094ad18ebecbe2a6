/* Thread-local error messages behind hemovk/status.h. */
#include "hemovk/status.h"

#include <stdio.h>
#include <string.h>

#define HV_ERROR_CAP 2048
static _Thread_local char tl_message[HV_ERROR_CAP];

const char *hv_status_name(hv_status status) {
    switch (status) {
    case HV_OK: return "HV_OK";
    case HV_ERR_INVALID_ARGUMENT: return "HV_ERR_INVALID_ARGUMENT";
    case HV_ERR_IO: return "HV_ERR_IO";
    case HV_ERR_PARSE: return "HV_ERR_PARSE";
    case HV_ERR_SCHEMA: return "HV_ERR_SCHEMA";
    case HV_ERR_NOT_FOUND: return "HV_ERR_NOT_FOUND";
    case HV_ERR_UNSUPPORTED: return "HV_ERR_UNSUPPORTED";
    case HV_ERR_OUT_OF_MEMORY: return "HV_ERR_OUT_OF_MEMORY";
    case HV_ERR_DEVICE_OUT_OF_MEMORY: return "HV_ERR_DEVICE_OUT_OF_MEMORY";
    case HV_ERR_VULKAN: return "HV_ERR_VULKAN";
    case HV_ERR_ABI: return "HV_ERR_ABI";
    case HV_ERR_SHAPE: return "HV_ERR_SHAPE";
    case HV_ERR_DECODE: return "HV_ERR_DECODE";
    case HV_ERR_CANCELLED: return "HV_ERR_CANCELLED";
    case HV_ERR_INTERNAL: return "HV_ERR_INTERNAL";
    case HV_ERR_OUTPUT: return "HV_ERR_OUTPUT";
    case HV_ERR_BUSY: return "HV_ERR_BUSY";
    }
    return "HV_ERR_UNKNOWN";
}

hv_status hv_verror(hv_status status, const char *fmt, va_list ap) {
    vsnprintf(tl_message, sizeof tl_message, fmt, ap);
    return status;
}

hv_status hv_error(hv_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    hv_verror(status, fmt, ap);
    va_end(ap);
    return status;
}

hv_status hv_error_context(hv_status status, const char *fmt, ...) {
    char prefix[HV_ERROR_CAP];
    char old[HV_ERROR_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, tl_message, sizeof old);
    /* Truncation is acceptable: the head of a message is the part people read. */
    size_t n = strlen(prefix);
    memcpy(tl_message, prefix, n + 1);
    if (old[0] && n + 2 < sizeof tl_message) {
        memcpy(tl_message + n, ": ", 3);
        strncat(tl_message, old, sizeof tl_message - n - 3);
    }
    return status;
}

const char *hv_last_error(void) { return tl_message; }

void hv_clear_error(void) { tl_message[0] = '\0'; }
