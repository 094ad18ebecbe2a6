#!/usr/bin/env python3
"""The ABI check: the symbols libhemovk exports are exactly the functions the SDK declares with HV_API.

    scripts/check_abi.py build/libhemovk.so sdk/include/hemovk [TEST_EXECUTABLE ...]

Fails (exit 1, naming each symbol and where it is declared) when
  - libhemovk exports a symbol no SDK header declares with HV_API (an internal function leaked: give it
    hidden visibility, i.e. leave it out of sdk/include, or declare it there on purpose);
  - an SDK header declares a function with HV_API that libhemovk does not export (not defined, or
    defined static / in a file outside core/);
  - an SDK header declares a non-inline function without HV_API (it would link for nobody);
  - a white-box test executable given after the headers (core linked statically, exported for the plugins
    it loads) lacks an SDK function: a plugin would bind that one to libhemovk.so's second copy of core.
Runs as CTest `tools.abi` in every suite, so a change to the public surface is always deliberate.
"""
import glob
import os
import re
import subprocess
import sys

DECL = re.compile(r"^(HV_API\s+)?[A-Za-z][^;{}()]*?\b((?:hv|hemovk)_[a-z0-9_]+)\s*\(")
SKIP = re.compile(r"^(typedef|static|#|extern\b)")
# what the toolchain itself puts into every shared object
TOOLCHAIN = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def sdk_declarations(include_dir):
    api, unmarked = {}, {}
    for path in sorted(glob.glob(os.path.join(include_dir, "*.h"))):
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if SKIP.match(line):
                    continue
                m = DECL.match(line)
                if not m:
                    continue
                where = f"{os.path.relpath(path)}:{lineno}"
                (api if m.group(1) else unmarked)[m.group(2)] = where
    return api, unmarked


def exported_symbols(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        name = parts[2].split("@")[0]
        if name not in TOOLCHAIN and not name.startswith("__"):
            syms[name] = parts[1]
    return syms


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: check_abi.py LIBHEMOVK.so SDK_INCLUDE_DIR [TEST_EXECUTABLE ...]")
    library, include_dir, tests = sys.argv[1], sys.argv[2], sys.argv[3:]
    api, unmarked = sdk_declarations(include_dir)
    exported = exported_symbols(library)
    problems = []
    for name in sorted(set(exported) - set(api)):
        problems.append(f"exported but not declared with HV_API in the SDK: {name} ({exported[name]})")
    for name in sorted(set(api) - set(exported)):
        problems.append(f"declared with HV_API but not exported by {os.path.basename(library)}: {name} ({api[name]})")
    for name, where in sorted(unmarked.items()):
        problems.append(f"{where}: {name} is declared without HV_API (mark it, or make it static inline)")
    for name in sorted(n for n, kind in exported.items() if n in api and kind not in "TW"):
        problems.append(f"{name} is exported as a {exported[name]} symbol, not a function")
    for test in tests:
        missing = sorted(set(api) - set(exported_symbols(test)))
        if missing:
            problems.append(f"{os.path.basename(test)} does not export {len(missing)} SDK functions (link core whole): "
                            + ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else ""))
    print(f"{len(api)} SDK functions declared with HV_API, {len(exported)} symbols exported by {library}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ABI check passed: the exported symbols are exactly the SDK's declarations")


if __name__ == "__main__":
    main()
