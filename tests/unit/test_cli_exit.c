/* The `hemovk` program's exit codes are the README's ("Exit codes"), one case per code it can return,
 * with the messages that go with them: 0 success, 1 some frames failed, 2 usage (unknown options and
 * commands, a --log level that does not exist), 3 invalid input (bad YAML, a bad param in every stage it
 * occurs in, all reported at once by validate), 4 device error (a device that does not exist, from
 * HEMOVK_DEVICE or --device, for `run` and `devices` alike, the message naming where the selector came
 * from), 5 plugin error (a component missing while a plugin was rejected). 6 (output error), 7 (output
 * folder in use) and 143 (SIGTERM) are tested with their causes in tests/pipeline/test_outputs.c; 70
 * (internal error) has no input that reaches it. */
#include "hvtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char g_dir[4096];
static char g_out[1 << 16];

/* Run `env... hemovk args` (a shell line), keep stdout+stderr in g_out, return the exit code. */
static int cli(const char *env, const char *args) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && env -u HEMOVK_DEVICE %s '%s' %s 2>&1", g_dir, env ? env : "", HEMOVK_CLI, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(g_out, 1, sizeof g_out - 1, p);
    g_out[n] = 0;
    int rc = pclose(p);
    ck_assert_msg(WIFEXITED(rc), "%s: no exit status", cmd);
    return WEXITSTATUS(rc);
}

#define EXPECT(code, env, args)                                                                               \
    do {                                                                                                     \
        int rc_ = cli(env, args);                                                                            \
        ck_assert_msg(rc_ == (code), "hemovk %s: exit %d, expected %d:\n%s", args, rc_, code, g_out);        \
    } while (0)
#define OUT_HAS(text) ck_assert_msg(strstr(g_out, text), "no \"%s\" in:\n%s", text, g_out)

