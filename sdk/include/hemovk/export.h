/* HV_API marks the functions of hemovk's public SDK — the only symbols libhemovk exports.
 *
 * libhemovk is built with hidden visibility, so everything in core/ without this mark stays internal:
 * plugins, examples, the `hemovk` command and the benchmarks can call what the SDK headers declare and
 * nothing else (plugins are linked with --no-undefined, so reaching past the SDK fails at build time,
 * not at dlopen). The ABI check (scripts/check_abi.py, CTest `tools.abi`) proves the set of exported
 * symbols equals the set of HV_API declarations. */
#ifndef HEMOVK_EXPORT_H
#define HEMOVK_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define HV_API __attribute__((visibility("default")))
#else
#define HV_API
#endif

#endif
