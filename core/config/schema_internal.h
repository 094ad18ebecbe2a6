/* Pieces shared by the schema checker, the validator and the error list. */
#ifndef HEMOVK_SCHEMA_INTERNAL_H
#define HEMOVK_SCHEMA_INTERNAL_H

#include "config/config_internal.h"

#include <regex.h>
#include <stdarg.h>

/* Kinds of error: a MISMATCH (type, const, enum, false schema) says "this branch is not about this
 * value at all", which is how oneOf/anyOf pick the branch that came closest. */
enum { HV_SCHEMA_ERR_OTHER = 0, HV_SCHEMA_ERR_MISMATCH = 1 };

typedef struct hv_schema_error_entry {
    char *message;              /* "file:line:col: what" */
    size_t what_offset;         /* where "what" starts in message */
    const char *file;
    int line, column;
    const hv_config_node *node; /* the instance node the error is about */
    int kind;
    size_t seq;                 /* discovery order, to keep the sort stable */
} hv_schema_error_entry;

struct hv_schema_errors {
    hv_schema_error_entry *v;
    size_t n, cap;
    int truncated;
    int oom;
};

/* Append an error located at `at` (printf-style "what"). Drops it (setting truncated) past the cap. */
void hv_schema_errors_addv(hv_schema_errors *e, const hv_config_node *at, const hv_config_node *about, int kind,
                           const char *fmt, va_list ap);

/* Free the entries but not the list struct; leaves an empty list. */
void hv_schema_errors_clear(hv_schema_errors *e);

/* Sort by position (line, column, discovery order). */
void hv_schema_errors_sort(hv_schema_errors *e);

/* Resolve "#", "#/$defs/name" or any JSON pointer "#/a/b/0" in `root`. NULL when it does not resolve
 * or is not a same-document reference. */
const hv_config_node *hv_schema_resolve_ref(const hv_config_node *root, const char *ref);

/* Compile a JSON Schema pattern as a POSIX extended regex (\d and \D translated). 0 on success. */
int hv_schema_compile_pattern(const char *pattern, regex_t *re);

/* Levenshtein distance for "did you mean" suggestions, which every caller makes only within 2: exact
 * when the lengths differ by at most 2, else the length difference (a lower bound, already too far);
 * names over 63 bytes give 64. Cheap enough to call on every key of a hostile document. */
size_t hv_schema_edit_distance(const char *a, const char *b);

#endif