static void write_file(const char *name, const char *text) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void) {
    snprintf(g_dir, sizeof g_dir, "%s", hvtest_tmpdir("cli-exit"));
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/frames' && cp '%s/tests/data/images/frame-64x48.jpg' '%s/frames/good.jpg'",
             g_dir, HEMOVK_SOURCE_DIR, g_dir);
    ck_assert_int_eq(system(cmd), 0);
    write_file("frames/torn.png", "\x89PNG\r\n\x1a\n not really");
    snprintf(cmd, sizeof cmd, "cp '%s/pipelines/quality-check.yaml' '%s/qc.yaml'", HEMOVK_SOURCE_DIR, g_dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(exit_0_success) {
    EXPECT(0, NULL, "--version");
    EXPECT(0, NULL, "--help");
    EXPECT(0, NULL, "validate qc.yaml");
    OUT_HAS("qc.yaml: valid");
    EXPECT(0, NULL, "devices");
}
END_TEST

START_TEST(exit_1_some_frames_failed) {
    EXPECT(1, "HEMOVK_LOG=error", "run qc.yaml --input frames --output out1 --progress none");
    OUT_HAS("torn.png");
}
END_TEST

START_TEST(exit_2_usage) {
    EXPECT(2, NULL, "--bogus devices");
    OUT_HAS("unknown option '--bogus'");
    EXPECT(2, NULL, "frobnicate");
    OUT_HAS("unknown command 'frobnicate'");
    EXPECT(2, NULL, "--log chatty devices");
    OUT_HAS("--log expects error, warn, info or debug, got 'chatty'");
    EXPECT(0, NULL, "--log debug --version");
    EXPECT(2, NULL, "run qc.yaml");
    OUT_HAS("--output DIR is required");
    EXPECT(2, NULL, "run qc.yaml --output o --progress sideways");
    EXPECT(2, NULL, "devices --bogus");
    EXPECT(2, NULL, "validate");
    /* a wrong HEMOVK_LOG is not fatal, but said */
    EXPECT(0, "HEMOVK_LOG=chatty", "--version");
    EXPECT(0, "HEMOVK_LOG=chatty", "validate qc.yaml");
    OUT_HAS("HEMOVK_LOG='chatty' is not error, warn, info or debug");
}
END_TEST

START_TEST(exit_3_invalid_input) {
    write_file("torn.yaml", "version: 1\nstages: [\n");
    EXPECT(3, NULL, "validate torn.yaml");
    OUT_HAS("torn.yaml:");
    EXPECT(3, NULL, "run torn.yaml --input frames --output out3");
    EXPECT(3, NULL, "validate no-such-file.yaml");
    /* two independent mistakes in two stages: validate reports both, not just the first */
    write_file("two.yaml", "version: 1\n"
                           "stages:\n"
                           "  - {id: a, component: filter.quality, params: {min_luminance: 20, lumens: 3}}\n"
                           "  - {id: b, component: filter.quality, inputs: [a], params: {min_sharpness: -5}}\n"
                           "outputs:\n"
                           "  - {id: j, component: writer.jsonl, path: r.jsonl}\n");
    EXPECT(3, NULL, "validate two.yaml");
    OUT_HAS("two.yaml:3:");
    OUT_HAS("lumens");
    OUT_HAS("two.yaml:4:");
    OUT_HAS("min_sharpness");
    OUT_HAS("stage 'a'");
    OUT_HAS("stage 'b'");
}
END_TEST

/* README: "4 device error"; `run` gave 3 and `devices` 4 for the same missing device. */
START_TEST(exit_4_no_such_device) {
    EXPECT(4, "HEMOVK_DEVICE=nonexistent", "devices");
    OUT_HAS("\"nonexistent\" (from HEMOVK_DEVICE)");
    EXPECT(4, NULL, "--device nonexistent devices");
    OUT_HAS("\"nonexistent\" (from --device)");
    EXPECT(4, "HEMOVK_DEVICE=nonexistent", "run qc.yaml --input frames --output out4a");
    OUT_HAS("\"nonexistent\" (from HEMOVK_DEVICE)");
    ck_assert_msg(!strstr(g_out, "from argument"), "%s", g_out);
    EXPECT(4, NULL, "--device nonexistent run qc.yaml --input frames --output out4b");
    OUT_HAS("\"nonexistent\" (from --device)");
    EXPECT(4, "HEMOVK_DEVICE=llvmpipe", "run qc.yaml --device nonexistent --input frames --output out4c");
    OUT_HAS("\"nonexistent\" (from --device)");
    EXPECT(4, NULL, "--device 99 devices");
    OUT_HAS("device index 99 does not exist");
}
END_TEST

/* The CPU backend: listed by `devices`, chosen by --device cpu, its threads from --threads (checked). */
START_TEST(cpu_backend_device_and_threads) {
    EXPECT(0, NULL, "devices");
    OUT_HAS("cpu (hemovk CPU backend");
    EXPECT(0, NULL, "--device cpu --threads 1 devices");
    OUT_HAS("* ");
    OUT_HAS("1 thread)");
    EXPECT(0, "HEMOVK_THREADS=3", "--device cpu devices");
    OUT_HAS("3 threads)");
    EXPECT(2, NULL, "--threads 0 devices");
    OUT_HAS("--threads expects a number from 1 to 256, got '0'");
    EXPECT(2, NULL, "--threads many devices");
    EXPECT(1, NULL, "--device cpu run qc.yaml --input frames --output out_cpu"); /* frames/torn.png fails */
    OUT_HAS("device cpu (hemovk CPU backend");
}
END_TEST

START_TEST(exit_5_plugin_error) {
    write_file("plug.yaml", "version: 1\n"
                            "stages:\n"
                            "  - {id: a, component: third.party}\n"
                            "outputs:\n"
                            "  - {id: j, component: writer.jsonl, path: r.jsonl}\n");
    /* no plugin was rejected: a name that does not exist is bad input */
    EXPECT(3, NULL, "validate plug.yaml");
    OUT_HAS("no stage component named 'third.party'");
    /* a plugin on the path was rejected (built for another ABI major): the missing component may be its */
    char env[4400];
    snprintf(env, sizeof env, "HEMOVK_PLUGIN_PATH='%s/test-plugins/major'", HEMOVK_BINARY_DIR);
    EXPECT(5, env, "validate plug.yaml");
    OUT_HAS("rejected");
    EXPECT(5, env, "run plug.yaml --input frames --output out5");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("unit.cli_exit");
    TCase *tc = tcase_create("exit codes");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, exit_0_success);
    tcase_add_test(tc, exit_1_some_frames_failed);
    tcase_add_test(tc, exit_2_usage);
    tcase_add_test(tc, exit_3_invalid_input);
    tcase_add_test(tc, exit_4_no_such_device);
    tcase_add_test(tc, cpu_backend_device_and_threads);
    tcase_add_test(tc, exit_5_plugin_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return hvtest_run(suite()); }
