/* Custom ops (hemovk/custom_op.h): an operator registered at run time, as a plugin would, used in a
 * graph next to built-in ops and run on every backend — the reference, the CPU backend ("cpu") and
 * Vulkan (its SPIR-V, compiled here with glslangValidator, under the validation layer) — with the same
 * results; an op without f16 SPIR-V refused on a Vulkan f16 plan with a message naming it and the way out
 * (--device cpu) while the CPU backend runs it; and every registration mistake named: a duplicate, a name
 * without a namespace, a missing function, push constants over 128 bytes, SPIR-V without its magic, an
 * unknown op in a graph (the message lists the registered ones), unregistering twice. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/custom_op.h"
#include "hemovk/device.h"
#include "hemovk/graph.h"
#include "hemovk/ops_basic.h"
#include "hvtest.h"

/* y = sa·x0 + sb·x1, elementwise on same-shape inputs; n = the element count, for the shader */
typedef struct scale_add_params {
    float sa, sb;
    uint32_t n, pad;
} scale_add_params;

static hv_status sa_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    (void)params, (void)n_src;
    if (hv_desc_numel(&src[0]) != hv_desc_numel(&src[1]))
        return hv_error(HV_ERR_SHAPE, "test.scale_add: inputs of %lld and %lld values", (long long)hv_desc_numel(&src[0]),
                        (long long)hv_desc_numel(&src[1]));
    *dst = src[0];
    return HV_OK;
}

static hv_status sa_cpu(const void *params, const hv_tensor_desc *src, const float *const *x, uint32_t n_src,
                        const hv_tensor_desc *dst, float *y) {
    (void)src, (void)n_src;
    const scale_add_params *p = params;
    for (int64_t i = 0; i < hv_desc_numel(dst); i++) y[i] = p->sa * x[0][i] + p->sb * x[1][i];
    return HV_OK;
}

static void sa_groups(const void *params, const hv_tensor_desc *dst, uint32_t *x, uint32_t *y) {
    (void)dst;
    const scale_add_params *p = params;
    *x = (p->n + 63) / 64;
    *y = 1;
}

static const char k_shader[] =
    "#version 450\n"
    "layout(local_size_x = 64) in;\n"
    "layout(set = 0, binding = 0) readonly buffer A { float a[]; };\n"
    "layout(set = 0, binding = 1) readonly buffer B { float b[]; };\n"
    "layout(set = 0, binding = 2) writeonly buffer Y { float y[]; };\n"
    "layout(push_constant) uniform P { float sa; float sb; uint n; uint pad; } p;\n"
    "void main() {\n"
    "    uint i = gl_GlobalInvocationID.x;\n"
    "    if (i < p.n) y[i] = p.sa * a[i] + p.sb * b[i];\n"
    "}\n";

static uint32_t *g_spv;
static size_t g_spv_bytes;

