/* hemovk/config.h — configuration trees from YAML or JSON, and a JSON Schema (2020-12 subset) validator.
 *
 * A pipeline file, a component's parameters and a schema are all the same thing here: a tree of
 * hv_config_node — mappings, sequences and scalars — in which EVERY node remembers the file, line and
 * column (1-based) where it starts, so any later complaint can point at the exact spot:
 *
 *     pipeline.yaml:12:15: key 'stages[2].params.threshold': expected a number, got 'high'
 *
 * Parsing (libyaml; JSON is parsed by the same parser, since JSON is YAML's flow style):
 *   - Scalars keep their text. Their type follows the YAML 1.2 core schema: a PLAIN scalar is null
 *     (null, Null, NULL, ~, empty), a bool (true/false in those three casings), an int (decimal,
 *     0x hex, 0o octal), a float (1.5, 1e-3, .inf, .nan) or else a string; a QUOTED, literal (|) or
 *     folded (>) scalar is always a string. `!!str` forces a string; other tags are rejected.
 *   - Duplicate keys in one mapping are errors (both lines named). Keys must be scalars.
 *   - Anchors and aliases (&a, *a) are rejected with a clear message: they make locations ambiguous
 *     and are the vector of "billion laughs" blow-ups; pipelines are short enough to repeat a value.
 *   - Nesting deeper than HV_CONFIG_MAX_DEPTH and files larger than HV_CONFIG_MAX_FILE_BYTES are
 *     errors, never a crash. One document per file; an empty file is an error.
 *   - Every parse failure is HV_ERR_PARSE with the message "file:line:col: what".
 *
 * Lifetime: a tree is owned by its root; hv_config_free(root) frees everything, and every pointer
 * handed out (nodes, text, file names) is valid until then. Trees are not thread-safe to modify but
 * may be read from several threads at once. */
#ifndef HEMOVK_CONFIG_H
#define HEMOVK_CONFIG_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdint.h>

#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Deepest nesting of mappings/sequences accepted (the root is depth 1). */
#define HV_CONFIG_MAX_DEPTH 64
/** Largest file hv_config_load_file reads (16 MiB): pipelines and schemas are a few KiB. */
#define HV_CONFIG_MAX_FILE_BYTES (16u << 20)

/** One node of a configuration tree (opaque). */
typedef struct hv_config_node hv_config_node;

/** What a node is. */
typedef enum hv_config_kind {
    HV_CONFIG_MAP = 0,      /**< mapping (JSON object): ordered key → value entries */
    HV_CONFIG_SEQ = 1,      /**< sequence (JSON array) */
    HV_CONFIG_SCALAR = 2    /**< scalar: text, see hv_scalar_type */
} hv_config_kind;

/** The YAML 1.2 core-schema type of a scalar (see the top of this file). */
typedef enum hv_scalar_type {
    HV_SCALAR_STRING = 0,
    HV_SCALAR_NULL = 1,
    HV_SCALAR_BOOL = 2,
    HV_SCALAR_INT = 3,
    HV_SCALAR_FLOAT = 4
} hv_scalar_type;

/* ---- loading ------------------------------------------------------------------------------------ */

/** Parse the YAML or JSON file at `path` into a tree. Locations name `path` as given.
 *  Errors: HV_ERR_IO (cannot open/read, too large), HV_ERR_PARSE ("path:line:col: what"),
 *  HV_ERR_OUT_OF_MEMORY. On failure *out is NULL. */
HV_API hv_status hv_config_load_file(const char *path, hv_config_node **out);

/** Parse `len` bytes of YAML/JSON text. `display_name` is the file name used in locations and
 *  messages (for instance "<classifier params schema>"); NULL means "<string>". */
HV_API hv_status hv_config_load_string(const char *text, size_t len, const char *display_name, hv_config_node **out);

/** Free a whole tree. Pass the root (a node with no parent); NULL is a no-op. */
HV_API void hv_config_free(hv_config_node *root);

/** Deep copy of `node` and everything below it, as a new root (same locations, no parent). */
HV_API hv_status hv_config_clone(const hv_config_node *node, hv_config_node **out);

/* ---- structure and location --------------------------------------------------------------------- */

/** The node's kind. */
HV_API hv_config_kind hv_config_kind_of(const hv_config_node *node);

/** File name (as given to the loader), 1-based line and column where the node starts. A value that
 *  hv_schema_validate filled in from a default reports the location of the mapping it was added to. */
HV_API const char *hv_config_file(const hv_config_node *node);
HV_API int hv_config_line(const hv_config_node *node);
HV_API int hv_config_column(const hv_config_node *node);

/** Non-zero when the node was filled in from a schema `default` rather than written in the file. */
HV_API int hv_config_is_default(const hv_config_node *node);

/** The enclosing mapping or sequence, or NULL for the root. */
HV_API const hv_config_node *hv_config_parent(const hv_config_node *node);

/** Number of entries of a mapping or items of a sequence; 0 for a scalar. */
HV_API size_t hv_config_size(const hv_config_node *node);

/** Value of `key` in mapping `map`, or NULL when `map` is not a mapping or has no such key. */
HV_API const hv_config_node *hv_config_get(const hv_config_node *map, const char *key);

