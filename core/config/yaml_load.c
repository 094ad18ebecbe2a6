/* YAML / JSON text → config tree, through libyaml's event parser.
 *
 * The tree is built with an explicit stack rather than recursion, so a hostile file cannot overflow
 * the C stack; nesting is capped at HV_CONFIG_MAX_DEPTH anyway, because nothing legitimate is that
 * deep and the rest of hemovk (path printing, freeing, validation) may then recurse safely. */
#include "config/config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

typedef struct {
    hv_config_node *node;
    hv_config_node *pending_key; /* maps: a key waiting for its value */
} frame;

typedef struct {
    const char *file;
    const char *text;
    size_t len;
    hv_config_node *root;
    frame stack[HV_CONFIG_MAX_DEPTH];
    int depth;
} builder;

static hv_status at(const builder *b, yaml_mark_t m, hv_status st, const char *fmt, const char *arg) {
    char what[512];
    snprintf(what, sizeof what, fmt, arg ? arg : "");
    return hv_error(st, "%s:%zu:%zu: %s", b->file, m.line + 1, m.column + 1, what);
}

/* libyaml's own errors, reworded as "file:line:col: problem (context at line:col)". */
static hv_status parser_error(const builder *b, const yaml_parser_t *p) {
    size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors (bad UTF-8, control characters) only carry a byte offset. */
        line = 1, col = 1;
        for (size_t i = 0; i < p->problem_offset && i < b->len; i++) {
            if (b->text[i] == '\n') line++, col = 1;
            else if (((unsigned char)b->text[i] & 0xC0) != 0x80) col++;
        }
    }
    if (p->error == YAML_MEMORY_ERROR) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory parsing", b->file);
    const char *hint = "";
    size_t off = p->problem_mark.index;
    if (p->error != YAML_READER_ERROR && off < b->len && b->text[off] == '\t')
        hint = "; YAML does not allow tabs for indentation: use spaces";
    if (p->context)
        return hv_error(HV_ERR_PARSE, "%s:%zu:%zu: %s %s (started at %zu:%zu)%s", b->file, line, col,
                        p->problem ? p->problem : "syntax error", p->context, p->context_mark.line + 1,
                        p->context_mark.column + 1, hint);
    return hv_error(HV_ERR_PARSE, "%s:%zu:%zu: %s%s", b->file, line, col, p->problem ? p->problem : "syntax error",
                    hint);
}

static hv_status reject_anchor(const builder *b, yaml_mark_t m, const yaml_char_t *anchor) {
    if (!anchor) return HV_OK;
    return at(b, m, HV_ERR_PARSE,
              "anchors and aliases (&%s, *name) are not supported in hemovk configs; repeat the value instead",
              (const char *)anchor);
}

/* Explicit tags on collections: only the standard !!map / !!seq make sense. */
static hv_status check_collection_tag(const builder *b, yaml_mark_t m, const yaml_char_t *tag, const char *want) {
    if (!tag || !strcmp((const char *)tag, "!")) return HV_OK;
    if (!strncmp((const char *)tag, YAML_TAG_PREFIX, strlen(YAML_TAG_PREFIX)) &&
        !strcmp((const char *)tag + strlen(YAML_TAG_PREFIX), want))
        return HV_OK;
    return at(b, m, HV_ERR_PARSE, "tag '%s' is not supported here", (const char *)tag);
}