/* Compile the shader as a plugin's build would (glslangValidator from glslang-tools). */
static void compile_shader(void) {
    if (g_spv) return;
    const char *dir = hvtest_tmpdir("custom-op");
    char src[4200], out[4200], cmd[9000];
    snprintf(src, sizeof src, "%s/scale_add.comp", dir);
    snprintf(out, sizeof out, "%s/scale_add.spv", dir);
    FILE *f = fopen(src, "w");
    ck_assert_ptr_nonnull(f);
    fputs(k_shader, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "glslangValidator -V --target-env vulkan1.1 -o '%s' '%s' > /dev/null", out, src);
    ck_assert_msg(system(cmd) == 0, "glslangValidator failed on %s", src);
    f = fopen(out, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    g_spv_bytes = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    g_spv = malloc(g_spv_bytes);
    ck_assert_uint_eq(fread(g_spv, 1, g_spv_bytes, f), g_spv_bytes);
    fclose(f);
}

static hv_custom_op scale_add_op(const char *name) {
    compile_shader();
    return (hv_custom_op){.struct_size = sizeof(hv_custom_op), .name = name, .param_size = sizeof(scale_add_params),
                          .min_src = 2, .max_src = 2, .infer = sa_infer, .cpu = sa_cpu, .spirv_f32 = g_spv,
                          .spirv_f32_bytes = g_spv_bytes, .workgroups = sa_groups};
}

/* x [1,3,5,7] → custom(x, w) → relu → "y"; w a constant */
static hv_graph *graph_with(const char *op, hv_dtype dt) {
    hv_graph *g = NULL;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc d = {.dtype = dt, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {1, 3, 5, 7}};
    float w[105];
    hvtest_fill_uniform(w, 105, 5, -1.0f, 1.0f);
    hv_tensor *x = hv_graph_input(g, "x", &d);
    hv_tensor *src[2] = {x, hv_graph_weight(g, "w", &d, w, HV_F32)};
    scale_add_params p = {.sa = 0.5f, .sb = -2.0f, .n = 105};
    hv_tensor *y = hv_custom(g, op, src, 2, &p, "mix");
    y = hv_activate(g, y, HV_ACT_RELU, "relu");
    hv_graph_output(g, y, "y");
    return g;
}

static hv_status run_on(hv_graph *g, hv_device *dev, float *y) {
    float x[105];
    hvtest_fill_uniform(x, 105, 9, -1.0f, 1.0f);
    hv_plan *p = NULL;
    hv_status st = hv_plan_create(g, dev, NULL, &p);
    if (!st) st = hv_plan_set_input(p, "x", x, HV_F32, 105);
    if (!st) st = hv_plan_run(p);
    if (!st) st = hv_plan_get_output(p, "y", y, 105);
    hv_plan_free(p);
    return st;
}

START_TEST(runs_on_every_backend) {
    hv_custom_op op = scale_add_op("test.scale_add");
    ck_assert_msg(hv_custom_op_register(&op) == HV_OK, "%s", hv_last_error());
    hv_graph *g = graph_with("test.scale_add", HV_F32);
    ck_assert_msg(hv_graph_status(g) == HV_OK, "%s", hv_last_error());
    hv_device *vk = NULL, *cpu = NULL;
    ck_assert_msg(hv_device_open("vulkan", &vk) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_device_open("cpu", &cpu) == HV_OK, "%s", hv_last_error());
    float ref[105], on_cpu[105], on_vk[105], expect[105], x[105], w[105];
    ck_assert_msg(run_on(g, NULL, ref) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(run_on(g, cpu, on_cpu) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(run_on(g, vk, on_vk) == HV_OK, "%s", hv_last_error());
    hvtest_fill_uniform(x, 105, 9, -1.0f, 1.0f);
    hvtest_fill_uniform(w, 105, 5, -1.0f, 1.0f);
    int positive = 0;
    for (int i = 0; i < 105; i++) {
        float v = 0.5f * x[i] - 2.0f * w[i];
        expect[i] = v > 0 ? v : 0;
        positive += v > 0;
    }
    ck_assert_int_gt(positive, 10);
    ck_assert_double_le(hvtest_nmse(ref, expect, 105), 1e-14);
    ck_assert_double_le(hvtest_nmse(on_cpu, expect, 105), 1e-14);
    ck_assert_double_le(hvtest_nmse(on_vk, expect, 105), 1e-12);
    /* the profile and messages call it by its name */
    hv_plan *p = NULL;
    ck_assert_int_eq(hv_plan_create(g, cpu, NULL, &p), HV_OK);
    int named = 0;
    for (uint32_t i = 0; i < hv_plan_node_count(p); i++) named += !strcmp(hv_plan_node_op(p, i), "test.scale_add");
    ck_assert_int_eq(named, 1);
    hv_plan_free(p);
    hv_graph_free(g);

    /* no f16 shader: a Vulkan f16 plan is refused with the way out; the CPU backend runs it */
    g = graph_with("test.scale_add", HV_F16);
    ck_assert_int_eq(run_on(g, vk, on_vk), HV_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(hv_last_error(), "test.scale_add") && strstr(hv_last_error(), "f16 SPIR-V") &&
                      strstr(hv_last_error(), "--device cpu"), "%s", hv_last_error());
    ck_assert_msg(run_on(g, cpu, on_cpu) == HV_OK, "%s", hv_last_error());
    ck_assert_double_le(hvtest_nmse(on_cpu, expect, 105), 1e-5);
    hv_graph_free(g);
    hv_device_close(vk);
    hv_device_close(cpu);
    ck_assert_int_eq(hv_custom_op_unregister("test.scale_add"), HV_OK);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(cpu_only_op_on_vulkan_is_refused) {
    hv_custom_op op = scale_add_op("test.cpu_only");
    op.spirv_f32 = NULL, op.spirv_f32_bytes = 0, op.workgroups = NULL;
    ck_assert_int_eq(hv_custom_op_register(&op), HV_OK);
    hv_graph *g = graph_with("test.cpu_only", HV_F32);
    hv_device *vk = NULL;
    ck_assert_int_eq(hv_device_open("vulkan", &vk), HV_OK);
    float y[105];
    ck_assert_int_eq(run_on(g, vk, y), HV_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(hv_last_error(), "'test.cpu_only' has no f32 SPIR-V") && strstr(hv_last_error(), "--device cpu"),
                  "%s", hv_last_error());
    ck_assert_int_eq(run_on(g, NULL, y), HV_OK);
    hv_device_close(vk);
    hv_graph_free(g);
    ck_assert_int_eq(hv_custom_op_unregister("test.cpu_only"), HV_OK);
}
END_TEST

START_TEST(registration_mistakes_are_named) {
    hv_custom_op op = scale_add_op("test.once");
    ck_assert_int_eq(hv_custom_op_register(&op), HV_OK);
    ck_assert_int_eq(hv_custom_op_register(&op), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'test.once' is already registered"));
    hv_custom_op bad = scale_add_op("conv2d");
    ck_assert_int_eq(hv_custom_op_register(&bad), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'vendor.op'"));
    bad = scale_add_op("test.no_cpu");
    bad.cpu = NULL;
    ck_assert_int_eq(hv_custom_op_register(&bad), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "infer and cpu are required"));
    bad = scale_add_op("test.big_push");
    bad.param_size = 132;
    ck_assert_int_eq(hv_custom_op_register(&bad), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "at most 128"));
    bad = scale_add_op("test.bad_magic");
    uint32_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    bad.spirv_f32 = junk, bad.spirv_f32_bytes = sizeof junk;
    ck_assert_int_eq(hv_custom_op_register(&bad), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "SPIR-V magic"));
    bad = scale_add_op("test.sources");
    bad.max_src = 9;
    ck_assert_int_eq(hv_custom_op_register(&bad), HV_ERR_INVALID_ARGUMENT);
    bad = scale_add_op("test.old");
    bad.struct_size = 8;
    ck_assert_int_eq(hv_custom_op_register(&bad), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "struct_size"));
    /* an unknown op in a graph: the graph's error lists what is registered */
    hv_graph *g = graph_with("test.missing", HV_F32);
    ck_assert_int_eq(hv_graph_status(g), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "'test.missing'") && strstr(hv_last_error(), "'test.once'"), "%s",
                  hv_last_error());
    hv_graph_free(g);
    /* shape errors come from the op's infer, with the node named */
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc a = {.dtype = HV_F32, .rank = 1, .dims = {4, 1, 1, 1}}, b = {.dtype = HV_F32, .rank = 1, .dims = {5, 1, 1, 1}};
    hv_tensor *src[2] = {hv_graph_input(g, "a", &a), hv_graph_input(g, "b", &b)};
    scale_add_params p = {1, 1, 4, 0};
    ck_assert_ptr_null(hv_custom(g, "test.once", src, 2, &p, "mismatch"));
    ck_assert_msg(strstr(hv_last_error(), "mismatch") && strstr(hv_last_error(), "4 and 5 values"), "%s", hv_last_error());
    hv_graph_free(g);
    ck_assert_int_eq(hv_custom_op_unregister("test.once"), HV_OK);
    ck_assert_int_eq(hv_custom_op_unregister("test.once"), HV_ERR_NOT_FOUND);
    g = graph_with("test.once", HV_F32); /* gone */
    ck_assert_int_eq(hv_graph_status(g), HV_ERR_NOT_FOUND);
    hv_graph_free(g);
}
END_TEST

int main(void) {
    Suite *s = suite_create("custom_op");
    TCase *tc = tcase_create("custom_op");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, runs_on_every_backend);
    tcase_add_test(tc, cpu_only_op_on_vulkan_is_refused);
    tcase_add_test(tc, registration_mistakes_are_named);
    suite_add_tcase(s, tc);
    int rc = hvtest_run(s);
    free(g_spv);
    return rc;
}
