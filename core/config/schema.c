/* JSON Schema (2020-12 subset) validation of config trees, with defaults filled in.
 *
 * One recursive walk over (schema, instance). Errors are collected, not returned, so a user sees every
 * problem of a file at once. oneOf/anyOf branches are first tried "dry" (into a scratch list, without
 * filling defaults); the branch that matched — or, when none did, the one that came closest — is then
 * run for real, so only its defaults land in the tree and only its errors are reported. */
#include "config/schema_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REF_DEPTH 64

typedef struct {
    const hv_config_node *root;   /* the schema, for $ref */
    hv_schema_errors *errs;
    int fill;                     /* fill defaults (off while trying oneOf/anyOf branches) */
    int depth;                    /* $ref / combinator nesting, bounded against cyclic schemas */
} vctx;

static void validate(vctx *c, const hv_config_node *s, hv_config_node *inst);

/* ---- messages ----------------------------------------------------------------------------------- */

static void add(vctx *c, const hv_config_node *at, const hv_config_node *about, int kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add(vctx *c, const hv_config_node *at, const hv_config_node *about, int kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    hv_schema_errors_addv(c->errs, at, about, kind, fmt, ap);
    va_end(ap);
}

/* "'stages[0].batch': " for a value, or "" for the document itself. */
static const char *value_prefix(const hv_config_node *n, char *buf, size_t size) {
    char path[400];
    hv_config_path(n, path, sizeof path);
    if (path[0]) snprintf(buf, size, "'%s': ", path);
    else buf[0] = '\0';
    return buf;
}

/* "stages[1]: " for a mapping that is not the root, "" for the root. */
static const char *object_prefix(const hv_config_node *n, char *buf, size_t size) {
    char path[400];
    hv_config_path(n, path, sizeof path);
    if (path[0]) snprintf(buf, size, "%s: ", path);
    else buf[0] = '\0';
    return buf;
}

static const char *type_phrase(const char *t) {
    if (!strcmp(t, "object")) return "a mapping";
    if (!strcmp(t, "array")) return "a list";
    if (!strcmp(t, "string")) return "a string";
    if (!strcmp(t, "number")) return "a number";
    if (!strcmp(t, "integer")) return "an integer";
    if (!strcmp(t, "boolean")) return "true or false";
    if (!strcmp(t, "null")) return "null";
    return t;
}

/* A value from a schema (const / enum entry) as users write it: strings bare, others literal. */
static void schema_value(const hv_config_node *v, char *buf, size_t size) {
    if (hv_config_kind_of(v) == HV_CONFIG_SCALAR) snprintf(buf, size, "%s", hv_config_text(v));
    else hv_config_describe_value(v, buf, size);
}

/* Append "a, b or c"-style descriptions of what a schema accepts (for oneOf/anyOf summaries). */
static void describe_schema(const vctx *c, const hv_config_node *s, char *buf, size_t size, int depth) {
    buf[0] = '\0';
    if (depth > 8 || hv_config_kind_of(s) != HV_CONFIG_MAP) {
        snprintf(buf, size, "%s", hv_config_scalar_type(s) == HV_SCALAR_BOOL && hv_config_text(s)[0] == 'f' ? "nothing" : "anything");
        return;
    }
    const hv_config_node *ref = hv_config_get(s, "$ref"), *cst = hv_config_get(s, "const"),
                         *en = hv_config_get(s, "enum"), *ty = hv_config_get(s, "type");
    if (cst) {
        char v[128];
        schema_value(cst, v, sizeof v);
        snprintf(buf, size, "%s", v);
    } else if (en) {
        size_t len = (size_t)snprintf(buf, size, "one of ");
        for (size_t i = 0; i < hv_config_size(en) && len < size; i++) {
            char v[128];
            schema_value(hv_config_item(en, i), v, sizeof v);
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", v);
        }
    } else if (ty && hv_config_kind_of(ty) == HV_CONFIG_SCALAR) {
        snprintf(buf, size, "%s", type_phrase(hv_config_text(ty)));
    } else if (ty) {
        size_t len = 0;
        for (size_t i = 0; i < hv_config_size(ty) && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " or " : "", type_phrase(hv_config_text(hv_config_item(ty, i))));
    } else if (ref) {
        describe_schema(c, hv_schema_resolve_ref(c->root, hv_config_text(ref)), buf, size, depth + 1);
    } else if (hv_config_get(s, "properties") || hv_config_get(s, "required")) {
        snprintf(buf, size, "a mapping");
    } else {
        snprintf(buf, size, "a matching value");
    }
}

/* ---- value helpers ------------------------------------------------------------------------------ */

static int is_number(const hv_config_node *n) {
    return hv_config_kind_of(n) == HV_CONFIG_SCALAR &&
           (hv_config_scalar_type(n) == HV_SCALAR_INT || hv_config_scalar_type(n) == HV_SCALAR_FLOAT);
}

static int type_matches(const char *t, const hv_config_node *n) {
    hv_config_kind k = hv_config_kind_of(n);
    hv_scalar_type st = hv_config_scalar_type(n);
    if (!strcmp(t, "object")) return k == HV_CONFIG_MAP;
    if (!strcmp(t, "array")) return k == HV_CONFIG_SEQ;
    if (k != HV_CONFIG_SCALAR) return 0;
    if (!strcmp(t, "string")) return st == HV_SCALAR_STRING;
    if (!strcmp(t, "number")) return is_number(n);
    if (!strcmp(t, "boolean")) return st == HV_SCALAR_BOOL;
    if (!strcmp(t, "null")) return st == HV_SCALAR_NULL;
    if (!strcmp(t, "integer")) {
        int64_t i;
        double d;
        /* 3.0 is an integer in JSON Schema; so is a huge integer literal beyond int64. */
        return hv_config_integer(n, &i) || (st == HV_SCALAR_INT) ||
               (hv_config_number(n, &d) && isfinite(d) && d == floor(d));
    }
    return 0;
}

static int bool_value(const hv_config_node *n) { return hv_config_text(n)[0] == 't' || hv_config_text(n)[0] == 'T'; }

/* JSON equality: numbers by value (1 == 1.0), strings by text, containers element-wise (maps by key). */
static int json_equal(const hv_config_node *a, const hv_config_node *b) {
    hv_config_kind ka = hv_config_kind_of(a), kb = hv_config_kind_of(b);
    if (ka != kb) return 0;
    if (ka == HV_CONFIG_SEQ) {
        if (hv_config_size(a) != hv_config_size(b)) return 0;
        for (size_t i = 0; i < hv_config_size(a); i++)
            if (!json_equal(hv_config_item(a, i), hv_config_item(b, i))) return 0;
        return 1;
    }
    if (ka == HV_CONFIG_MAP) {
        if (hv_config_size(a) != hv_config_size(b)) return 0;
        for (size_t i = 0; i < hv_config_size(a); i++) {
            const hv_config_node *other = hv_config_get(b, hv_config_key_at(a, i));
            if (!other || !json_equal(hv_config_value_at(a, i), other)) return 0;
        }
        return 1;
    }
    if (is_number(a) && is_number(b)) {
        double x, y;
        hv_config_number(a, &x);
        hv_config_number(b, &y);
        return x == y;
    }
    hv_scalar_type ta = hv_config_scalar_type(a), tb = hv_config_scalar_type(b);
    if (ta != tb) return 0;
    if (ta == HV_SCALAR_NULL) return 1;
    if (ta == HV_SCALAR_BOOL) return bool_value(a) == bool_value(b);
    return a->text_len == b->text_len && !memcmp(a->text, b->text, a->text_len);
}

static size_t utf8_length(const char *s, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
    return count;
}

static const hv_config_node *kw(const hv_config_node *s, const char *name) { return hv_config_get(s, name); }

static double kw_number(const hv_config_node *v) {
    double d = 0;
    hv_config_number(v, &d);
    return d;
}

static int64_t kw_count(const hv_config_node *v) {
    int64_t i = 0;
    hv_config_integer(v, &i);
    return i;
}

/* The default a property schema declares, directly or through a chain of $refs. */
static const hv_config_node *default_of(const vctx *c, const hv_config_node *s) {
    for (int hop = 0; hop < MAX_REF_DEPTH && hv_config_kind_of(s) == HV_CONFIG_MAP; hop++) {
        const hv_config_node *d = kw(s, "default");
        if (d) return d;
        const hv_config_node *ref = kw(s, "$ref");
        if (!ref) return NULL;
        s = hv_schema_resolve_ref(c->root, hv_config_text(ref));
    }
    return NULL;
}

/* ---- keyword groups ----------------------------------------------------------------------------- */

static int check_type(vctx *c, const hv_config_node *s, hv_config_node *inst) {
    const hv_config_node *ty = kw(s, "type");
    if (!ty) return 1;
    char expected[256] = "";
    if (hv_config_kind_of(ty) == HV_CONFIG_SCALAR) {
        if (type_matches(hv_config_text(ty), inst)) return 1;
        snprintf(expected, sizeof expected, "%s", type_phrase(hv_config_text(ty)));
    } else {
        size_t len = 0;
        for (size_t i = 0; i < hv_config_size(ty); i++) {
            const char *t = hv_config_text(hv_config_item(ty, i));
            if (type_matches(t, inst)) return 1;
            if (len < sizeof expected)
                len += (size_t)snprintf(expected + len, sizeof expected - len, "%s%s", i ? " or " : "", type_phrase(t));
        }
    }
    char pre[420], got[96];
    const char *hint = hv_config_kind_of(inst) == HV_CONFIG_SCALAR && hv_config_scalar_type(inst) != HV_SCALAR_STRING &&
                               hv_config_scalar_type(inst) != HV_SCALAR_NULL && strstr(expected, "a string")
                           ? " (put it in quotes to make it a string)"
                           : "";
    add(c, inst, inst, HV_SCHEMA_ERR_MISMATCH, "%sexpected %s, got %s%s", value_prefix(inst, pre, sizeof pre), expected,
        hv_config_describe_value(inst, got, sizeof got), hint);
    return 0;
}

static int check_const_enum(vctx *c, const hv_config_node *s, hv_config_node *inst) {
    char pre[420], got[96];
    const hv_config_node *cst = kw(s, "const"), *en = kw(s, "enum");
    if (cst && !json_equal(cst, inst)) {
        char v[128];
        schema_value(cst, v, sizeof v);
        add(c, inst, inst, HV_SCHEMA_ERR_MISMATCH, "%sexpected %s, got %s", value_prefix(inst, pre, sizeof pre), v,
            hv_config_describe_value(inst, got, sizeof got));
        return 0;
    }
    if (!en) return 1;
    for (size_t i = 0; i < hv_config_size(en); i++)
        if (json_equal(hv_config_item(en, i), inst)) return 1;
    char list[600], hint[160] = "";
    size_t len = 0, best = (size_t)-1;
    const char *suggest = NULL;
    for (size_t i = 0; i < hv_config_size(en) && len < sizeof list; i++) {
        char v[128];
        schema_value(hv_config_item(en, i), v, sizeof v);
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", v);
        if (hv_config_kind_of(inst) == HV_CONFIG_SCALAR && hv_config_kind_of(hv_config_item(en, i)) == HV_CONFIG_SCALAR) {
            size_t d = hv_schema_edit_distance(hv_config_text(inst), hv_config_text(hv_config_item(en, i)));
            if (d < best) best = d, suggest = hv_config_text(hv_config_item(en, i));
        }
    }
    if (suggest && best <= 2 && best < strlen(hv_config_text(inst)))
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", suggest);
    add(c, inst, inst, HV_SCHEMA_ERR_MISMATCH, "%sexpected one of %s, got %s%s", value_prefix(inst, pre, sizeof pre), list,
        hv_config_describe_value(inst, got, sizeof got), hint);
    return 0;
}

static const char *number_phrase(const hv_config_node *s) {
    const hv_config_node *ty = kw(s, "type");
    if (ty && hv_config_kind_of(ty) == HV_CONFIG_SCALAR && !strcmp(hv_config_text(ty), "integer")) return "an integer";
    return "a number";
}

static void check_number(vctx *c, const hv_config_node *s, hv_config_node *inst) {
    double x;
    if (!is_number(inst) || !hv_config_number(inst, &x)) return;
    const hv_config_node *mn = kw(s, "minimum"), *mx = kw(s, "maximum"), *emn = kw(s, "exclusiveMinimum"),
                         *emx = kw(s, "exclusiveMaximum"), *mul = kw(s, "multipleOf");
    int bad = (mn && !(x >= kw_number(mn))) || (mx && !(x <= kw_number(mx))) || (emn && !(x > kw_number(emn))) ||
              (emx && !(x < kw_number(emx)));
    char pre[420], got[96];
    if (bad) {
        /* Say the whole allowed range, not just the bound that failed: users fix it in one go. */
        char range[256];
        size_t len = 0;
        range[0] = '\0';
        const hv_config_node *lo = mn ? mn : emn, *hi = mx ? mx : emx;
        if (mn && mx)
            len += (size_t)snprintf(range, sizeof range, " from %s to %s", hv_config_text(mn), hv_config_text(mx));
        else {
            if (lo) len += (size_t)snprintf(range + len, sizeof range - len, " %s %s", mn ? "≥" : ">", hv_config_text(lo));
            if (hi && len < sizeof range)
                len += (size_t)snprintf(range + len, sizeof range - len, "%s %s %s", lo ? " and" : "", mx ? "≤" : "<",
                                        hv_config_text(hi));
        }
        add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sexpected %s%s, got %s", value_prefix(inst, pre, sizeof pre),
            number_phrase(s), range, hv_config_describe_value(inst, got, sizeof got));
    }
    if (mul) {
        double m = kw_number(mul), q = x / m;
        if (!isfinite(q) || fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q)))
            add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sexpected a multiple of %s, got %s", value_prefix(inst, pre, sizeof pre),
                hv_config_text(mul), hv_config_describe_value(inst, got, sizeof got));
    }
}

