/* Config tree nodes: allocation, structure accessors, locations, paths, copies and JSON output. */
#include "config/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hv_config_node *hv_config_node_new(hv_config_kind kind, const char *file, int line, int column) {
    hv_config_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->file = file;
    n->line = line;
    n->column = column;
    return n;
}

hv_status hv_config_node_set_text(hv_config_node *n, const char *text, size_t len, int plain) {
    char *t = malloc(len + 1);
    if (!t) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory copying a %zu-byte scalar", len);
    if (len) memcpy(t, text, len);
    t[len] = '\0';
    free(n->text);
    n->text = t;
    n->text_len = len;
    n->stype = plain ? hv_config_resolve_plain(t, len) : HV_SCALAR_STRING;
    return HV_OK;
}

hv_status hv_config_node_append(hv_config_node *parent, hv_config_node *key, hv_config_node *value) {
    if (parent->count == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        hv_config_node **items = realloc(parent->items, cap * sizeof *items);
        if (!items) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory growing a config node");
        parent->items = items;
        if (parent->kind == HV_CONFIG_MAP) {
            hv_config_node **keys = realloc(parent->keys, cap * sizeof *keys);
            if (!keys) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory growing a config node");
            parent->keys = keys;
        }
        parent->cap = cap;
    }
    if (parent->kind == HV_CONFIG_MAP) {
        parent->keys[parent->count] = key;
        key->parent = parent;
        key->index = parent->count;
        key->is_key = 1;
    }
    parent->items[parent->count] = value;
    value->parent = parent;
    value->index = parent->count;
    parent->count++;
    return HV_OK;
}

void hv_config_node_free(hv_config_node *n) {
    if (!n) return;
    /* Depth is bounded by HV_CONFIG_MAX_DEPTH at load time, so recursion is safe. */
    for (size_t i = 0; i < n->count; i++) {
        hv_config_node_free(n->items[i]);
        if (n->keys) hv_config_node_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->text);
    if (n->owns_file) free((char *)n->file);
    free(n);
}

void hv_config_free(hv_config_node *root) { hv_config_node_free(root); }

hv_config_node *hv_config_node_copy(const hv_config_node *src, const char *file, int line, int column) {
    hv_config_node *n = hv_config_node_new(src->kind, file, line > 0 ? line : src->line,
                                           line > 0 ? column : src->column);
    if (!n) return NULL;
    n->is_default = src->is_default;
    if (src->kind == HV_CONFIG_SCALAR) {
        n->text = malloc(src->text_len + 1);
        if (!n->text) goto fail;
        memcpy(n->text, src->text, src->text_len + 1);
        n->text_len = src->text_len;
        n->stype = src->stype;
        return n;
    }
    for (size_t i = 0; i < src->count; i++) {
        hv_config_node *k = NULL, *v = hv_config_node_copy(src->items[i], file, line, column);
        if (v && src->kind == HV_CONFIG_MAP) k = hv_config_node_copy(src->keys[i], file, line, column);
        if (!v || (src->kind == HV_CONFIG_MAP && !k) || hv_config_node_append(n, k, v) != HV_OK) {
            hv_config_node_free(v);
            hv_config_node_free(k);
            goto fail;
        }
    }
    return n;
fail:
    hv_config_node_free(n);
    return NULL;
}

hv_status hv_config_clone(const hv_config_node *node, hv_config_node **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_clone: out is NULL");
    *out = NULL;
    if (!node) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_clone: node is NULL");
    char *file = strdup(node->file ? node->file : "<string>");
    if (!file) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory cloning a config tree");
    hv_config_node *n = hv_config_node_copy(node, file, 0, 0);
    if (!n) {
        free(file);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory cloning a config tree");
    }
    n->owns_file = 1;
    *out = n;
    return HV_OK;
}

/* ---- accessors ---------------------------------------------------------------------------------- */

hv_config_kind hv_config_kind_of(const hv_config_node *node) { return node ? node->kind : HV_CONFIG_SCALAR; }
const char *hv_config_file(const hv_config_node *node) { return node && node->file ? node->file : "<unknown>"; }
int hv_config_line(const hv_config_node *node) { return node ? node->line : 0; }
int hv_config_column(const hv_config_node *node) { return node ? node->column : 0; }
int hv_config_is_default(const hv_config_node *node) { return node ? node->is_default : 0; }
const hv_config_node *hv_config_parent(const hv_config_node *node) { return node ? node->parent : NULL; }

size_t hv_config_size(const hv_config_node *node) {
    return node && node->kind != HV_CONFIG_SCALAR ? node->count : 0;
}

const hv_config_node *hv_config_get(const hv_config_node *map, const char *key) {
    if (!map || map->kind != HV_CONFIG_MAP || !key) return NULL;
    for (size_t i = 0; i < map->count; i++)
        if (!strcmp(map->keys[i]->text, key)) return map->items[i];
    return NULL;
}

const char *hv_config_key_at(const hv_config_node *map, size_t i) {
    return map && map->kind == HV_CONFIG_MAP && i < map->count ? map->keys[i]->text : NULL;
}

const hv_config_node *hv_config_key_node_at(const hv_config_node *map, size_t i) {
    return map && map->kind == HV_CONFIG_MAP && i < map->count ? map->keys[i] : NULL;
}

