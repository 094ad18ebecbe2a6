/* hemovk/log.h — leveled logging to stderr (or to a sink the host installs).
 *
 * Logs are for people; results go to files or stdout in documented formats. The level comes from
 * HEMOVK_LOG (error, warn, info, debug; default info) unless hv_log_set_level() was called. */
#ifndef HEMOVK_LOG_H
#define HEMOVK_LOG_H

#include "hemovk/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hv_log_level {
    HV_LOG_ERROR = 0,
    HV_LOG_WARN = 1,
    HV_LOG_INFO = 2,
    HV_LOG_DEBUG = 3
} hv_log_level;

/** Receives every message at or below the current level. `msg` has no trailing newline. */
typedef void (*hv_log_sink)(hv_log_level level, const char *msg, void *user);

/** Log a printf-style message at `level`. Thread-safe. */
HV_API void hv_log(hv_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Set the most verbose level that is emitted. */
HV_API void hv_log_set_level(hv_log_level level);

/** The current level (after reading HEMOVK_LOG on first use). */
HV_API hv_log_level hv_log_get_level(void);

/** Route messages to `sink` (NULL restores stderr). Tests use this to count warnings. */
HV_API void hv_log_set_sink(hv_log_sink sink, void *user);

/** Number of HV_LOG_WARN messages logged since start (whatever the level): lets tests assert that a
 *  condition was warned about. */
HV_API unsigned hv_log_warning_count(void);

#define hv_log_error(...) hv_log(HV_LOG_ERROR, __VA_ARGS__)
#define hv_log_warn(...) hv_log(HV_LOG_WARN, __VA_ARGS__)
#define hv_log_info(...) hv_log(HV_LOG_INFO, __VA_ARGS__)
#define hv_log_debug(...) hv_log(HV_LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