/** Entry `i` (< size) of mapping `map`, in file order: its key text, the key's node (for its
 *  location) and its value. NULL when out of range or `map` is not a mapping. */
HV_API const char *hv_config_key_at(const hv_config_node *map, size_t i);
HV_API const hv_config_node *hv_config_key_node_at(const hv_config_node *map, size_t i);
HV_API const hv_config_node *hv_config_value_at(const hv_config_node *map, size_t i);

/** Item `i` (< size) of sequence `seq`, or NULL. */
HV_API const hv_config_node *hv_config_item(const hv_config_node *seq, size_t i);

/** Write the node's path from the root into buf, e.g. "stages[2].params.threshold" ("" for the
 *  root). Always NUL-terminates (truncating if needed); returns buf. */
HV_API char *hv_config_path(const hv_config_node *node, char *buf, size_t size);

/* ---- scalars ------------------------------------------------------------------------------------ */

/** A scalar's text exactly as written (without quotes, escapes resolved), or NULL for a non-scalar. */
HV_API const char *hv_config_text(const hv_config_node *node);

/** A scalar's core-schema type; HV_SCALAR_STRING for non-scalars (check the kind first). */
HV_API hv_scalar_type hv_config_scalar_type(const hv_config_node *node);

/** Convert a scalar node. Each fails with HV_ERR_SCHEMA and a message
 *  "file:line:col: key 'PATH': expected <what>, got <value>" when the node has another type:
 *    _as_int    an integer (also a float with no fraction, 3.0), in int64 range;
 *    _as_double any number (int or float, including .inf/.nan);
 *    _as_bool   true/false;
 *    _as_string a string scalar (quoted, or plain text that is not a number/bool/null). */
HV_API hv_status hv_config_as_int(const hv_config_node *node, int64_t *out);
HV_API hv_status hv_config_as_double(const hv_config_node *node, double *out);
HV_API hv_status hv_config_as_bool(const hv_config_node *node, int *out);
HV_API hv_status hv_config_as_string(const hv_config_node *node, const char **out);

/** A string scalar naming a file or folder, as a path to open: an absolute path is returned as is, a
 *  relative one is joined to the folder of hv_config_file(node) — the YAML file that wrote it — so a
 *  pipeline works from any working directory (in-memory configs, whose file name starts with '<',
 *  resolve against the working directory). *out is malloc'ed (free it). Errors as hv_config_as_string. */
HV_API hv_status hv_config_resolve_path(const hv_config_node *node, char **out);

/** Typed lookups in a mapping with a default: when `key` is absent (or `map` is NULL) *out = def and
 *  HV_OK; when present with the wrong type, the hv_config_as_* error (naming file:line:col and the
 *  key's path). An explicit null value counts as absent. For strings, *out points into the tree (or is
 *  `def`). */
HV_API hv_status hv_config_get_int(const hv_config_node *map, const char *key, int64_t def, int64_t *out);
HV_API hv_status hv_config_get_double(const hv_config_node *map, const char *key, double def, double *out);
HV_API hv_status hv_config_get_bool(const hv_config_node *map, const char *key, int def, int *out);
HV_API hv_status hv_config_get_string(const hv_config_node *map, const char *key, const char *def, const char **out);

/** Typed lookups of a key the schema guarantees: a parameter whose schema declares a `default` (which
 *  hv_schema_validate fills in), or a `required` one. Use these in plugins, so a parameter's default is
 *  written once, in the schema, and never again in code that could drift from it. When `key` is absent
 *  (or `map` is NULL) they fail with HV_ERR_SCHEMA and "file:line:col: key 'PATH' is missing: ..." (the
 *  mapping's location; a missing key means the schema lacks its default or the params were not validated
 *  — a bug to fix, not a value to guess). When present with the wrong type, including an explicit null,
 *  the hv_config_as_* error. For strings, *out points into the tree. */
HV_API hv_status hv_config_need_int(const hv_config_node *map, const char *key, int64_t *out);
HV_API hv_status hv_config_need_double(const hv_config_node *map, const char *key, double *out);
HV_API hv_status hv_config_need_bool(const hv_config_node *map, const char *key, int *out);
HV_API hv_status hv_config_need_string(const hv_config_node *map, const char *key, const char **out);

/** The node of `key` in `map`, of any kind (a list or mapping whose schema has a `default`); absent fails
 *  as the need_* getters do. An explicit null is returned as is (check its kind). */
HV_API hv_status hv_config_need(const hv_config_node *map, const char *key, const hv_config_node **out);

/** Render `node` as compact JSON (a string scalar quoted, other scalars as their JSON value; YAML
 *  .inf/.nan become null). *out is malloc'ed; free() it. Lets a caller hand a subtree to code that
 *  speaks JSON (cJSON), or print the effective configuration after defaults were filled in. */
HV_API hv_status hv_config_to_json(const hv_config_node *node, char **out);

