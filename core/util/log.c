/* Leveled logging behind hemovk/log.h. One mutex keeps lines from interleaving between threads. */
#include "hemovk/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_level = -1; /* -1: not yet read from HEMOVK_LOG */
static hv_log_sink g_sink;
static void *g_sink_user;
static atomic_uint g_warnings;

static int level_from_env(void) {
    const char *v = getenv("HEMOVK_LOG");
    if (!v || !*v) return HV_LOG_INFO;
    if (!strcasecmp(v, "error")) return HV_LOG_ERROR;
    if (!strcasecmp(v, "warn") || !strcasecmp(v, "warning")) return HV_LOG_WARN;
    if (!strcasecmp(v, "debug")) return HV_LOG_DEBUG;
    return HV_LOG_INFO;
}

hv_log_level hv_log_get_level(void) {
    pthread_mutex_lock(&g_log_lock);
    if (g_level < 0) g_level = level_from_env();
    int l = g_level;
    pthread_mutex_unlock(&g_log_lock);
    return (hv_log_level)l;
}

void hv_log_set_level(hv_log_level level) {
    pthread_mutex_lock(&g_log_lock);
    g_level = (int)level;
    pthread_mutex_unlock(&g_log_lock);
}

void hv_log_set_sink(hv_log_sink sink, void *user) {
    pthread_mutex_lock(&g_log_lock);
    g_sink = sink;
    g_sink_user = user;
    pthread_mutex_unlock(&g_log_lock);
}

unsigned hv_log_warning_count(void) { return atomic_load(&g_warnings); }

void hv_log(hv_log_level level, const char *fmt, ...) {
    if (level == HV_LOG_WARN) atomic_fetch_add(&g_warnings, 1);
    if ((int)level > (int)hv_log_get_level()) return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    static const char *names[] = {"error", "warning", "info", "debug"};
    pthread_mutex_lock(&g_log_lock);
    if (g_sink)
        g_sink(level, msg, g_sink_user);
    else
        fprintf(stderr, "hemovk: %s: %s\n", names[level], msg);
    pthread_mutex_unlock(&g_log_lock);
}