static void check_string(vctx *c, const hv_config_node *s, hv_config_node *inst) {
    if (hv_config_kind_of(inst) != HV_CONFIG_SCALAR || hv_config_scalar_type(inst) != HV_SCALAR_STRING) return;
    char pre[420], got[96];
    size_t n = utf8_length(inst->text, inst->text_len);
    const hv_config_node *mn = kw(s, "minLength"), *mx = kw(s, "maxLength"), *pat = kw(s, "pattern");
    if (mn && (int64_t)n < kw_count(mn)) {
        if (kw_count(mn) == 1)
            add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sexpected a non-empty string", value_prefix(inst, pre, sizeof pre));
        else
            add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sexpected a string of at least %lld characters, got %s",
                value_prefix(inst, pre, sizeof pre), (long long)kw_count(mn), hv_config_describe_value(inst, got, sizeof got));
    }
    if (mx && (int64_t)n > kw_count(mx))
        add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sexpected a string of at most %lld characters, got %zu",
            value_prefix(inst, pre, sizeof pre), (long long)kw_count(mx), n);
    if (pat) {
        regex_t re;
        if (!hv_schema_compile_pattern(hv_config_text(pat), &re)) {
            /* A pattern alone is cryptic; the schema's description usually says the rule in words. */
            const char *desc = hv_config_text(kw(s, "description"));
            int dlen = 0; /* its first sentence only: messages stay one line */
            while (desc && desc[dlen] && dlen < 200 && !(desc[dlen] == '.' && (desc[dlen + 1] == ' ' || !desc[dlen + 1])))
                dlen++;
            if (regexec(&re, inst->text, 0, NULL, 0))
                add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%s%s does not match the pattern %s%s%.*s",
                    value_prefix(inst, pre, sizeof pre), hv_config_describe_value(inst, got, sizeof got), hv_config_text(pat),
                    dlen ? " — " : "", dlen, desc ? desc : "");
            regfree(&re);
        }
    }
}

