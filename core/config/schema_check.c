/* Checking a schema before using it: every keyword known and well-typed, every $ref resolvable, every
 * pattern compilable. A typo in a schema ("minimun: 1") would otherwise silently disable a rule. */
#include "config/schema_internal.h"

#include <stdio.h>
#include <string.h>

typedef enum { V_SCHEMA, V_SCHEMA_MAP, V_SCHEMA_LIST, V_TYPE, V_STRINGS, V_LIST, V_ANY, V_NUMBER, V_COUNT, V_BOOL,
               V_PATTERN, V_REF, V_IGNORED } value_rule;

static const struct {
    const char *name;
    value_rule rule;
} k_keywords[] = {
    {"type", V_TYPE}, {"properties", V_SCHEMA_MAP}, {"required", V_STRINGS},
    {"additionalProperties", V_SCHEMA}, {"items", V_SCHEMA}, {"not", V_SCHEMA},
    {"allOf", V_SCHEMA_LIST}, {"anyOf", V_SCHEMA_LIST}, {"oneOf", V_SCHEMA_LIST},
    {"enum", V_LIST}, {"const", V_ANY}, {"default", V_ANY},
    {"minimum", V_NUMBER}, {"maximum", V_NUMBER}, {"exclusiveMinimum", V_NUMBER}, {"exclusiveMaximum", V_NUMBER},
    {"multipleOf", V_NUMBER},
    {"minLength", V_COUNT}, {"maxLength", V_COUNT}, {"minItems", V_COUNT}, {"maxItems", V_COUNT},
    {"minProperties", V_COUNT}, {"maxProperties", V_COUNT},
    {"uniqueItems", V_BOOL}, {"pattern", V_PATTERN}, {"$ref", V_REF},
    {"$defs", V_SCHEMA_MAP}, {"definitions", V_SCHEMA_MAP},
    /* annotations: accepted, not enforced */
    {"$schema", V_IGNORED}, {"$id", V_IGNORED}, {"$comment", V_IGNORED}, {"title", V_IGNORED},
    {"description", V_IGNORED}, {"markdownDescription", V_IGNORED}, {"examples", V_IGNORED},
    {"deprecated", V_IGNORED}, {"readOnly", V_IGNORED}, {"writeOnly", V_IGNORED}, {"format", V_IGNORED},
};

static const char *const k_types[] = {"object", "array", "string", "number", "integer", "boolean", "null"};

static hv_status bad(const hv_config_node *n, const char *fmt, const char *a, const char *b) {
    char what[512];
    snprintf(what, sizeof what, fmt, a, b ? b : "");
    return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: schema: %s", hv_config_file(n), hv_config_line(n), hv_config_column(n),
                    what);
}

static int is_string(const hv_config_node *n) {
    return hv_config_kind_of(n) == HV_CONFIG_SCALAR && hv_config_scalar_type(n) == HV_SCALAR_STRING;
}

static hv_status check_type_name(const hv_config_node *n) {
    if (!is_string(n)) return bad(n, "'type' names must be strings%s%s", "", NULL);
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++)
        if (!strcmp(hv_config_text(n), k_types[i])) return HV_OK;
    return bad(n, "unknown type '%s' (known: object, array, string, number, integer, boolean, null)%s",
               hv_config_text(n), NULL);
}

static hv_status check_schema(const hv_config_node *root, const hv_config_node *s);