const hv_config_node *hv_config_value_at(const hv_config_node *map, size_t i) {
    return map && map->kind == HV_CONFIG_MAP && i < map->count ? map->items[i] : NULL;
}

const hv_config_node *hv_config_item(const hv_config_node *seq, size_t i) {
    return seq && seq->kind == HV_CONFIG_SEQ && i < seq->count ? seq->items[i] : NULL;
}

const char *hv_config_text(const hv_config_node *node) {
    return node && node->kind == HV_CONFIG_SCALAR ? node->text : NULL;
}

hv_scalar_type hv_config_scalar_type(const hv_config_node *node) {
    return node && node->kind == HV_CONFIG_SCALAR ? node->stype : HV_SCALAR_STRING;
}

/* ---- paths -------------------------------------------------------------------------------------- */

/* A key can be written bare in a path when it looks like an identifier; otherwise it is quoted. */
static int bare_key(const char *k) {
    if (!*k) return 0;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '$'))
            return 0;
    return 1;
}

char *hv_config_path(const hv_config_node *node, char *buf, size_t size) {
    if (!buf || !size) return buf;
    buf[0] = '\0';
    /* Collect the chain root→node (depth is bounded), then print forwards. */
    const hv_config_node *chain[HV_CONFIG_MAX_DEPTH + 2];
    size_t depth = 0;
    for (const hv_config_node *n = node; n && n->parent && depth < sizeof chain / sizeof chain[0]; n = n->parent)
        chain[depth++] = n;
    size_t len = 0;
    for (size_t d = depth; d-- > 0 && len < size;) {
        const hv_config_node *n = chain[d];
        int w;
        if (n->parent->kind == HV_CONFIG_SEQ)
            w = snprintf(buf + len, size - len, "[%zu]", n->index);
        else if (n->is_key)
            w = 0; /* a key node names the same place as its value */
        else {
            const char *k = n->parent->keys[n->index]->text;
            if (bare_key(k))
                w = snprintf(buf + len, size - len, "%s%s", len ? "." : "", k);
            else
                w = snprintf(buf + len, size - len, "[\"%s\"]", k);
        }
        if (w < 0) break;
        len += (size_t)w;
    }
    if (len >= size) buf[size - 1] = '\0';
    return buf;
}

/* ---- JSON output -------------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} strbuf;

static void sb_put(strbuf *sb, const char *s, size_t n) {
    if (sb->oom) return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 256;
        while (cap < sb->len + n + 1) cap *= 2;
        char *b = realloc(sb->buf, cap);
        if (!b) {
            sb->oom = 1;
            return;
        }
        sb->buf = b;
        sb->cap = cap;
    }
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

static void sb_json_string(strbuf *sb, const char *s, size_t n) {
    sb_put(sb, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_put(sb, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            sb_put(sb, esc, 6);
        } else {
            sb_put(sb, (const char *)&s[i], 1);
        }
    }
    sb_put(sb, "\"", 1);
}

static void sb_json(strbuf *sb, const hv_config_node *n) {
    switch (n->kind) {
    case HV_CONFIG_MAP:
        sb_put(sb, "{", 1);
        for (size_t i = 0; i < n->count; i++) {
            if (i) sb_put(sb, ",", 1);
            sb_json_string(sb, n->keys[i]->text, n->keys[i]->text_len);
            sb_put(sb, ":", 1);
            sb_json(sb, n->items[i]);
        }
        sb_put(sb, "}", 1);
        break;
    case HV_CONFIG_SEQ:
        sb_put(sb, "[", 1);
        for (size_t i = 0; i < n->count; i++) {
            if (i) sb_put(sb, ",", 1);
            sb_json(sb, n->items[i]);
        }
        sb_put(sb, "]", 1);
        break;
    case HV_CONFIG_SCALAR:
        switch (n->stype) {
        case HV_SCALAR_STRING: sb_json_string(sb, n->text, n->text_len); break;
        case HV_SCALAR_NULL: sb_put(sb, "null", 4); break;
        case HV_SCALAR_BOOL: sb_put(sb, n->text[0] == 't' || n->text[0] == 'T' ? "true" : "false", n->text[0] == 't' || n->text[0] == 'T' ? 4 : 5); break;
        case HV_SCALAR_INT: {
            int64_t v;
            double d;
            char num[64];
            if (hv_config_integer(n, &v)) snprintf(num, sizeof num, "%lld", (long long)v);
            else if (hv_config_number(n, &d)) snprintf(num, sizeof num, "%.17g", d);
            else snprintf(num, sizeof num, "null");
            sb_put(sb, num, strlen(num));
            break;
        }
        case HV_SCALAR_FLOAT: {
            double d = 0;
            char num[64];
            hv_config_number(n, &d);
            if (d != d || d - d != 0) snprintf(num, sizeof num, "null"); /* NaN / Inf: JSON has none */
            else snprintf(num, sizeof num, "%.17g", d);
            sb_put(sb, num, strlen(num));
            break;
        }
        }
        break;
    }
}

hv_status hv_config_to_json(const hv_config_node *node, char **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_to_json: out is NULL");
    *out = NULL;
    if (!node) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_to_json: node is NULL");
    strbuf sb = {0};
    sb_json(&sb, node);
    if (sb.oom) {
        free(sb.buf);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory writing a config tree as JSON");
    }
    *out = sb.buf;
    return HV_OK;
}
