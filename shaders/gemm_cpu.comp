#version 450
// GEMM for linear and batched matmul on CPU Vulkan devices (lavapipe); same math, bindings, push
// constants and spec constants as gemm.comp:
//     C[b][m, n] = act(Σ_k A[b][m, k] · B[b](k, n) + bias[n]) + R[b][m, n],
//     B(k, n) = B[n, k] when TRANS_B (nn.Linear weight) else B[k, n].
// Why a second kernel: llvmpipe runs a whole workgroup on one CPU thread, 8 invocations per SIMD
// step; barriers split the shader and spill state, and buffer / shared-memory loads are gathered
// lane by lane. So this kernel has no shared memory and no barrier, a small workgroup (64 = 8 SIMD
// steps), and each invocation keeps a TM × TN register tile: one k step costs TM + TN loads for
// TM·TN vector FMAs. Measured on llvmpipe (LLVM 15, 256-bit): 16 × 16 is 3× faster than 4 × 4 and
// 8-9× faster than gemm.comp; 32 × 16 is no faster. Out-of-range rows/columns load a clamped (valid)
// address and are not stored, so the inner loop has no branches. The CPU caches do the tiling.
// Grid: x = ceil(N / (LANES_N·TN)), y = ceil(M / (LANES_M·TM)), z = batch (core/ops/gemm_common.c).
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 64) in;

layout(constant_id = 0) const bool TRANS_B = true;
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const bool HAS_RES = false;
layout(constant_id = 3) const int ACT = 0;

layout(std430, binding = 0) readonly buffer BufA { STORE_T a_data[]; };
layout(std430, binding = 1) readonly buffer BufB { STORE_T b_data[]; };
layout(std430, binding = 2) writeonly buffer BufC { STORE_T c_data[]; };
layout(std430, binding = 3) readonly buffer BufBias { STORE_T bias_data[]; };
layout(std430, binding = 4) readonly buffer BufR { STORE_T r_data[]; };

layout(push_constant) uniform Push {
    uint M, N, K;
    uint a_batch, b_batch, c_batch;
} pc;

// Invocations of the workgroup along the rows (a power of 2 up to 64; the other 64 / LANES_M go along
// the columns): the host picks the split that computes the fewest outputs past the edges.
layout(constant_id = 4) const uint LANES_M = 8u;
const uint LANES_N = 64u / LANES_M;

#define TM 16u  // rows of C per invocation    (must match GEMM_CPU_TM in core/ops/gemm_common.c)
#define TN 16u  // columns of C per invocation (GEMM_CPU_TN)

void main() {
    uint lid = gl_LocalInvocationID.x;
    uint m0 = (gl_WorkGroupID.y * LANES_M + lid % LANES_M) * TM;
    uint n0 = (gl_WorkGroupID.x * LANES_N + lid / LANES_M) * TN;
    uint bz = gl_WorkGroupID.z;
    uint abase = bz * pc.a_batch, bbase = bz * pc.b_batch, cbase = bz * pc.c_batch;

    // Row/column start offsets, clamped into the matrices (their results are never stored).
    uint arow[TM], bcol[TN];
    for (uint i = 0u; i < TM; i++) arow[i] = abase + min(m0 + i, pc.M - 1u) * pc.K;
    for (uint j = 0u; j < TN; j++) {
        uint n = min(n0 + j, pc.N - 1u);
        bcol[j] = bbase + (TRANS_B ? n * pc.K : n);
    }
    uint bstep = TRANS_B ? 1u : pc.N;

    float acc[TM][TN];
    for (uint i = 0u; i < TM; i++)
        for (uint j = 0u; j < TN; j++) acc[i][j] = 0.0;

    uint boff = 0u;
    for (uint k = 0u; k < pc.K; k++, boff += bstep) {
        float a[TM], b[TN];
        for (uint i = 0u; i < TM; i++) a[i] = float(a_data[arow[i] + k]);
        for (uint j = 0u; j < TN; j++) b[j] = float(b_data[bcol[j] + boff]);
        for (uint i = 0u; i < TM; i++)
            for (uint j = 0u; j < TN; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }

    for (uint i = 0u; i < TM; i++) {
        uint m = m0 + i;
        if (m >= pc.M) break;
        for (uint j = 0u; j < TN; j++) {
            uint n = n0 + j;
            if (n >= pc.N) break;
            float v = acc[i][j];
            if (HAS_BIAS) v += float(bias_data[n]);
            v = apply_act(ACT, v);
            uint o = cbase + m * pc.N + n;
            if (HAS_RES) v += float(r_data[o]);
            c_data[o] = to_store(v);
        }
    }
}