static void check_array(vctx *c, const hv_config_node *s, hv_config_node *inst) {
    if (hv_config_kind_of(inst) != HV_CONFIG_SEQ) return;
    char pre[420];
    size_t n = inst->count;
    const hv_config_node *mn = kw(s, "minItems"), *mx = kw(s, "maxItems"), *items = kw(s, "items"),
                         *uniq = kw(s, "uniqueItems");
    if (mn && (int64_t)n < kw_count(mn))
        add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sexpected at least %lld item%s, got %zu", value_prefix(inst, pre, sizeof pre),
            (long long)kw_count(mn), kw_count(mn) == 1 ? "" : "s", n);
    if (mx && (int64_t)n > kw_count(mx))
        add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sexpected at most %lld item%s, got %zu", value_prefix(inst, pre, sizeof pre),
            (long long)kw_count(mx), kw_count(mx) == 1 ? "" : "s", n);
    if (items)
        for (size_t i = 0; i < n; i++) validate(c, items, inst->items[i]);
    if (uniq && bool_value(uniq))
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (json_equal(inst->items[i], inst->items[j])) {
                    add(c, inst->items[i], inst->items[i], HV_SCHEMA_ERR_OTHER, "%srepeats item [%zu] (items must be unique)",
                        value_prefix(inst->items[i], pre, sizeof pre), j);
                    break;
                }
}