static hv_status make_scalar(const builder *b, const yaml_event_t *e, hv_config_node **out) {
    hv_status st = reject_anchor(b, e->start_mark, e->data.scalar.anchor);
    if (st) return st;
    hv_config_node *n = hv_config_node_new(HV_CONFIG_SCALAR, b->file, (int)e->start_mark.line + 1,
                                           (int)e->start_mark.column + 1);
    if (!n) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", b->file);
    int plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *tag = (const char *)e->data.scalar.tag;
    if (tag && strcmp(tag, "!") && strcmp(tag, YAML_TAG_PREFIX "str")) {
        /* !!int, !!float, !!bool, !!null: allowed when the text really is one. */
        static const struct { const char *name; hv_scalar_type type; } core[] = {
            {"int", HV_SCALAR_INT}, {"float", HV_SCALAR_FLOAT}, {"bool", HV_SCALAR_BOOL}, {"null", HV_SCALAR_NULL}};
        int known = -1;
        for (int i = 0; i < 4; i++)
            if (!strncmp(tag, YAML_TAG_PREFIX, strlen(YAML_TAG_PREFIX)) &&
                !strcmp(tag + strlen(YAML_TAG_PREFIX), core[i].name))
                known = i;
        hv_scalar_type t = hv_config_resolve_plain((const char *)e->data.scalar.value, e->data.scalar.length);
        if (known < 0 || t != core[known].type) {
            hv_config_node_free(n);
            return at(b, e->start_mark, HV_ERR_PARSE,
                      known < 0 ? "tag '%s' is not supported" : "the value does not match its tag '%s'", tag);
        }
        plain = 1;
    } else if (tag) {
        plain = 0; /* !!str or the non-specific "!" make it a string */
    }
    st = hv_config_node_set_text(n, (const char *)e->data.scalar.value, e->data.scalar.length, plain);
    if (st) {
        hv_config_node_free(n);
        return st;
    }
    *out = n;
    return HV_OK;
}

/* Attach a finished scalar or a just-started collection to the node on top of the stack. On failure
 * `n` has been freed unless it already belongs to the tree. */
static hv_status attach(builder *b, hv_config_node *n, yaml_mark_t m) {
    if (b->depth == 0) {
        b->root = n;
        return HV_OK;
    }
    frame *top = &b->stack[b->depth - 1];
    if (top->node->kind == HV_CONFIG_SEQ) {
        hv_status st = hv_config_node_append(top->node, NULL, n);
        if (st) hv_config_node_free(n);
        return st;
    }
    if (!top->pending_key) {
        if (n->kind != HV_CONFIG_SCALAR) {
            const char *what = n->kind == HV_CONFIG_MAP ? "mapping" : "list";
            hv_config_node_free(n);
            return at(b, m, HV_ERR_PARSE, "a mapping key must be a plain value, not a %s", what);
        }
        top->pending_key = n;
        return HV_OK;
    }
    hv_status st = hv_config_node_append(top->node, top->pending_key, n);
    if (st) {
        hv_config_node_free(n);
        return st;
    }
    top->pending_key = NULL;
    return HV_OK;
}

static int key_cmp(const void *a, const void *b) {
    const hv_config_node *ka = *(const hv_config_node *const *)a, *kb = *(const hv_config_node *const *)b;
    int c = strcmp(ka->text, kb->text);
    if (c) return c;
    return ka->index < kb->index ? -1 : ka->index > kb->index;
}

/* Duplicate keys: sort a copy of the key list (O(n log n), so a 100k-key map is fine) and report the
 * second occurrence of the earliest duplicate, naming where the first one is. */
static hv_status check_duplicates(const builder *b, const hv_config_node *map) {
    if (map->count < 2) return HV_OK;
    hv_config_node **sorted = malloc(map->count * sizeof *sorted);
    if (!sorted) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", b->file);
    memcpy(sorted, map->keys, map->count * sizeof *sorted);
    qsort(sorted, map->count, sizeof *sorted, key_cmp);
    const hv_config_node *first = NULL, *dup = NULL;
    for (size_t i = 1; i < map->count; i++)
        if (!strcmp(sorted[i - 1]->text, sorted[i]->text) && (!dup || sorted[i]->index < dup->index))
            first = sorted[i - 1], dup = sorted[i];
    /* `first` must be the first occurrence of dup's key: walk back over runs of three or more. */
    for (size_t i = 0; dup && i < map->count; i++)
        if (!strcmp(sorted[i]->text, dup->text)) {
            first = sorted[i];
            break;
        }
    free(sorted);
    if (!dup) return HV_OK;
    return hv_error(HV_ERR_PARSE, "%s:%d:%d: duplicate key '%s' (first defined at %d:%d)", b->file, dup->line,
                    dup->column, dup->text, first->line, first->column);
}