/* ---- JSON Schema validation ---------------------------------------------------------------------
 *
 * Schemas are config trees too (write them in YAML or JSON) and follow JSON Schema 2020-12, of which
 * this subset is enforced:
 *   type (object, array, string, number, integer, boolean, null, or a list of them), enum, const,
 *   minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength (in UTF-8
 *   code points), pattern (POSIX extended regex, with \d accepted; anchor it with ^…$ as usual),
 *   items, minItems, maxItems, uniqueItems (scalars), properties, required, additionalProperties
 *   (boolean or schema), minProperties, maxProperties, allOf, anyOf, oneOf, not, $ref ("#", "#/$defs/x"
 *   or any JSON pointer into the same schema), and boolean schemas (true / false).
 *   Annotations are accepted and ignored: $schema, $id, $comment, title, description, examples,
 *   deprecated, readOnly, writeOnly, format, markdownDescription. Any other keyword is an error when the
 *   schema is checked, so a typo in a schema ("minimun") cannot silently disable a rule.
 *
 * Instance typing: YAML scalars are typed by the core schema (above), so `batch: "8"` is a string and
 * fails `type: integer`; an integer also satisfies `type: number`; a float with no fraction (8.0)
 * satisfies `type: integer`.
 *
 * Defaults: when a mapping lacks a property whose schema (directly, or through $ref) has a `default`,
 * a copy of the default is inserted into the instance (hv_config_is_default() says so) and validated
 * like written input, so nested defaults are filled too. Within anyOf/oneOf only the branch that
 * matched fills defaults.
 *
 * Messages are "file:line:col: PATH: what", pointing at the offending instance node:
 *     pipeline.yaml:7:5: stages[1]: unknown key 'threshhold', did you mean 'threshold'? (allowed: id, ...)
 *     pipeline.yaml:4:8: 'batch': expected an integer ≥ 1, got 0
 *     pipeline.yaml:1:1: missing required key 'source'
 *     pipeline.yaml:9:14: 'stages[0].params.merge': expected one of mean, max, vote, got 'avg'
 * For a failed oneOf/anyOf the errors of the branch that came closest are reported. ALL errors are
 * collected (up to HV_SCHEMA_MAX_ERRORS), sorted by position. */

/** Most errors one validation collects; more are summarised as "... and more". */
#define HV_SCHEMA_MAX_ERRORS 100

/** Errors collected by one validation (opaque). */
typedef struct hv_schema_errors hv_schema_errors;

/** Check that `schema` is a schema this validator understands: known keywords with values of the
 *  right type, $refs that resolve, regexes that compile. HV_ERR_SCHEMA with "file:line:col: what" for
 *  the first problem. hv_schema_validate runs this first, so calling it is only needed to check a
 *  schema early (a plugin's parameter schema when the plugin loads). */
HV_API hv_status hv_schema_check(const hv_config_node *schema);

/** Parse schema text (YAML or JSON) and check it: hv_config_load_string + hv_schema_check. */
HV_API hv_status hv_schema_load_string(const char *text, size_t len, const char *display_name, hv_config_node **out);

/** Parse a schema file and check it. */
HV_API hv_status hv_schema_load_file(const char *path, hv_config_node **out);

/** Validate `instance` against `schema`, filling in defaults (so `instance` is modified).
 *  Returns HV_OK when valid. When invalid returns HV_ERR_SCHEMA, sets the thread's error message to
 *  the first error followed by "(and N more errors)", and — when `errors` is not NULL — stores the
 *  full list there (the caller frees it with hv_schema_errors_free; *errors is NULL on HV_OK).
 *  A broken schema is also HV_ERR_SCHEMA, with the schema's own file:line:col (and no list). */
HV_API hv_status hv_schema_validate(const hv_config_node *schema, hv_config_node *instance, hv_schema_errors **errors);

/** Number of errors in the list (0 for NULL). */
HV_API size_t hv_schema_errors_count(const hv_schema_errors *errors);

/** Error `i` as one full line "file:line:col: PATH: what" (no newline), or NULL when out of range. */
HV_API const char *hv_schema_errors_message(const hv_schema_errors *errors, size_t i);

/** Location of error `i` (file, 1-based line and column); any out-pointer may be NULL. Returns the
 *  error's message without the "file:line:col: " prefix, or NULL when out of range. */
HV_API const char *hv_schema_errors_at(const hv_schema_errors *errors, size_t i, const char **file, int *line, int *column);

/** Non-zero when more than HV_SCHEMA_MAX_ERRORS errors were found and the rest were dropped. */
HV_API int hv_schema_errors_truncated(const hv_schema_errors *errors);

/** Free an error list; NULL is a no-op. */
HV_API void hv_schema_errors_free(hv_schema_errors *errors);

/** Find the installed or in-tree schema `name` (for instance "pipeline" → pipeline.schema.yaml or
 *  pipeline.schema.json). Looks in $HEMOVK_SCHEMA_DIR when set (and only there), else in the source
 *  tree's schemas/ when this library runs from its build tree; else in share/hemovk/schemas beside
 *  the installed library (<libdir>/../share/hemovk/schemas), then the configured
 *  ${datadir}/hemovk/schemas, then the source tree. Writes the path to buf. HV_ERR_NOT_FOUND lists the folders searched. */
HV_API hv_status hv_schema_find(const char *name, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
