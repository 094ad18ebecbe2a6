/* Helpers of the pipeline tests (header-only: each tests/pipeline/test_*.c is its own executable).
 * They write pipelines and images into scratch folders, run the built `hemovk` and read its outputs. */
#ifndef HEMOVK_PTEST_H
#define HEMOVK_PTEST_H

#include "hvtest.h"

#include "hemovk/image.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/** The real frames of the end-to-end tests (the folder name has spaces). */
#define PTEST_FRAMES HEMOVK_SHARED_DIR "/data/wcebleedgen/test/Test Dataset 1"

/* Plugins: the build's (core, stages) and the test-only pipetest plugin. */
static inline void ptest_env(void) {
    setenv("HEMOVK_PLUGIN_PATH", HEMOVK_BINARY_DIR "/plugins:" HEMOVK_BINARY_DIR "/test-plugins/pipetest", 1);
}

static inline void ptest_write(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* Whole file as a malloc'ed string (NULL when missing). */
static inline char *ptest_read(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* Run a shell command line (printf-formatted); returns its exit status (or -1). */
static inline int ptest_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int ptest_sh(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return (rc != -1 && WIFEXITED(rc)) ? WEXITSTATUS(rc) : -1;
}

/* Every line of a JSONL file parsed (NULL entries for lines that do not parse). */
typedef struct ptest_jsonl {
    cJSON **rows;
    size_t n;
} ptest_jsonl;

static inline ptest_jsonl ptest_read_jsonl(const char *path) {
    ptest_jsonl j = {NULL, 0};
    char *text = ptest_read(path);
    if (!text) return j;
    size_t cap = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (j.n == cap) j.rows = realloc(j.rows, (cap = cap ? cap * 2 : 64) * sizeof *j.rows);
        j.rows[j.n++] = cJSON_Parse(line);
    }
    free(text);
    return j;
}

static inline void ptest_free_jsonl(ptest_jsonl *j) {
    for (size_t i = 0; i < j->n; i++) cJSON_Delete(j->rows[i]);
    free(j->rows);
    j->rows = NULL;
    j->n = 0;
}

static inline const char *ptest_str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline double ptest_num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static inline const char *ptest_meta(const cJSON *o, const char *key) {
    return ptest_str(cJSON_GetObjectItemCaseSensitive(o, "meta"), key);
}

/* Number of (possibly overlapping-free) occurrences of `needle` in `hay`. */
static inline size_t ptest_count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

#endif
