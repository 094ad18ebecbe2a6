/* Internal layout of hv_config_node, shared by the loader, the accessors and the schema validator
 * (which inserts default values, so it needs to build and link nodes). */
#ifndef HEMOVK_CONFIG_INTERNAL_H
#define HEMOVK_CONFIG_INTERNAL_H

#include "hemovk/config.h"

#include <stddef.h>

struct hv_config_node {
    hv_config_kind kind;
    hv_scalar_type stype;      /* scalars only */
    char *text;                /* scalars only: NUL-terminated, owned */
    size_t text_len;           /* may contain NULs from escapes; text_len counts them */
    hv_config_node **keys;     /* maps: key scalars, parallel to items */
    hv_config_node **items;    /* maps: values; sequences: items */
    size_t count, cap;
    hv_config_node *parent;
    size_t index;              /* position in the parent's items */
    const char *file;          /* shared with the whole tree; owned by the node with owns_file */
    int line, column;
    unsigned char owns_file;
    unsigned char is_default;
    unsigned char is_key;      /* a key node (its parent is the map, it is not in items) */
};

/* A fresh node of `kind` at a location (file is borrowed). NULL when out of memory. */
hv_config_node *hv_config_node_new(hv_config_kind kind, const char *file, int line, int column);

/* Give a scalar node a copy of text[0..len) and resolve its type (plain → core schema, else string). */
hv_status hv_config_node_set_text(hv_config_node *n, const char *text, size_t len, int plain);

/* Append `value` to a sequence, or (key, value) to a map. Takes ownership of the nodes on success. */
hv_status hv_config_node_append(hv_config_node *parent, hv_config_node *key, hv_config_node *value);

/* Free a node and its subtree regardless of parent (does not unlink it). */
void hv_config_node_free(hv_config_node *n);

/* Deep copy of `src` whose nodes all name `file` (borrowed). With line > 0 every copied node is placed
 * at (line, column) — used for defaults, which have no place of their own in the instance file;
 * otherwise each keeps its source line and column. NULL when out of memory. */
hv_config_node *hv_config_node_copy(const hv_config_node *src, const char *file, int line, int column);

/* YAML 1.2 core-schema type of a plain scalar's text. */
hv_scalar_type hv_config_resolve_plain(const char *text, size_t len);

/* Describe a node's value for messages: "'text'" for strings, the literal for numbers/bools, "null",
 * "a mapping", "a list". Writes into buf (truncates long text with "…"). */
const char *hv_config_describe_value(const hv_config_node *n, char *buf, size_t size);

/* Numeric value of an int or float scalar; 0 when it is not a number. */
int hv_config_number(const hv_config_node *n, double *out);

/* Exact int64 value of an int scalar (or a float without fraction in range); 0 when not one. */
int hv_config_integer(const hv_config_node *n, int64_t *out);

#endif
