/* hemovk/status.h — how every hemovk function reports failure.
 *
 * Every public function that can fail returns an hv_status. On failure it also leaves a message in a
 * thread-local buffer, read with hv_last_error(), that says what went wrong, where (file:line:col,
 * tensor name, stage id) and what to do. User input never aborts the process. */
#ifndef HEMOVK_STATUS_H
#define HEMOVK_STATUS_H

#include "hemovk/export.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Result codes. HV_OK is 0 so `if (st) return st;` propagates errors. Values are part of the ABI. */
typedef enum hv_status {
    HV_OK = 0,
    HV_ERR_INVALID_ARGUMENT = 1,   /**< a caller passed a bad value (NULL, out of range, wrong shape) */
    HV_ERR_IO = 2,                 /**< a file could not be opened, read or written */
    HV_ERR_PARSE = 3,              /**< malformed YAML, JSON or safetensors */
    HV_ERR_SCHEMA = 4,             /**< well-formed input that breaks a schema (unknown key, wrong type) */
    HV_ERR_NOT_FOUND = 5,          /**< a named thing (device, plugin, component, tensor) does not exist */
    HV_ERR_UNSUPPORTED = 6,        /**< valid request the device or build cannot do */
    HV_ERR_OUT_OF_MEMORY = 7,      /**< host allocation failed */
    HV_ERR_DEVICE_OUT_OF_MEMORY = 8, /**< GPU allocation failed */
    HV_ERR_VULKAN = 9,             /**< any other Vulkan failure */
    HV_ERR_ABI = 10,               /**< a plugin built for an incompatible ABI */
    HV_ERR_SHAPE = 11,             /**< tensor shapes do not fit an op */
    HV_ERR_DECODE = 12,            /**< an image could not be decoded */
    HV_ERR_CANCELLED = 13,         /**< the run was interrupted */
    HV_ERR_INTERNAL = 14,          /**< a bug in hemovk: please report it */
    HV_ERR_OUTPUT = 15,            /**< an output could not be written (disk full, quota, read-only or failing
                                        disk): the run stops, files already reported written stay complete */
    HV_ERR_BUSY = 16               /**< a resource is held by someone else (another run owns the output folder) */
} hv_status;

/** Short stable name of a status code ("HV_ERR_PARSE"); never NULL. */
HV_API const char *hv_status_name(hv_status status);

/** Record an error message for this thread (printf-style) and return `status` unchanged, so code can
 *  write `return hv_error(HV_ERR_IO, "%s: %s", path, strerror(errno));`. */
HV_API hv_status hv_error(hv_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Same as hv_error() with a va_list. */
HV_API hv_status hv_verror(hv_status status, const char *fmt, va_list ap);

/** Prepend context to this thread's current message ("while loading weights.safetensors: <old>") and
 *  return `status`. Use it when passing an error up through a layer that knows more about where. */
HV_API hv_status hv_error_context(hv_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** The last message recorded on this thread, or "" if none. Valid until the next hv_error*() call. */
HV_API const char *hv_last_error(void);

/** Forget this thread's message. */
HV_API void hv_clear_error(void);

#ifdef __cplusplus
}
#endif
#endif
