/* Device tests: the choice rule on fake device lists (types, ties, index and name selectors, errors
 * that list the devices), then the real device (lavapipe in CI) opened with validation on, features
 * switched off by HEMOVK_DISABLE_*, selectors through HEMOVK_DEVICE, a missing validation layer,
 * and proof that the validation messenger really counts messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/log.h"
#include "hvtest.h"
#include "vulkan/runtime.h"
#include "vulkan/vk_internal.h"

static hv_device_info fake(const char *name, hv_device_type type, uint32_t index) {
    hv_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "%s", name);
    d.type = type;
    d.index = index;
    return d;
}

START_TEST(test_choose_by_type) {
    hv_device_info l[4] = {fake("llvmpipe (LLVM 15)", HV_DEVICE_CPU, 0), fake("Intel UHD 770", HV_DEVICE_INTEGRATED, 1),
                           fake("NVIDIA H100", HV_DEVICE_DISCRETE, 2), fake("Virtio GPU", HV_DEVICE_VIRTUAL, 3)};
    uint32_t c = 99;
    ck_assert_int_eq(hv_device_choose(l, 4, NULL, &c), HV_OK);
    ck_assert_uint_eq(c, 2);
    ck_assert_int_eq(hv_device_choose(l, 4, "", &c), HV_OK);
    ck_assert_uint_eq(c, 2);
    ck_assert_int_eq(hv_device_choose(l, 2, NULL, &c), HV_OK); /* integrated beats CPU */
    ck_assert_uint_eq(c, 1);
    hv_device_info v[3] = {fake("cpu", HV_DEVICE_CPU, 0), fake("other", HV_DEVICE_OTHER, 1), fake("virt", HV_DEVICE_VIRTUAL, 2)};
    ck_assert_int_eq(hv_device_choose(v, 3, NULL, &c), HV_OK); /* virtual > CPU > other */
    ck_assert_uint_eq(c, 2);
    ck_assert_int_eq(hv_device_choose(v, 2, NULL, &c), HV_OK);
    ck_assert_uint_eq(c, 0);
}
END_TEST

START_TEST(test_choose_ties_by_index) {
    hv_device_info l[3] = {fake("llvmpipe", HV_DEVICE_CPU, 0), fake("GPU A", HV_DEVICE_DISCRETE, 1),
                           fake("GPU B", HV_DEVICE_DISCRETE, 2)};
    uint32_t c = 99;
    ck_assert_int_eq(hv_device_choose(l, 3, NULL, &c), HV_OK);
    ck_assert_uint_eq(c, 1);
    ck_assert_int_eq(hv_device_choose(l, 3, "gpu", &c), HV_OK); /* two match: the rule picks the first */
    ck_assert_uint_eq(c, 1);
}
END_TEST

START_TEST(test_choose_selectors) {
    hv_device_info l[3] = {fake("llvmpipe (LLVM 15.0.6, 256 bits)", HV_DEVICE_CPU, 0),
                           fake("NVIDIA H100 80GB HBM3", HV_DEVICE_DISCRETE, 1), fake("AMD Radeon", HV_DEVICE_DISCRETE, 2)};
    uint32_t c = 99;
    ck_assert_int_eq(hv_device_choose(l, 3, "0", &c), HV_OK); /* index beats the type rule */
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(hv_device_choose(l, 3, " 2 ", &c), HV_OK);
    ck_assert_uint_eq(c, 2);
    ck_assert_int_eq(hv_device_choose(l, 3, "LLVMPIPE", &c), HV_OK); /* case-insensitive substring */
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(hv_device_choose(l, 3, "h100", &c), HV_OK);
    ck_assert_uint_eq(c, 1);
    ck_assert_int_eq(hv_device_choose(l, 3, "radeon", &c), HV_OK);
    ck_assert_uint_eq(c, 2);
}
END_TEST

