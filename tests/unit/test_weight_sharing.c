/* Plans whose weights are the same bytes share one device block (core/vulkan/weight_blocks.c): a model's
 * plans for two batch sizes hold its weights once; different values, or the same values at another dtype,
 * get their own block; a shared block outlives the plan that uploaded it; the outputs are bit-identical
 * to a plan with its own copy (HEMOVK_SHARE_WEIGHTS=0); everything is given back at the end. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/graph.h"
#include "hvtest.h"
#include "vulkan/runtime.h"

enum { K = 24, N = 40 };

/* x [batch, K] -> linear(W [N, K], b [N]) + GELU -> y [batch, N]; weights drawn from `seed`. */
static hv_graph *net(int64_t batch, hv_dtype dt, uint64_t seed) {
    hv_graph *g = NULL;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = hv_desc_make(dt, HV_LAYOUT_ANY, 2, (int64_t[]){batch, K});
    hv_tensor_desc wd = hv_desc_make(dt, HV_LAYOUT_ANY, 2, (int64_t[]){N, K});
    hv_tensor_desc bd = hv_desc_make(dt, HV_LAYOUT_ANY, 1, (int64_t[]){N});
    float w[N * K], b[N];
    hvtest_fill_uniform(w, N * K, seed, -0.5f, 0.5f);
    hvtest_fill_uniform(b, N, seed + 1, -0.5f, 0.5f);
    hv_tensor *x = hv_graph_input(g, "x", &xd);
    hv_tensor *y = hv_linear(g, x, hv_graph_weight(g, "fc.w", &wd, w, HV_F32), hv_graph_weight(g, "fc.b", &bd, b, HV_F32),
                             HV_ACT_GELU, "fc");
    hv_graph_output(g, y, "y");
    ck_assert_msg(hv_graph_status(g) == HV_OK, "%s", hv_last_error());
    return g;
}

static hv_plan *plan(hv_graph *g, hv_device *dev) {
    hv_plan *p = NULL;
    ck_assert_msg(hv_plan_create(g, dev, NULL, &p) == HV_OK, "%s", hv_last_error());
    return p;
}

static void run(hv_plan *p, int64_t batch, float *y) {
    float x[4 * K];
    hvtest_fill_uniform(x, (size_t)(batch * K), 99, -2, 2);
    ck_assert_int_eq(hv_plan_set_input(p, "x", x, HV_F32, (size_t)(batch * K)), HV_OK);
    ck_assert_msg(hv_plan_run(p) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(hv_plan_get_output(p, "y", y, (size_t)(batch * N)), HV_OK);
}

static uint64_t in_use(hv_device *dev) {
    uint64_t u = 0;
    hv_device_memory_usage(dev, &u, NULL);
    return u;
}

START_TEST(plans_share_identical_weights) {
    unsetenv("HEMOVK_SHARE_WEIGHTS");
    hv_device *dev = NULL;
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "%s", hv_last_error());
    uint64_t base = in_use(dev);
    ck_assert_uint_eq(hv_weight_block_count(dev), 0);

    hv_graph *g2 = net(2, HV_F32, 7), *g4 = net(4, HV_F32, 7);
    hv_plan *p2 = plan(g2, dev);
    uint64_t after2 = in_use(dev);
    hv_plan *p4 = plan(g4, dev);
    uint64_t after4 = in_use(dev);
    ck_assert_uint_eq(hv_weight_block_count(dev), 1); /* batch 2 and batch 4 share the block */
    ck_assert_uint_eq(hv_plan_weight_bytes(p4), hv_plan_weight_bytes(p2));

    /* the same graph with sharing off: its own copy, so its plan costs the weights more */
    setenv("HEMOVK_SHARE_WEIGHTS", "0", 1);
    hv_plan *p4_own = plan(g4, dev);
    unsetenv("HEMOVK_SHARE_WEIGHTS");
    uint64_t after_own = in_use(dev);
    ck_assert_uint_ge((after_own - after4) - (after4 - after2), hv_plan_weight_bytes(p4));
    ck_assert_uint_eq(hv_weight_block_count(dev), 1);

    /* other values, or the same values stored as f16: blocks of their own */
    hv_graph *other = net(2, HV_F32, 8), *half = net(2, HV_F16, 7);
    hv_plan *po = plan(other, dev), *ph = plan(half, dev);
    ck_assert_uint_eq(hv_weight_block_count(dev), 3);

    /* bit-identical outputs to the private copy, also after the plan that uploaded the block is gone */
    float y_shared[4 * N], y_own[4 * N], y_again[4 * N];
    run(p4, 4, y_shared);
    run(p4_own, 4, y_own);
    ck_assert(memcmp(y_shared, y_own, sizeof y_shared) == 0);
    hv_plan_free(p2);
    hv_graph_free(g2);
    ck_assert_uint_eq(hv_weight_block_count(dev), 3);
    run(p4, 4, y_again);
    ck_assert(memcmp(y_shared, y_again, sizeof y_shared) == 0);

    hv_plan_free(p4), hv_plan_free(p4_own), hv_plan_free(po), hv_plan_free(ph);
    hv_graph_free(g4), hv_graph_free(other), hv_graph_free(half);
    ck_assert_uint_eq(hv_weight_block_count(dev), 0);
    ck_assert_uint_eq(in_use(dev), base);
    ck_assert_uint_eq(hv_validation_message_count(), 0);
    hv_device_close(dev);
}
END_TEST

int main(void) {
    Suite *s = suite_create("weight_sharing");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, plans_share_identical_weights);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