/* Insert a copy of `def` as `key` into `obj`, placed at the mapping's own location. */
static hv_config_node *fill_default(vctx *c, hv_config_node *obj, const char *key, const hv_config_node *def) {
    hv_config_node *k = hv_config_node_new(HV_CONFIG_SCALAR, obj->file, obj->line, obj->column);
    hv_config_node *v = hv_config_node_copy(def, obj->file, obj->line, obj->column);
    if (!k || !v || hv_config_node_set_text(k, key, strlen(key), 0) || hv_config_node_append(obj, k, v)) {
        hv_config_node_free(k);
        hv_config_node_free(v);
        c->errs->oom = 1;
        return NULL;
    }
    k->is_default = 1;
    /* Mark the whole copied subtree as a default. */
    hv_config_node *stack[HV_CONFIG_MAX_DEPTH + 1];
    size_t sp = 0;
    stack[sp++] = v;
    while (sp) {
        hv_config_node *n = stack[--sp];
        n->is_default = 1;
        for (size_t i = 0; i < n->count && sp < sizeof stack / sizeof stack[0]; i++) stack[sp++] = n->items[i];
    }
    return v;
}

static void check_object(vctx *c, const hv_config_node *s, hv_config_node *inst) {
    if (hv_config_kind_of(inst) != HV_CONFIG_MAP) return;
    char pre[420];
    const hv_config_node *props = kw(s, "properties"), *addl = kw(s, "additionalProperties"),
                         *req = kw(s, "required"), *mnp = kw(s, "minProperties"), *mxp = kw(s, "maxProperties");
    size_t written = inst->count; /* entries from the file, before defaults are appended */
    for (size_t i = 0; i < written; i++) {
        const char *key = inst->keys[i]->text;
        const hv_config_node *ps = props ? hv_config_get(props, key) : NULL;
        if (ps) {
            validate(c, ps, inst->items[i]);
            continue;
        }
        if (!addl) continue;
        if (hv_config_kind_of(addl) == HV_CONFIG_SCALAR && hv_config_scalar_type(addl) == HV_SCALAR_BOOL) {
            if (bool_value(addl)) continue;
            char allowed[700] = "", hint[160] = "";
            size_t len = 0, best = (size_t)-1;
            const char *suggest = NULL;
            for (size_t p = 0; p < hv_config_size(props) && len < sizeof allowed; p++) {
                const char *name = hv_config_key_at(props, p);
                len += (size_t)snprintf(allowed + len, sizeof allowed - len, "%s%s", p ? ", " : "", name);
                size_t d = hv_schema_edit_distance(key, name);
                if (d < best) best = d, suggest = name;
            }
            if (suggest && best <= 2 && best < strlen(key)) snprintf(hint, sizeof hint, ", did you mean '%s'?", suggest);
            if (len)
                add(c, inst->keys[i], inst, HV_SCHEMA_ERR_OTHER, "%sunknown key '%s'%s (allowed: %s)",
                    object_prefix(inst, pre, sizeof pre), key, hint, allowed);
            else
                add(c, inst->keys[i], inst, HV_SCHEMA_ERR_OTHER, "%sunknown key '%s' (no keys are allowed here)",
                    object_prefix(inst, pre, sizeof pre), key);
        } else {
            validate(c, addl, inst->items[i]);
        }
    }
    /* Defaults first, so a required key that has a default is satisfied by it. */
    for (size_t p = 0; p < hv_config_size(props); p++) {
        const char *key = hv_config_key_at(props, p);
        if (hv_config_get(inst, key)) continue;
        const hv_config_node *ps = hv_config_value_at(props, p), *def = default_of(c, ps);
        if (!def || !c->fill) continue;
        hv_config_node *v = fill_default(c, inst, key, def);
        if (v) validate(c, ps, v); /* fills nested defaults, and catches a schema whose default is invalid */
    }
    for (size_t r = 0; r < hv_config_size(req); r++) {
        const char *key = hv_config_text(hv_config_item(req, r));
        if (hv_config_get(inst, key)) continue;
        const hv_config_node *ps = props ? hv_config_get(props, key) : NULL;
        if (!c->fill && ps && default_of(c, ps)) continue; /* a dry run would have filled it */
        add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%smissing required key '%s'", object_prefix(inst, pre, sizeof pre), key);
    }
    if (mnp && (int64_t)inst->count < kw_count(mnp))
        add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sexpected at least %lld key%s, got %zu", value_prefix(inst, pre, sizeof pre),
            (long long)kw_count(mnp), kw_count(mnp) == 1 ? "" : "s", inst->count);
    if (mxp && (int64_t)inst->count > kw_count(mxp))
        add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sexpected at most %lld key%s, got %zu", value_prefix(inst, pre, sizeof pre),
            (long long)kw_count(mxp), kw_count(mxp) == 1 ? "" : "s", inst->count);
}