START_TEST(test_choose_errors_list_devices) {
    hv_device_info l[2] = {fake("llvmpipe", HV_DEVICE_CPU, 0), fake("NVIDIA H100", HV_DEVICE_DISCRETE, 1)};
    uint32_t c = 99;
    ck_assert_int_eq(hv_device_choose(l, 2, "5", &c), HV_ERR_NOT_FOUND);
    ck_assert_uint_eq(c, 99); /* untouched: never a silent fallback */
    const char *m = hv_last_error();
    ck_assert_msg(strstr(m, "5") && strstr(m, "0: llvmpipe") && strstr(m, "1: NVIDIA H100"), "%s", m);
    ck_assert_int_eq(hv_device_choose(l, 2, "99999999999999999999", &c), HV_ERR_NOT_FOUND);
    ck_assert_int_eq(hv_device_choose(l, 2, "radeon", &c), HV_ERR_NOT_FOUND);
    m = hv_last_error();
    ck_assert_msg(strstr(m, "radeon") && strstr(m, "llvmpipe") && strstr(m, "NVIDIA H100") && strstr(m, "CPU"), "%s", m);
    ck_assert_int_eq(hv_device_choose(l, 0, NULL, &c), HV_ERR_NOT_FOUND);
    ck_assert_int_eq(hv_device_choose(NULL, 2, NULL, &c), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

/* The CPU backend's entry (host) beats a Vulkan device that is a CPU, never a GPU; "vulkan" and "cpu"
 * pick a side. */
START_TEST(test_choose_host_backend) {
    hv_device_info l[3] = {fake("llvmpipe (LLVM 15.0.6, 256 bits)", HV_DEVICE_CPU, 0),
                           fake("cpu (hemovk CPU backend, oneDNN 2.6.3, 2 threads)", HV_DEVICE_CPU, 1)};
    l[1].host = true;
    uint32_t c = 9;
    ck_assert_int_eq(hv_device_choose(l, 2, NULL, &c), HV_OK);
    ck_assert_uint_eq(c, 1); /* no GPU: the CPU backend by default */
    ck_assert_int_eq(hv_device_choose(l, 2, "vulkan", &c), HV_OK);
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(hv_device_choose(l, 2, "llvmpipe", &c), HV_OK); /* lavapipe stays selectable by name */
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(hv_device_choose(l, 2, "cpu", &c), HV_OK);
    ck_assert_uint_eq(c, 1);
    ck_assert_int_eq(hv_device_choose(l, 2, "0", &c), HV_OK);
    ck_assert_uint_eq(c, 0);
    hv_device_info g[3] = {fake("NVIDIA H100", HV_DEVICE_DISCRETE, 0), l[0], l[1]};
    g[1].index = 1, g[2].index = 2;
    ck_assert_int_eq(hv_device_choose(g, 3, NULL, &c), HV_OK);
    ck_assert_uint_eq(c, 0); /* a GPU beats the CPU backend */
    ck_assert_int_eq(hv_device_choose(g, 3, "VULKAN", &c), HV_OK);
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(hv_device_choose(g, 3, " cpu ", &c), HV_OK);
    ck_assert_uint_eq(c, 2);
    ck_assert_int_eq(hv_device_choose(&l[1], 1, NULL, &c), HV_OK); /* no Vulkan device at all */
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(hv_device_choose(&l[1], 1, "vulkan", &c), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "cpu (hemovk CPU backend"));
}
END_TEST

START_TEST(test_type_names) {
    ck_assert_str_eq(hv_device_type_name(HV_DEVICE_DISCRETE), "discrete GPU");
    ck_assert_str_eq(hv_device_type_name(HV_DEVICE_CPU), "CPU");
    ck_assert_str_eq(hv_device_type_name((hv_device_type)42), "other");
}
END_TEST

START_TEST(test_open_real_device) {
    const hv_device_info *list = NULL;
    uint32_t n = 0;
    ck_assert_msg(hv_device_list(&list, &n) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_ge(n, 1);
    hv_device *dev = NULL;
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "%s", hv_last_error());
    const hv_device_info *info = hv_device_get_info(dev);
    ck_assert(info->name[0] != 0);
    ck_assert_uint_ge(info->max_storage_buffer_range, 1u << 20);
    ck_assert_uint_ge(info->max_memory_allocation_size, 1u << 20);
    ck_assert_uint_ge(info->max_workgroup_invocations, 128);
    ck_assert_uint_ge(info->max_push_constants, 128);
    ck_assert_uint_ge(info->heap_count, 1);
    ck_assert(info->subgroup_size >= 1 && (info->subgroup_size & (info->subgroup_size - 1)) == 0);
    ck_assert(info->min_storage_buffer_offset_alignment >= 1);
    uint32_t chosen = 99;
    ck_assert(hv_device_choose(list, n, getenv("HEMOVK_DEVICE"), &chosen) == HV_OK); /* CTest: "vulkan" */
    ck_assert_str_eq(info->name, list[chosen].name);
    if (strstr(info->name, "llvmpipe")) { /* what lavapipe (Mesa 22.3) reports */
        ck_assert_uint_eq(info->subgroup_size, 8);
        ck_assert(info->float16 && info->storage16 && info->int8 && info->subgroup_ops);
        ck_assert_int_eq(info->type, HV_DEVICE_CPU);
    }
    hv_device_close(dev);
    hv_device_close(NULL);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(test_disable_features) {
    setenv("HEMOVK_DISABLE_FP16", "1", 1);
    setenv("HEMOVK_DISABLE_STORAGE16", "1", 1);
    setenv("HEMOVK_DISABLE_INT8", "1", 1);
    setenv("HEMOVK_DISABLE_SUBGROUP", "1", 1);
    setenv("HEMOVK_DISABLE_COOPMAT", "1", 1);
    hv_device *dev = NULL;
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "%s", hv_last_error());
    const hv_device_info *info = hv_device_get_info(dev);
    ck_assert(!info->float16 && !info->storage16 && !info->int8 && !info->subgroup_ops && !info->coopmat);
    ck_assert_uint_eq(info->coopmat_shape_count, 0);
    hv_device_close(dev);
    const hv_device_info *list = NULL;
    uint32_t n = 0;
    ck_assert(hv_device_list(&list, &n) == HV_OK && n >= 1);
    ck_assert(!list[0].float16 && !list[0].storage16);
    setenv("HEMOVK_DISABLE_FP16", "0", 1); /* "0" means not disabled */
    ck_assert(hv_device_list(&list, &n) == HV_OK && n >= 1);
    if (strstr(list[0].name, "llvmpipe")) ck_assert(list[0].float16);
    unsetenv("HEMOVK_DISABLE_FP16");
    unsetenv("HEMOVK_DISABLE_STORAGE16");
    unsetenv("HEMOVK_DISABLE_INT8");
    unsetenv("HEMOVK_DISABLE_SUBGROUP");
    unsetenv("HEMOVK_DISABLE_COOPMAT");
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(test_env_selector) {
    hv_device *dev = NULL;
    setenv("HEMOVK_DEVICE", "0", 1);
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(hv_device_get_info(dev)->index, 0);
    hv_device_close(dev);
    setenv("HEMOVK_DEVICE", "no-such-gpu-xyz", 1);
    ck_assert_int_eq(hv_device_open(NULL, &dev), HV_ERR_NOT_FOUND);
    ck_assert_ptr_null(dev);
    const char *m = hv_last_error();
    ck_assert_msg(strstr(m, "no-such-gpu-xyz") && strstr(m, "HEMOVK_DEVICE") && strstr(m, "0: "), "%s", m);
    /* an explicit selector wins over the environment */
    ck_assert_msg(hv_device_open("0", &dev) == HV_OK, "%s", hv_last_error());
    hv_device_close(dev);
    ck_assert_int_eq(hv_device_open("17", &dev), HV_ERR_NOT_FOUND);
    unsetenv("HEMOVK_DEVICE");
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(test_missing_validation_layer_is_an_error) {
    const char *dir = hvtest_tmpdir("no-layers");
    ck_assert_ptr_nonnull(dir);
    setenv("VK_LAYER_PATH", dir, 1); /* the loader looks for explicit layers only here */
    setenv("HEMOVK_VALIDATE", "1", 1);
    hv_device *dev = NULL;
    hv_status st = hv_device_open(NULL, &dev);
    ck_assert_int_eq(st, HV_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(hv_last_error(), "VK_LAYER_KHRONOS_validation") && strstr(hv_last_error(), "HEMOVK_VALIDATE"),
                  "%s", hv_last_error());
    setenv("HEMOVK_VALIDATE", "0", 1); /* without validation the same machine works */
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "%s", hv_last_error());
    hv_device_close(dev);
    unsetenv("VK_LAYER_PATH");
    setenv("HEMOVK_VALIDATE", "1", 1);
}
END_TEST

static unsigned g_sink_hits;
static void count_validation_lines(hv_log_level level, const char *msg, void *user) {
    (void)user;
    if (level == HV_LOG_WARN && strstr(msg, "Vulkan validation") && strstr(msg, "VUID")) g_sink_hits++;
}

/* The counter must really count: make one deliberate API misuse (a zero-size buffer) and expect it
 * to be reported, with its text, through the log. Only in a forked test process, so the counter
 * the other tests check stays at zero. */
START_TEST(test_validation_counts_messages) {
    const char *fork_mode = getenv("CK_FORK");
    if (fork_mode && strcmp(fork_mode, "no") == 0) return;
    hv_device *dev = NULL;
    ck_assert(hv_device_open(NULL, &dev) == HV_OK);
    if (!hv_vk_validation_enabled()) {
        hv_device_close(dev);
        return; /* run without HEMOVK_VALIDATE: nothing to count */
    }
    hv_log_set_sink(count_validation_lines, NULL);
    uint32_t before = hv_validation_message_count();
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = 0,
                              .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer b = VK_NULL_HANDLE;
    if (vkCreateBuffer(dev->device, &bci, NULL, &b) == VK_SUCCESS) vkDestroyBuffer(dev->device, b, NULL);
    ck_assert_uint_gt(hv_validation_message_count(), before);
    ck_assert_uint_ge(g_sink_hits, 1);
    hv_log_set_sink(NULL, NULL);
    hv_device_close(dev);
}
END_TEST

int main(void) {
    Suite *s = suite_create("device");
    TCase *choose = tcase_create("choose");
    tcase_add_test(choose, test_choose_by_type);
    tcase_add_test(choose, test_choose_ties_by_index);
    tcase_add_test(choose, test_choose_selectors);
    tcase_add_test(choose, test_choose_errors_list_devices);
    tcase_add_test(choose, test_choose_host_backend);
    tcase_add_test(choose, test_type_names);
    suite_add_tcase(s, choose);
    TCase *real = tcase_create("real");
    tcase_set_timeout(real, 300);
    tcase_add_test(real, test_open_real_device);
    tcase_add_test(real, test_disable_features);
    tcase_add_test(real, test_env_selector);
    tcase_add_test(real, test_missing_validation_layer_is_an_error);
    tcase_add_test(real, test_validation_counts_messages);
    suite_add_tcase(s, real);
    return hvtest_run(s);
}
