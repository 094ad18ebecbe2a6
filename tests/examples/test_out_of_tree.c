/* The third-party plugin story end to end, as a user outside this source tree lives it:
 *   1. `cmake --install` this build into a fresh prefix (program, library, plugins, SDK, schemas);
 *   2. configure and build examples/bleeding-area OUT OF TREE against that prefix with CMake
 *      (find_package(hemovk) through CMAKE_PREFIX_PATH, warnings as errors), and again with its
 *      Makefile through pkg-config, installing that copy into `pkg-config --variable=plugindir hemovk`;
 *   3. the INSTALLED `hemovk plugins` lists the plugin and its components, both from HEMOVK_PLUGIN_PATH
 *      and from the plugin folder, and the installed program uses the installed libhemovk and plugins;
 *   4. the installed `hemovk run` runs the example's pipeline.yaml over real WCEBleedGen frames (masks of
 *      three PNG encodings, multi-region masks, a normal frame without a mask) and the JSONL metadata
 *      equals an independent Python/PIL measure of the mask files;
 *   5. the plugin's own custom operator (bleeding_area.red_ratio: C code and SPIR-V built with the plugin)
 *      gives each frame's mean red ratio on the Vulkan device and on hemovk's CPU backend, equal to each
 *      other and to NumPy.
 * Nothing of hemovk is rebuilt for the plugin. */
#include "hvtest.h"
#include "hemovk/plugin.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DATA HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"
#define EXAMPLE HEMOVK_SOURCE_DIR "/examples/bleeding-area"

static char g_tmp[1024], g_prefix[1100], g_build[1100], g_make[1100], g_log[1100];

/* Whole file as a string (malloc'ed), or NULL. */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* Run a shell command with stdout+stderr to g_log; its exit status (-1 if it did not exit). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_int_lt(n, (int)sizeof cmd - 64);
    snprintf(cmd + n, sizeof cmd - (size_t)n, " >'%s' 2>&1", g_log);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The log of the last command, for failure messages (the tail, where errors are). */
static const char *last_log(void) {
    static char tail[6000];
    char *s = slurp(g_log);
    size_t n = s ? strlen(s) : 0;
    snprintf(tail, sizeof tail, "%s", s ? s + (n > 5900 ? n - 5900 : 0) : "(no log)");
    free(s);
    return tail;
}

#define SH_OK(...)                                                                             \
    do {                                                                                       \
        int rc_ = sh(__VA_ARGS__);                                                             \
        ck_assert_msg(rc_ == 0, "command failed (exit %d):\n%s", rc_, last_log());             \
    } while (0)

/* Install this build and build the example out of tree once; every test uses the result. */
static void setup(void) {
    snprintf(g_tmp, sizeof g_tmp, "%s", hvtest_tmpdir("out_of_tree"));
    snprintf(g_prefix, sizeof g_prefix, "%s/prefix", g_tmp);
    snprintf(g_build, sizeof g_build, "%s/build", g_tmp);
    snprintf(g_make, sizeof g_make, "%s/make", g_tmp);
    snprintf(g_log, sizeof g_log, "%s/command.log", g_tmp);
}

START_TEST(install_then_build_the_example_out_of_tree) {
    SH_OK("cmake --install '%s' --prefix '%s'", HEMOVK_BINARY_DIR, g_prefix);
    char path[2048];
    static const char *installed[] = {"bin/hemovk", "lib/libhemovk.so", "lib/cmake/hemovk/hemovkConfig.cmake",
                                      "lib/pkgconfig/hemovk.pc", "include/hemovk/plugin.h", "include/hemovk/frame.h",
                                      "lib/hemovk/plugins/hemovk-core.so", "share/hemovk/schemas/pipeline.schema.yaml"};
    for (size_t i = 0; i < sizeof installed / sizeof *installed; i++) {
        snprintf(path, sizeof path, "%s/%s", g_prefix, installed[i]);
        ck_assert_msg(access(path, F_OK) == 0, "cmake --install did not install %s", installed[i]);
    }

    /* CMake: only find_package(hemovk) + hemovk_add_plugin, warnings are errors against the installed SDK */
    SH_OK("cmake -S '%s' -B '%s' -DCMAKE_PREFIX_PATH='%s' -DCMAKE_BUILD_TYPE=Release "
          "-DCMAKE_C_FLAGS='-Wall -Wextra -Wshadow -Werror'",
          EXAMPLE, g_build, g_prefix);
    SH_OK("cmake --build '%s'", g_build);
    /* it found the installed package, not this build tree */
    snprintf(path, sizeof path, "%s/CMakeCache.txt", g_build);
    char *cache = slurp(path);
    char want[2048];
    snprintf(want, sizeof want, "hemovk_DIR:PATH=%s/lib/cmake/hemovk", g_prefix);
    ck_assert_msg(cache && strstr(cache, want), "the example did not use the installed hemovk package (%s)", want);
    free(cache);
    snprintf(path, sizeof path, "%s/hemovk-bleeding-area.so", g_build);
    ck_assert_msg(access(path, F_OK) == 0, "no %s after the build", path);
    /* only the entry symbol is exported */
    SH_OK("nm -D --defined-only '%s' | grep -c ' T '", path);
    ck_assert_str_eq(last_log(), "1\n");
}
END_TEST

