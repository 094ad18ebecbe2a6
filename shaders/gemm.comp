#version 450
// Tiled GEMM for linear and batched matmul:  C[b][m, n] = act(Σ_k A[b][m, k] · B[b](k, n) + bias[n]) + R[b][m, n]
// with B(k, n) = B[n, k] when TRANS_B (nn.Linear weight, [N, K]) else B[k, n] ([K, N]).
// Tile TILE (m) × TILE (n) × 16 (k) through shared memory, (TILE/4)² invocations each computing 4×4
// outputs with f32 accumulators: TILE 64 = 256 invocations and 8.3 KB of shared memory, TILE 32 = 64
// invocations and 4.2 KB (the host picks it from the device's limits and the GEMM's size,
// opsconv_gemm_tile; both sum k in the same order, so they give the same bits). Variant f16a sums each
// 16-long k block in f16 (opsconv_common.glsl, fp16 arithmetic). Any M, N, K: loads
// outside the matrices read 0, stores outside are skipped.
// Grid: x = ceil(N/TILE), y = ceil(M/TILE), z = batch (core/ops/gemm_common.c).
//@variant f32
//@variant f16 -DHV_F16=1
//@variant f16a -DHV_F16=1 -DHV_F16_ARITH=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x_id = 5) in;

layout(constant_id = 0) const bool TRANS_B = true;
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const bool HAS_RES = false;
layout(constant_id = 3) const int ACT = 0;
layout(constant_id = 4) const uint TILE = 64u;   // 32 or 64; local size (constant 5) = (TILE/4)²

layout(std430, binding = 0) readonly buffer BufA { STORE_T a_data[]; };
layout(std430, binding = 1) readonly buffer BufB { STORE_T b_data[]; };
layout(std430, binding = 2) writeonly buffer BufC { STORE_T c_data[]; };
layout(std430, binding = 3) readonly buffer BufBias { STORE_T bias_data[]; };
layout(std430, binding = 4) readonly buffer BufR { STORE_T r_data[]; };

layout(push_constant) uniform Push {
    uint M, N, K;
    uint a_batch, b_batch, c_batch;   // element strides between batches (b_batch 0: one B shared)
} pc;

#define BK 16u
const uint LANES = TILE / 4u;          // invocations along each of m and n
const uint NT = LANES * LANES;         // invocations per workgroup
const uint LOADS = TILE * BK / NT;     // elements of each tile one invocation loads

shared SHARED_T As[BK][TILE + 1u];
shared SHARED_T Bs[BK][TILE + 1u];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint tx = tid % LANES, ty = tid / LANES;
    uint n0 = gl_WorkGroupID.x * TILE, m0 = gl_WorkGroupID.y * TILE;
    uint bz = gl_WorkGroupID.z;
    uint abase = bz * pc.a_batch, bbase = bz * pc.b_batch, cbase = bz * pc.c_batch;

    float acc[4][4];
    for (uint i = 0u; i < 4u; i++)
        for (uint j = 0u; j < 4u; j++) acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < pc.K; k0 += BK) {
        // A tile: TILE rows × 16 k; consecutive invocations walk k (contiguous in memory).
        for (uint r = 0u; r < LOADS; r++) {
            uint idx = tid + NT * r;
            uint row = idx / BK, kk = idx % BK;
            uint m = m0 + row, k = k0 + kk;
            As[kk][row] = SHARED_T((m < pc.M && k < pc.K) ? float(a_data[abase + m * pc.K + k]) : 0.0);
        }
        // B tile: 16 k × TILE n, read along whichever index is contiguous.
        for (uint r = 0u; r < LOADS; r++) {
            uint idx = tid + NT * r;
            uint kk, col;
            if (TRANS_B) {
                col = idx / BK;
                kk = idx % BK;
            } else {
                kk = idx / TILE;
                col = idx % TILE;
            }
            uint n = n0 + col, k = k0 + kk;
            float v = 0.0;
            if (n < pc.N && k < pc.K) v = float(b_data[bbase + (TRANS_B ? n * pc.K + k : k * pc.N + n)]);
            Bs[kk][col] = SHARED_T(v);
        }
        barrier();
#ifdef HV_F16_ARITH
        GEMM_BLOCK_F16(acc, As[kk][ty * 4u + i], Bs[kk][tx * 4u + j])
#else
        for (uint kk = 0u; kk < BK; kk++) {
            float av[4], bv[4];
            for (uint i = 0u; i < 4u; i++) av[i] = As[kk][ty * 4u + i];
            for (uint j = 0u; j < 4u; j++) bv[j] = Bs[kk][tx * 4u + j];
            for (uint i = 0u; i < 4u; i++)
                for (uint j = 0u; j < 4u; j++) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
#endif
        barrier();
    }

    for (uint i = 0u; i < 4u; i++) {
        uint m = m0 + ty * 4u + i;
        if (m >= pc.M) continue;
        for (uint j = 0u; j < 4u; j++) {
            uint n = n0 + tx * 4u + j;
            if (n >= pc.N) continue;
            float v = acc[i][j];
            if (HAS_BIAS) v += float(bias_data[n]);
            v = apply_act(ACT, v);
            uint o = cbase + m * pc.N + n;
            if (HAS_RES) v += float(r_data[o]);
            c_data[o] = to_store(v);
        }
    }
}