/* ---- combinators -------------------------------------------------------------------------------- */

typedef struct {
    size_t errors;
    int mismatch_here;  /* failed on the value itself (type/const/enum): the branch does not apply */
} trial_result;

/* Validate without side effects into a scratch list. */
static trial_result trial(vctx *c, const hv_config_node *s, hv_config_node *inst) {
    hv_schema_errors scratch = {0};
    vctx t = *c;
    t.errs = &scratch;
    t.fill = 0;
    validate(&t, s, inst);
    trial_result r = {scratch.n + (size_t)scratch.truncated, 0};
    for (size_t i = 0; i < scratch.n; i++)
        if (scratch.v[i].node == inst && scratch.v[i].kind == HV_SCHEMA_ERR_MISMATCH) r.mismatch_here = 1;
    if (scratch.oom) c->errs->oom = 1;
    hv_schema_errors_clear(&scratch);
    return r;
}

static void check_alternatives(vctx *c, const hv_config_node *list, hv_config_node *inst, int exactly_one) {
    size_t n = hv_config_size(list), passed = 0, first_pass = 0, best = 0;
    trial_result best_r = {(size_t)-1, 1};
    for (size_t i = 0; i < n; i++) {
        trial_result r = trial(c, hv_config_item(list, i), inst);
        if (!r.errors) {
            if (!passed++) first_pass = i;
            if (!exactly_one) break;
        } else if (r.mismatch_here < best_r.mismatch_here ||
                   (r.mismatch_here == best_r.mismatch_here && r.errors < best_r.errors)) {
            best_r = r;
            best = i;
        }
    }
    char pre[420], got[96];
    if (passed) {
        if (exactly_one && passed > 1)
            add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sis ambiguous: it matches %zu of the allowed forms, expected exactly one",
                value_prefix(inst, pre, sizeof pre), passed);
        validate(c, hv_config_item(list, first_pass), inst); /* for real: fills this branch's defaults */
        return;
    }
    if (!best_r.mismatch_here) {
        /* One branch is clearly about this value: its own errors are the useful ones. */
        validate(c, hv_config_item(list, best), inst);
        return;
    }
    char expected[700];
    size_t len = 0;
    expected[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof expected; i++) {
        char d[300];
        describe_schema(c, hv_config_item(list, i), d, sizeof d, 0);
        len += (size_t)snprintf(expected + len, sizeof expected - len, "%s%s", i ? " or " : "", d);
    }
    add(c, inst, inst, HV_SCHEMA_ERR_MISMATCH, "%sexpected %s, got %s", value_prefix(inst, pre, sizeof pre), expected,
        hv_config_describe_value(inst, got, sizeof got));
}