/* The installed program's `plugins` output with HEMOVK_PLUGIN_PATH set to `plugin_path` ("" = unset). */
static char *installed_plugins(const char *plugin_path) {
    int rc = plugin_path[0] ? sh("HEMOVK_PLUGIN_PATH='%s' '%s/bin/hemovk' plugins", plugin_path, g_prefix)
                            : sh("env -u HEMOVK_PLUGIN_PATH '%s/bin/hemovk' plugins", g_prefix);
    ck_assert_msg(rc == 0, "installed hemovk plugins failed (exit %d):\n%s", rc, last_log());
    return slurp(g_log);
}

START_TEST(installed_hemovk_lists_the_plugin) {
    char *out = installed_plugins(g_build);
    char want[2048];
    snprintf(want, sizeof want, "bleeding-area 1.0.0 (ABI %d.%d)  %s/hemovk-bleeding-area.so", HV_ABI_MAJOR, HV_ABI_MINOR, g_build);
    ck_assert_msg(strstr(out, want), "no '%s' in:\n%s", want, out);
    ck_assert_msg(strstr(out, "stage measure.bleeding_area"), "%s", out);
    ck_assert_msg(strstr(out, "stage detect.from_masks"), "%s", out);
    ck_assert_msg(strstr(out, "mm_per_pixel"), "%s", out);
    /* the built-in plugins come from the installed plugin folder, not from this build tree */
    snprintf(want, sizeof want, "%s/lib/hemovk/plugins/hemovk-core.so", g_prefix);
    ck_assert_msg(strstr(out, want), "installed hemovk did not load its own core plugin (%s):\n%s", want, out);
    snprintf(want, sizeof want, "%s/plugins/", HEMOVK_BINARY_DIR);
    ck_assert_msg(!strstr(out, want), "installed hemovk loaded plugins from the build tree:\n%s", out);
    free(out);
    /* and the installed program links the installed libhemovk (RUNPATH $ORIGIN/../lib) */
    SH_OK("env -u LD_LIBRARY_PATH ldd '%s/bin/hemovk' | grep libhemovk", g_prefix);
    snprintf(want, sizeof want, "%s/bin/../lib/libhemovk.so", g_prefix);
    ck_assert_msg(strstr(last_log(), want), "installed hemovk does not use its own libhemovk:\n%s", last_log());
}
END_TEST

START_TEST(makefile_build_installs_into_plugindir) {
    if (sh("command -v make && command -v pkg-config") != 0) {
        hvtest_skip("out_of_tree: make or pkg-config is not installed: the Makefile build cannot be tested");
        return;
    }
    SH_OK("make -C '%s' O='%s' PKG_CONFIG_PATH='%s/lib/pkgconfig' CFLAGS='-O2 -Wall -Wextra -Werror' install",
          EXAMPLE, g_make, g_prefix);
    char so[2048];
    snprintf(so, sizeof so, "%s/lib/hemovk/plugins/hemovk-bleeding-area.so", g_prefix);
    ck_assert_msg(access(so, F_OK) == 0, "make install did not put the plugin into plugindir:\n%s", last_log());
    char *out = installed_plugins("");
    char want[2100];
    snprintf(want, sizeof want, "bleeding-area 1.0.0 (ABI %d.%d)  %s", HV_ABI_MAJOR, HV_ABI_MINOR, so);
    ck_assert_msg(strstr(out, want), "no '%s' in:\n%s", want, out);
    free(out);
    unlink(so); /* the remaining test uses the CMake build through HEMOVK_PLUGIN_PATH */
}
END_TEST