static hv_status check_keyword(const hv_config_node *root, const char *key, const hv_config_node *v, value_rule rule) {
    hv_status st;
    double d;
    int64_t i;
    switch (rule) {
    case V_SCHEMA: return check_schema(root, v);
    case V_SCHEMA_MAP:
        if (hv_config_kind_of(v) != HV_CONFIG_MAP) return bad(v, "'%s' must be a mapping of names to schemas%s", key, NULL);
        for (size_t k = 0; k < hv_config_size(v); k++)
            if ((st = check_schema(root, hv_config_value_at(v, k)))) return st;
        return HV_OK;
    case V_SCHEMA_LIST:
        if (hv_config_kind_of(v) != HV_CONFIG_SEQ || !hv_config_size(v))
            return bad(v, "'%s' must be a non-empty list of schemas%s", key, NULL);
        for (size_t k = 0; k < hv_config_size(v); k++)
            if ((st = check_schema(root, hv_config_item(v, k)))) return st;
        return HV_OK;
    case V_TYPE:
        if (hv_config_kind_of(v) != HV_CONFIG_SEQ) return check_type_name(v);
        if (!hv_config_size(v)) return bad(v, "'type' must not be an empty list%s%s", "", NULL);
        for (size_t k = 0; k < hv_config_size(v); k++)
            if ((st = check_type_name(hv_config_item(v, k)))) return st;
        return HV_OK;
    case V_STRINGS:
        if (hv_config_kind_of(v) != HV_CONFIG_SEQ) return bad(v, "'%s' must be a list of key names%s", key, NULL);
        for (size_t k = 0; k < hv_config_size(v); k++)
            if (!is_string(hv_config_item(v, k)))
                return bad(hv_config_item(v, k), "'%s' entries must be strings%s", key, NULL);
        return HV_OK;
    case V_LIST:
        if (hv_config_kind_of(v) != HV_CONFIG_SEQ || !hv_config_size(v))
            return bad(v, "'%s' must be a non-empty list%s", key, NULL);
        return HV_OK;
    case V_NUMBER:
        if (!hv_config_number(v, &d)) return bad(v, "'%s' must be a number%s", key, NULL);
        if (!strcmp(key, "multipleOf") && !(d > 0)) return bad(v, "'%s' must be greater than 0%s", key, NULL);
        return HV_OK;
    case V_COUNT:
        if (!hv_config_integer(v, &i) || i < 0) return bad(v, "'%s' must be a non-negative integer%s", key, NULL);
        return HV_OK;
    case V_BOOL:
        if (hv_config_kind_of(v) != HV_CONFIG_SCALAR || hv_config_scalar_type(v) != HV_SCALAR_BOOL)
            return bad(v, "'%s' must be true or false%s", key, NULL);
        return HV_OK;
    case V_PATTERN: {
        if (!is_string(v)) return bad(v, "'%s' must be a string%s", key, NULL);
        regex_t re;
        if (hv_schema_compile_pattern(hv_config_text(v), &re))
            return bad(v, "pattern '%s' is not a regular expression this validator understands (POSIX extended)%s",
                       hv_config_text(v), NULL);
        regfree(&re);
        return HV_OK;
    }
    case V_REF:
        if (!is_string(v)) return bad(v, "'$ref' must be a string%s%s", "", NULL);
        if (!hv_schema_resolve_ref(root, hv_config_text(v)))
            return bad(v, "$ref '%s' does not resolve (only references inside this schema, like '#/$defs/name', are supported)%s",
                       hv_config_text(v), NULL);
        return HV_OK;
    case V_ANY:
    case V_IGNORED: return HV_OK;
    }
    return HV_OK;
}

static hv_status check_schema(const hv_config_node *root, const hv_config_node *s) {
    if (hv_config_kind_of(s) == HV_CONFIG_SCALAR && hv_config_scalar_type(s) == HV_SCALAR_BOOL) return HV_OK;
    if (hv_config_kind_of(s) != HV_CONFIG_MAP) {
        char got[96];
        return bad(s, "a schema must be a mapping or true/false, got %s%s", hv_config_describe_value(s, got, sizeof got),
                   NULL);
    }
    for (size_t k = 0; k < hv_config_size(s); k++) {
        const char *key = hv_config_key_at(s, k);
        size_t w, best = (size_t)-1;
        const char *suggest = NULL;
        for (w = 0; w < sizeof k_keywords / sizeof k_keywords[0]; w++)
            if (!strcmp(key, k_keywords[w].name)) break;
        if (w == sizeof k_keywords / sizeof k_keywords[0]) {
            /* Custom annotations are allowed by JSON Schema under an "x-" prefix. */
            if (!strncmp(key, "x-", 2)) continue;
            /* unknown: the nearest keyword, for the hint (distances only on this error path) */
            for (size_t v = 0; v < sizeof k_keywords / sizeof k_keywords[0]; v++) {
                size_t d = hv_schema_edit_distance(key, k_keywords[v].name);
                if (d < best) best = d, suggest = k_keywords[v].name;
            }
            char hint[128] = "";
            if (suggest && best <= 2) snprintf(hint, sizeof hint, ", did you mean '%s'?", suggest);
            return bad(hv_config_key_node_at(s, k), "unknown or unsupported keyword '%s'%s", key, hint);
        }
        hv_status st = check_keyword(root, key, hv_config_value_at(s, k), k_keywords[w].rule);
        if (st) return st;
    }
    return HV_OK;
}

hv_status hv_schema_check(const hv_config_node *schema) {
    if (!schema) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_schema_check: schema is NULL");
    return check_schema(schema, schema);
}

hv_status hv_schema_load_string(const char *text, size_t len, const char *display_name, hv_config_node **out) {
    hv_status st = hv_config_load_string(text, len, display_name, out);
    if (st) return st;
    if ((st = hv_schema_check(*out))) {
        hv_config_free(*out);
        *out = NULL;
    }
    return st;
}

hv_status hv_schema_load_file(const char *path, hv_config_node **out) {
    hv_status st = hv_config_load_file(path, out);
    if (st) return st;
    if ((st = hv_schema_check(*out))) {
        hv_config_free(*out);
        *out = NULL;
    }
    return st;
}
