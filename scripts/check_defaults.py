#!/usr/bin/env python3
"""The defaults check: a parameter's default is written once, in its schema, never again in code.

    scripts/check_defaults.py [SOURCE_DIR]

The validator fills every schema `default` into the params before a plugin sees them, so the code that
reads them has no business knowing the values: it reads them with hv_config_need_* (absent = a bug,
reported). A second copy in code is how the RPN NMS IoU 0.01 came to be written five times, free to drift.
Scans the plugin sources (plugins/, examples/*/src) and fails (exit 1), naming file:line, when

  - an hv_config_get_{int,double,bool,string} call, which supplies a default in code, is not marked with a
    comment saying "no schema default: <what absence means>" on its line or the line above it (the only
    legitimate use: a key whose absence means something - "the arch's", "the pipeline's" - and whose
    schema therefore has no default);
  - such a marked call reads a key to which the file's schema gives a default everywhere it declares it
    (the mark is wrong: read it with hv_config_need_*);
  - an hv_config_need* call (or a wrapper of it: any function with "need" in its name whose second
    argument is a key literal) reads a key the file's schema neither defaults nor requires anywhere (it
    would fail whenever the key is left out).

The schema of a file is every `const char *_schema[] = "..." ...;` C string in it (parsed as YAML); a
file without one (a helper such as bb_params.c) is held to the marking rule only. Runs as CTest
`tools.defaults`. tests/maskrcnn/test_schema_defaults.c proves the C API's own "paper defaults"
(hv_maskrcnn_params_default, hv_rpn_params_default, ...), kept for SDK users without YAML, agree with the
schemas. Core and the CLI (tools/hemovk) are held to the same rules, with schemas/pipeline.schema.yaml as the schema of
core/pipeline (the pipeline file's own keys: batch, precision, source, enabled, ...); core/config, which
defines the getters, is skipped.
"""
import ast
import glob
import os
import re
import sys

import yaml

GET = re.compile(r"\bhv_config_get_(int|double|bool|string)\s*\(")
# hv_config_need* and the plugins' own wrappers of it (bb_need_float, need_i32, ...): a "need" in the name
NEED = re.compile(r"\b[a-z_0-9]*need[a-z_0-9]*\s*\(")
MARK = re.compile(r"no schema default", re.IGNORECASE)
SCHEMA_ARRAY = re.compile(r"const\s+char\s+\w*schema\w*\s*\[\s*\]\s*=\s*((?:\s*\"(?:[^\"\\\n]|\\.)*\"|\s*/\*.*?\*/)+)\s*;",
                          re.DOTALL)
C_STRING = re.compile(r"\"((?:[^\"\\\n]|\\.)*)\"")


def call_args(text, open_paren):
    """The top-level argument texts of the call whose '(' is at open_paren, and the index after ')'."""
    depth, args, cur, i = 0, [], [], open_paren
    while i < len(text):
        ch = text[i]
        if ch == '"':  # a string literal: copy it whole (it may hold parens or commas)
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if ch == "(":
            depth += 1
            if depth > 1:
                cur.append(ch)
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args, i + 1
            cur.append(ch)
        elif ch == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    raise ValueError("unbalanced call")


def c_string_value(literal):
    """The value of one C string literal (the escapes the schemas use: \\n, \\", \\\\, \\t)."""
    return ast.literal_eval(literal)


def embedded_schemas(text, path):
    schemas = []
    for m in SCHEMA_ARRAY.finditer(text):
        body = "".join(c_string_value('"' + s + '"') for s in C_STRING.findall(m.group(1)))
        try:
            schemas.append(yaml.safe_load(body))
        except yaml.YAMLError as e:
            sys.exit(f"check_defaults: {path}: a schema string does not parse as YAML: {e}")
    return schemas


def declared_keys(schema):
    """{key: [(has_default, required), ...]} over every `properties` mapping anywhere in the schema."""
    keys = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("properties")
            required = node.get("required") or []
            if isinstance(props, dict):
                for k, v in props.items():
                    has_default = isinstance(v, dict) and "default" in v
                    keys.setdefault(k, []).append((has_default, k in required))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    return keys


