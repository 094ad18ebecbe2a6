/* The GEMM shared by linear and matmul: one recorder for shaders/gemm.comp and its CPU reference. */
#include "ops/ops_basic_defs.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

/* Register tile of one gemm_cpu.comp invocation (TM × TN); 64 invocations per workgroup. */
#define GEMM_CPU_TM 16u
#define GEMM_CPU_TN 16u

/* Lanes of the 64-invocation CPU workgroup along the rows (spec constant LANES_M; the other 64 / LANES_M
 * go along the columns), chosen by opsconv_cpu_lanes so a 1-row GEMM does not fill 128-row tiles. */
static uint32_t gemm_cpu_lanes_m(uint32_t m, uint32_t n) {
    return opsconv_cpu_lanes(m, GEMM_CPU_TM, n, GEMM_CPU_TN, false);
}

typedef struct gemm_push {
    uint32_t m, n, k, a_batch, b_batch, c_batch;
} gemm_push;

hv_status opsbasic_record_gemm(hv_cmd *cmd, hv_device *dev, hv_dtype dt, const opsbasic_gemm *g, hv_activation act,
                               const hv_binding *a, const hv_binding *b, const hv_binding *c, const hv_binding *bias,
                               const hv_binding *res, const char *label) {
    /* Unused optional bindings still need a valid descriptor: bind A there (never read). */
    hv_binding binds[5] = {*a, *b, *c, bias ? *bias : *a, res ? *res : *a};
    bool cpu = opsconv_cpu_kernels(dev);
    uint32_t lanes_m = gemm_cpu_lanes_m(g->m, g->n);
    uint32_t tile = cpu ? 0 : opsconv_gemm_tile(hv_device_get_info(dev), g->m, g->n);
    /* spec[4] = LANES_M for gemm_cpu.comp; TILE and the workgroup size (TILE/4)² for gemm.comp. */
    uint32_t spec[6] = {g->trans_b ? 1u : 0u, bias ? 1u : 0u, res ? 1u : 0u, (uint32_t)act,
                        cpu ? lanes_m : tile, (tile / 4u) * (tile / 4u)};
    gemm_push pc = {g->m, g->n, g->k, g->a_batch, g->b_batch, g->c_batch};
    /* Workgroup tile: TILE × TILE outputs for gemm.comp, (LANES_M·TM) × (64/LANES_M·TN) for gemm_cpu.comp. */
    uint64_t tile_m = cpu ? lanes_m * GEMM_CPU_TM : tile, tile_n = cpu ? (64u / lanes_m) * GEMM_CPU_TN : tile;
    uint64_t gx = (g->n + tile_n - 1) / tile_n, gy = (g->m + tile_m - 1) / tile_m;
    if (gx > 65535 || gy > 65535 || g->batch > 65535)
        return hv_error(HV_ERR_UNSUPPORTED,
                        "%s: %u × %u outputs × %u batches is past the dispatch grid (65535 tiles of %llu × %llu)",
                        label, g->m, g->n, g->batch, (unsigned long long)tile_m, (unsigned long long)tile_n);
    return opsconv_dispatch(cmd, dev, cpu ? "gemm_cpu" : "gemm", dt, binds, 5, &pc, sizeof pc, spec, cpu ? 5 : 6,
                            (uint32_t)gx, (uint32_t)gy, g->batch, label);
}

void opsbasic_ref_gemm(const opsbasic_gemm *g, hv_activation act, const float *a, const float *b, const float *bias,
                       const float *res, float *c) {
    for (uint32_t z = 0; z < g->batch; z++) {
        const float *az = a + (size_t)z * g->a_batch, *bz = b + (size_t)z * g->b_batch;
        float *cz = c + (size_t)z * g->c_batch;
        const float *rz = res ? res + (size_t)z * g->c_batch : NULL;
        for (uint32_t m = 0; m < g->m; m++)
            for (uint32_t n = 0; n < g->n; n++) {
                double acc = bias ? bias[n] : 0.0;
                for (uint32_t k = 0; k < g->k; k++)
                    acc += (double)az[(size_t)m * g->k + k] *
                           bz[g->trans_b ? (size_t)n * g->k + k : (size_t)k * g->n + n];
                double v = hv_opsconv_act(act, acc);
                if (rz) v += rz[(size_t)m * g->n + n];
                cz[(size_t)m * g->n + n] = (float)v;
            }
    }
}