/* ---- the walk ----------------------------------------------------------------------------------- */

static void validate(vctx *c, const hv_config_node *s, hv_config_node *inst) {
    char pre[420], got[96];
    if (c->errs->oom) return;
    if (hv_config_kind_of(s) == HV_CONFIG_SCALAR) { /* boolean schema (hv_schema_check guarantees it) */
        if (!bool_value(s))
            add(c, inst, inst, HV_SCHEMA_ERR_MISMATCH, "%sis not allowed here (got %s)", value_prefix(inst, pre, sizeof pre),
                hv_config_describe_value(inst, got, sizeof got));
        return;
    }
    if (c->depth > MAX_REF_DEPTH) {
        add(c, inst, inst, HV_SCHEMA_ERR_OTHER, "%sthe schema nests $ref or combinators more than %d deep (a cycle?)",
            value_prefix(inst, pre, sizeof pre), MAX_REF_DEPTH);
        return;
    }
    c->depth++;
    const hv_config_node *ref = kw(s, "$ref");
    if (ref) validate(c, hv_schema_resolve_ref(c->root, hv_config_text(ref)), inst);
    if (check_type(c, s, inst) && check_const_enum(c, s, inst)) {
        check_number(c, s, inst);
        check_string(c, s, inst);
        check_array(c, s, inst);
        check_object(c, s, inst);
        const hv_config_node *all = kw(s, "allOf"), *any = kw(s, "anyOf"), *one = kw(s, "oneOf"), *not_ = kw(s, "not");
        for (size_t i = 0; i < hv_config_size(all); i++) validate(c, hv_config_item(all, i), inst);
        if (any) check_alternatives(c, any, inst, 0);
        if (one) check_alternatives(c, one, inst, 1);
        if (not_ && trial(c, not_, inst).errors == 0) {
            char d[300];
            describe_schema(c, not_, d, sizeof d, 0);
            add(c, inst, inst, HV_SCHEMA_ERR_MISMATCH, "%sexpected anything but %s, got %s", value_prefix(inst, pre, sizeof pre),
                d, hv_config_describe_value(inst, got, sizeof got));
        }
    }
    c->depth--;
}

hv_status hv_schema_validate(const hv_config_node *schema, hv_config_node *instance, hv_schema_errors **errors) {
    if (errors) *errors = NULL;
    if (!schema || !instance) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_schema_validate: schema or instance is NULL");
    hv_status st = hv_schema_check(schema);
    if (st) return st;
    hv_schema_errors *list = calloc(1, sizeof *list);
    if (!list) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory validating %s", hv_config_file(instance));
    vctx c = {.root = schema, .errs = list, .fill = 1};
    validate(&c, schema, instance);
    if (list->oom) {
        hv_schema_errors_free(list);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory validating %s", hv_config_file(instance));
    }
    if (!list->n) {
        hv_schema_errors_free(list);
        return HV_OK;
    }
    hv_schema_errors_sort(list);
    size_t more = list->n - 1;
    if (more || list->truncated)
        hv_error(HV_ERR_SCHEMA, "%s (and %zu%s more error%s)", list->v[0].message, more, list->truncated ? "+" : "",
                 more == 1 && !list->truncated ? "" : "s");
    else
        hv_error(HV_ERR_SCHEMA, "%s", list->v[0].message);
    if (errors) *errors = list;
    else hv_schema_errors_free(list);
    return HV_ERR_SCHEMA;
}
