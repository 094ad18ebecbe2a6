/* The list of weight files opened by this process (weights/opened.h). */
#include "weights/opened.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static char **g_paths;
static size_t g_count, g_cap;

void hv_weights_note_opened(const char *path) {
    char *real = realpath(path, NULL);
    char *copy = real ? real : strdup(path);
    if (!copy) return;
    pthread_mutex_lock(&g_mu);
    if (g_count == g_cap) {
        size_t cap = g_cap ? g_cap * 2 : 16;
        char **p = realloc(g_paths, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&g_mu);
            free(copy);
            return;
        }
        g_paths = p;
        g_cap = cap;
    }
    g_paths[g_count++] = copy;
    pthread_mutex_unlock(&g_mu);
}

size_t hv_weights_opened_count(void) {
    pthread_mutex_lock(&g_mu);
    size_t n = g_count;
    pthread_mutex_unlock(&g_mu);
    return n;
}

char *hv_weights_opened_path(size_t i) {
    pthread_mutex_lock(&g_mu);
    char *s = i < g_count ? strdup(g_paths[i]) : NULL;
    pthread_mutex_unlock(&g_mu);
    return s;
}
