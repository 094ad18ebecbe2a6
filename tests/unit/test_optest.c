/* The op-test harness must catch what it claims to: an op writing past its output (guard regions),
 * a wrong result (NMSE), and a correct op must pass. Uses two tiny fake ops built on hv_cmd_fill. */
#include <check.h>
#include <string.h>

#include "hvtest.h"
#include "optest.h"

/* "zeros": y = 0 with the same shape as x. `overrun` bytes are written past the end on the device. */
typedef struct fake_params {
    uint32_t overrun;
    uint32_t pattern;
} fake_params;

static hv_status fake_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    (void)params;
    (void)n_src;
    *dst = src[0];
    return HV_OK;
}

static hv_status fake_ref(const void *params, const hv_tensor_desc *src, const float *const *d, uint32_t n_src,
                          const hv_tensor_desc *dst, float *y) {
    (void)params, (void)src, (void)d, (void)n_src;
    memset(y, 0, (size_t)hv_desc_numel(dst) * sizeof *y);
    return HV_OK;
}

static hv_status fake_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                             const hv_binding *b, uint32_t n_src, const hv_tensor_desc *dst, const hv_binding *db,
                             const hv_binding *scratch) {
    const fake_params *p = params;
    (void)dev, (void)src, (void)b, (void)n_src, (void)scratch;
    uint64_t bytes = ((uint64_t)hv_desc_bytes(dst) + 3) & ~(uint64_t)3;
    return hv_cmd_fill(cmd, db->buf, db->offset, bytes + p->overrun, p->pattern);
}

static const hv_op_def fake_op = {
    .name = "fake", .param_size = sizeof(fake_params), .min_src = 1, .max_src = 1,
    .infer = fake_infer, .ref = fake_ref, .record = fake_record,
};

static optest_case fake_case(const fake_params *p) {
    optest_case c = {.op = &fake_op, .params = p, .n_src = 1, .label = "self-test"};
    c.src[0] = optest_desc(HV_LAYOUT_ANY, 2, 5, 12, 0, 0);
    return c;
}

START_TEST(correct_op_passes) {
    fake_params p = {0, 0};
    optest_case c = fake_case(&p);
    ck_assert(optest_check(&c, HV_F32));
    ck_assert(optest_check(&c, HV_F16));
}
END_TEST

START_TEST(out_of_bounds_write_is_caught) {
    fake_params p = {4, 0};
    optest_case c = fake_case(&p);
    ck_assert(!optest_check(&c, HV_F32));
    optest_result r;
    ck_assert_int_eq(optest_run(&c, HV_F32, false, &r), HV_OK);
    ck_assert(!r.guards_ok);
    ck_assert_double_eq(r.nmse, 0.0); /* the values themselves are right: only the guard says why */
    optest_result_free(&r);
}
END_TEST

START_TEST(wrong_values_and_inf_are_caught) {
    fake_params p = {0, 0x3f800000u}; /* writes 1.0f where the reference says 0 */
    optest_case c = fake_case(&p);
    ck_assert(!optest_check(&c, HV_F32));
    fake_params inf = {0, 0x7f800000u}; /* +Inf */
    optest_case ci = fake_case(&inf);
    optest_result r;
    ck_assert_int_eq(optest_run(&ci, HV_F32, false, &r), HV_OK);
    ck_assert_uint_eq(r.nonfinite, 60);
    optest_result_free(&r);
    ck_assert(!optest_check(&ci, HV_F32));
}
END_TEST

int main(void) {
    Suite *s = suite_create("optest");
    TCase *tc = tcase_create("optest");
    tcase_add_test(tc, correct_op_passes);
    tcase_add_test(tc, out_of_bounds_write_is_caught);
    tcase_add_test(tc, wrong_values_and_inf_are_caught);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
