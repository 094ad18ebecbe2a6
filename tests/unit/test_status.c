/* Error messages and logging: the plumbing every other module reports through. */
#include "hvtest.h"

#include "hemovk/log.h"
#include "hemovk/status.h"

#include <string.h>

START_TEST(error_keeps_message_and_code) {
    hv_clear_error();
    ck_assert_str_eq(hv_last_error(), "");
    hv_status st = hv_error(HV_ERR_IO, "%s: %s", "weights.safetensors", "No such file");
    ck_assert_int_eq(st, HV_ERR_IO);
    ck_assert_str_eq(hv_last_error(), "weights.safetensors: No such file");
    st = hv_error_context(st, "loading stage '%s'", "classify");
    ck_assert_int_eq(st, HV_ERR_IO);
    ck_assert_str_eq(hv_last_error(), "loading stage 'classify': weights.safetensors: No such file");
    ck_assert_str_eq(hv_status_name(HV_ERR_SCHEMA), "HV_ERR_SCHEMA");
}
END_TEST

static int g_seen;
static void count_sink(hv_log_level level, const char *msg, void *user) {
    (void)user;
    if (level == HV_LOG_WARN && strstr(msg, "cache")) g_seen++;
}

START_TEST(log_sink_and_warning_count) {
    unsigned before = hv_log_warning_count();
    hv_log_set_sink(count_sink, NULL);
    hv_log_warn("pipeline cache %s ignored", "x");
    hv_log_debug("not shown at info level");
    hv_log_set_sink(NULL, NULL);
    ck_assert_int_eq(g_seen, 1);
    ck_assert_uint_eq(hv_log_warning_count(), before + 1);
}
END_TEST

int main(void) {
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, error_keeps_message_and_code);
    tcase_add_test(tc, log_sink_and_warning_count);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