/* Expected measures of one frame's mask file from the independent Python reference. */
typedef struct expected {
    const char *image;
    const char *mask; /* NULL: no mask (a normal frame) */
    long px, regions;
} expected;

START_TEST(installed_hemovk_runs_the_example_pipeline) {
    expected e[] = {
        {DATA "/bleeding/Images/img- (1).png", DATA "/bleeding/Annotations/ann- (1).png", 0, 0},     /* 1-bit grey */
        {DATA "/bleeding/Images/img- (115).png", DATA "/bleeding/Annotations/ann- (115).png", 0, 0}, /* 6 regions */
        {DATA "/bleeding/Images/img- (170).png", DATA "/bleeding/Annotations/ann- (170).png", 0, 0}, /* palette */
        {DATA "/bleeding/Images/img- (207).png", DATA "/bleeding/Annotations/ann- (207).png", 0, 0}, /* 8-bit, AA */
        {DATA "/non-bleeding/images/img- (5).png", NULL, 0, 0},
    };
    enum { N = sizeof e / sizeof e[0] };
    SH_OK("'%s' '%s/tests/examples/mask_reference.py' '%s' '%s' '%s' '%s'", HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, e[0].mask,
          e[1].mask, e[2].mask, e[3].mask);
    const char *ref = last_log();
    for (int i = 0, off = 0; i < 4; i++) {
        long r4;
        int used = 0;
        ck_assert_int_eq(sscanf(ref + off, "%ld %ld %ld%n", &e[i].px, &e[i].regions, &r4, &used), 3);
        off += used;
    }

    char list[2048], out_dir[2048];
    snprintf(list, sizeof list, "%s/frames.txt", g_tmp);
    snprintf(out_dir, sizeof out_dir, "%s/run", g_tmp);
    FILE *f = fopen(list, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < N; i++) fprintf(f, "%s\n", e[i].image);
    fclose(f);

    int rc = sh("HEMOVK_PLUGIN_PATH='%s' '%s/bin/hemovk' run '%s/pipeline.yaml' --input '%s' --output '%s'", g_build,
                g_prefix, EXAMPLE, list, out_dir);
    ck_assert_msg(rc == 0, "hemovk run failed (exit %d):\n%s", rc, last_log());
    ck_assert_msg(!strstr(last_log(), "VUID"), "validation messages during the run:\n%s", last_log());
    SH_OK("HEMOVK_PLUGIN_PATH='%s' '%s/bin/hemovk' validate '%s/pipeline.yaml'", g_build, g_prefix, EXAMPLE);
    /* the host checks the plugin's params against the plugin's own schema, pointing into the YAML */
    char bad[2100];
    snprintf(bad, sizeof bad, "%s/bad-calibration.yaml", g_tmp);
    SH_OK("sed 's/mm_per_pixel: 0.1 /mm_per_pixel: -1 /' '%s/pipeline.yaml' > '%s' && grep -c 'mm_per_pixel: -1' '%s'",
          EXAMPLE, bad, bad);
    rc = sh("HEMOVK_PLUGIN_PATH='%s' '%s/bin/hemovk' run '%s' --input '%s' --output '%s/run-bad'", g_build, g_prefix,
            bad, list, g_tmp);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(last_log(), "'stages[1].params.mm_per_pixel': expected a number > 0, got -1"), "%s", last_log());
    char summary_path[2100];
    snprintf(summary_path, sizeof summary_path, "%s/summary.json", out_dir);
    char *summary_text = slurp(summary_path);
    cJSON *summary = summary_text ? cJSON_Parse(summary_text) : NULL;
    ck_assert_msg(summary, "no readable %s", summary_path);
    ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(summary, "frames_done")), N);
    ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(summary, "failed")), 0);
    cJSON_Delete(summary);
    free(summary_text);

    char results[4300];
    snprintf(results, sizeof results, "%s/results.jsonl", out_dir);
    char *text = slurp(results);
    ck_assert_msg(text, "no %s", results);
    int seen[N] = {0};
    double redness[N] = {0};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        ck_assert_msg(o, "not JSON: %s", line);
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(o, "path"));
        int i = 0;
        while (i < N && !(path && !strcmp(path, e[i].image))) i++;
        ck_assert_msg(i < N, "unexpected frame %s", path ? path : "(null)");
        seen[i]++;
        ck_assert_msg(cJSON_IsNull(cJSON_GetObjectItem(o, "error")), "frame %s failed: %s", path, line);
        cJSON *meta = cJSON_GetObjectItem(o, "meta");
        char want[64];
        snprintf(want, sizeof want, "%ld", e[i].px);
        ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "bleeding_area.px")), want);
        snprintf(want, sizeof want, "%.4f", (double)e[i].px * 0.1 * 0.1); /* pipeline.yaml: 0.1 mm/px */
        ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "bleeding_area.mm2")), want);
        snprintf(want, sizeof want, "%.6f", (double)e[i].px / (224.0 * 224.0));
        ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "bleeding_area.fraction")), want);
        snprintf(want, sizeof want, "%ld", e[i].regions);
        ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "bleeding_area.regions")), want);
        ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "bleeding_area.flagged")),
                         e[i].px * 0.01 > 50 ? "true" : "false"); /* pipeline.yaml: flag_above_mm2: 50 */
        ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(meta, "masks.found")), e[i].mask ? "true" : "false");
        /* detect.from_masks made one detection per region */
        ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "detections")), (int)e[i].regions);
        /* measure.redness: the plugin's custom operator, here on the Vulkan device (its SPIR-V) */
        const char *red = cJSON_GetStringValue(cJSON_GetObjectItem(meta, "redness.mean"));
        ck_assert_msg(red, "no redness.mean: %s", line);
        redness[i] = atof(red);
        cJSON_Delete(o);
    }
    free(text);
    for (int i = 0; i < N; i++) ck_assert_msg(seen[i] == 1, "frame %s written %d times", e[i].image, seen[i]);
    /* the same op's C code on hemovk's CPU backend, and an independent NumPy reference */
    char out_cpu[2100];
    snprintf(out_cpu, sizeof out_cpu, "%s/run-cpu", g_tmp);
    rc = sh("HEMOVK_PLUGIN_PATH='%s' '%s/bin/hemovk' --device cpu run '%s/pipeline.yaml' --input '%s' --output '%s'",
            g_build, g_prefix, EXAMPLE, list, out_cpu);
    ck_assert_msg(rc == 0, "hemovk --device cpu run failed (exit %d):\n%s", rc, last_log());
    snprintf(results, sizeof results, "%s/results.jsonl", out_cpu);
    text = slurp(results);
    ck_assert_ptr_nonnull(text);
    int k = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), k++) {
        cJSON *o = cJSON_Parse(line);
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(o, "path"));
        int i = 0;
        while (i < N && !(path && !strcmp(path, e[i].image))) i++;
        ck_assert_int_lt(i, N);
        double on_cpu = atof(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "meta"), "redness.mean")));
        /* 6 decimals written, f32 sums of 50,176 pixels: equal to 1e-5 */
        ck_assert_msg(fabs(on_cpu - redness[i]) <= 1e-5, "%s: redness %.6f on the CPU backend, %.6f on Vulkan", path,
                      on_cpu, redness[i]);
        SH_OK("'%s' -c \"import sys, numpy as np; from PIL import Image; "
              "a = np.asarray(Image.open(sys.argv[1]).convert('RGB'), dtype=np.float64); "
              "print('%%.8f' %% (a[..., 0] / (a.sum(-1) + 1)).mean())\" '%s'", HEMOVK_PYTHON, path);
        double want = atof(last_log());
        ck_assert_msg(want > 0.2 && fabs(on_cpu - want) <= 1e-5, "%s: redness %.6f, NumPy says %.8f", path, on_cpu, want);
        cJSON_Delete(o);
    }
    ck_assert_int_eq(k, N);
    free(text);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("out_of_tree");
    TCase *tc = tcase_create("sdk");
    /* The steps build on each other (install, build, use): run them in order in one process. */
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_add_test(tc, install_then_build_the_example_out_of_tree);
    tcase_add_test(tc, installed_hemovk_lists_the_plugin);
    tcase_add_test(tc, makefile_build_installs_into_plugindir);
    tcase_add_test(tc, installed_hemovk_runs_the_example_pipeline);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    HVTEST_NEED_PYTHON("numpy, PIL", "python3-numpy python3-pil");
    return hvtest_run(suite());
}