def literal_key(arg):
    m = re.fullmatch(r"\"((?:[^\"\\]|\\.)*)\"", arg)
    return m.group(1) if m else None


def check_file(path, rel, problems, counts, external_schemas=()):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    schema_keys = {}
    for s in list(embedded_schemas(text, rel)) + list(external_schemas):
        for k, v in declared_keys(s).items():
            schema_keys.setdefault(k, []).extend(v)
    for m in GET.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        args, end = call_args(text, m.end() - 1)
        last = text.count("\n", 0, end) + 1
        counts["get"] += 1
        if len(args) != 4:
            continue  # a declaration or a macro, not a call
        key = literal_key(args[1])
        around = "\n".join(lines[max(0, line - 2):last])
        if not MARK.search(around):
            problems.append(f"{rel}:{line}: hv_config_get_{m.group(1)}(..., {args[1]}, {args[2]}, ...) writes a "
                            f"default in code: give the key a `default` in its schema and read it with "
                            f"hv_config_need_{m.group(1)}; if absence means something else, say what in a "
                            f"'no schema default: ...' comment")
        elif key and schema_keys.get(key) and all(d for d, _ in schema_keys[key]):
            problems.append(f"{rel}:{line}: '{key}' is marked 'no schema default' but its schema gives it a "
                            f"default: read it with hv_config_need_{m.group(1)}")
    for m in NEED.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        args, _ = call_args(text, m.end() - 1)
        key = literal_key(args[1]) if len(args) >= 3 else None
        if key is None and (len(args) != 3 or not m.group(0).startswith("hv_config_need")):
            continue  # a definition, or a wrapper passing its caller's key along
        counts["need"] += 1
        if key is None or not schema_keys:
            continue  # a helper passing its caller's key, or a file without a schema of its own
        decls = schema_keys.get(key)
        if not decls:
            problems.append(f"{rel}:{line}: hv_config_need* reads '{key}', which this file's schema does not declare")
        elif not any(d or r for d, r in decls):
            problems.append(f"{rel}:{line}: hv_config_need* reads '{key}', but its schema neither gives it a default "
                            f"nor requires it: a params block without it would fail")


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    files = sorted(glob.glob(os.path.join(root, "plugins", "**", "*.c"), recursive=True) +
                   glob.glob(os.path.join(root, "examples", "*", "src", "*.c")))
    core = sorted(p for p in glob.glob(os.path.join(root, "core", "**", "*.c"), recursive=True) +
                  glob.glob(os.path.join(root, "tools", "hemovk", "*.c"))
                  if os.sep + os.path.join("core", "config") + os.sep not in p)
    with open(os.path.join(root, "schemas", "pipeline.schema.yaml"), encoding="utf-8") as f:
        pipeline_schema = yaml.safe_load(f)
    problems, counts = [], {"get": 0, "need": 0}
    for path in files:
        check_file(path, os.path.relpath(path, root), problems, counts)
    n_need_plugins = counts["need"]
    for path in core:
        rel = os.path.relpath(path, root)
        in_pipeline = rel.startswith(os.path.join("core", "pipeline") + os.sep)
        check_file(path, rel, problems, counts, [pipeline_schema] if in_pipeline else [])
    if counts["need"] - n_need_plugins < 5:
        problems.append(f"core: {counts['need'] - n_need_plugins} hv_config_need* reads of the pipeline schema's "
                        f"keys: too few - did core/pipeline move? (update this script)")
    files += core
    n_files = len(files)
    if n_files < 10 or counts["need"] < 20:
        problems.append(f"scanned {n_files} files and {counts['need']} hv_config_need* calls: too few - did the "
                        f"sources move? (update this script)")
    for p in problems:
        print(p)
    print(f"check_defaults: {n_files} files, {counts['need']} hv_config_need* reads, {counts['get']} "
          f"hv_config_get_* reads (each marked 'no schema default'): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