static hv_status handle(builder *b, const yaml_event_t *e, int *docs) {
    hv_config_node *n = NULL;
    hv_status st;
    switch (e->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1)
            return at(b, e->start_mark, HV_ERR_PARSE, "a second document%s; a hemovk config holds exactly one",
                      NULL);
        return HV_OK;
    case YAML_ALIAS_EVENT:
        return at(b, e->start_mark, HV_ERR_PARSE,
                  "aliases (*%s) are not supported in hemovk configs; repeat the value instead",
                  (const char *)e->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        if ((st = make_scalar(b, e, &n))) return st;
        return attach(b, n, e->start_mark);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = e->type == YAML_MAPPING_START_EVENT;
        if ((st = reject_anchor(b, e->start_mark, is_map ? e->data.mapping_start.anchor : e->data.sequence_start.anchor)))
            return st;
        if ((st = check_collection_tag(b, e->start_mark, is_map ? e->data.mapping_start.tag : e->data.sequence_start.tag,
                                       is_map ? "map" : "seq")))
            return st;
        if (b->depth >= HV_CONFIG_MAX_DEPTH) {
            char limit[32];
            snprintf(limit, sizeof limit, "%d", HV_CONFIG_MAX_DEPTH);
            return at(b, e->start_mark, HV_ERR_PARSE, "nesting deeper than %s levels; a hemovk config is never that deep",
                      limit);
        }
        n = hv_config_node_new(is_map ? HV_CONFIG_MAP : HV_CONFIG_SEQ, b->file, (int)e->start_mark.line + 1,
                               (int)e->start_mark.column + 1);
        if (!n) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", b->file);
        if ((st = attach(b, n, e->start_mark))) return st;
        b->stack[b->depth].node = n;
        b->stack[b->depth].pending_key = NULL;
        b->depth++;
        return HV_OK;
    }
    case YAML_MAPPING_END_EVENT:
        st = check_duplicates(b, b->stack[b->depth - 1].node);
        b->depth--;
        return st;
    case YAML_SEQUENCE_END_EVENT:
        b->depth--;
        return HV_OK;
    default:
        return HV_OK;
    }
}

static hv_status parse_buffer(const char *text, size_t len, char *file, hv_config_node **out) {
    builder b = {.file = file, .text = text, .len = len};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        free(file);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory starting the YAML parser");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    hv_status st = HV_OK;
    int docs = 0, done = 0;
    while (!done && !st) {
        yaml_event_t e;
        if (!yaml_parser_parse(&parser, &e)) {
            st = parser_error(&b, &parser);
            break;
        }
        done = e.type == YAML_STREAM_END_EVENT;
        st = handle(&b, &e, &docs);
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&parser);
    if (!st && !b.root) st = hv_error(HV_ERR_PARSE, "%s:1:1: empty file (expected a YAML or JSON document)", file);
    if (st) {
        for (int i = 0; i < b.depth; i++) hv_config_node_free(b.stack[i].pending_key);
        hv_config_node_free(b.root);
        free(file);
        return st;
    }
    b.root->owns_file = 1;
    *out = b.root;
    return HV_OK;
}

hv_status hv_config_load_string(const char *text, size_t len, const char *display_name, hv_config_node **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_load_string: out is NULL");
    *out = NULL;
    if (!text && len) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_load_string: text is NULL");
    char *file = strdup(display_name ? display_name : "<string>");
    if (!file) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    return parse_buffer(text ? text : "", len, file, out);
}

hv_status hv_config_load_file(const char *path, hv_config_node **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_load_file: out is NULL");
    *out = NULL;
    if (!path) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_load_file: path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f) return hv_error(HV_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= HV_CONFIG_MAX_FILE_BYTES) {
                free(buf);
                fclose(f);
                return hv_error(HV_ERR_IO, "%s: larger than %u MiB; not a hemovk config", path,
                                HV_CONFIG_MAX_FILE_BYTES >> 20);
            }
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory reading", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return hv_error(HV_ERR_IO, "%s: read error", path);
    }
    char *file = strdup(path);
    if (!file) {
        free(buf);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    }
    hv_status st = parse_buffer(buf ? buf : "", len, file, out);
    free(buf);
    return st;
}
