// conv2d_gemm_body.glsl — conv2d as a GEMM tiled through shared memory, per (batch, group):
//     Y[m, p] = Σ_k A[m, k] · B[k, p],  m: output channel in the group, p: output pixel,
//     k = (c, ky, kx) flattened like the weight {K, C/G, KH, KW}, so A is the weight as stored.
// With POINTWISE defined (1×1, stride 1, no pad, groups 1) B is the input itself, [C, H·W] per batch;
// otherwise B is gathered on the fly from the input (implicit im2col, zero outside the image).
// Tile TILE (m) × TILE (p) × 16 (k), (TILE/4)² invocations each computing 4×4 outputs with f32
// accumulators: TILE 64 = 256 invocations, TILE 32 = 64 (the host picks it from the device's limits and
// the conv's size, opsconv_gemm_tile; both sum k in the same order, so they give the same bits). Variant
// f16a sums each 16-long k block in f16 (opsconv_common.glsl, fp16 arithmetic).
// Grid: x = ceil(OH·OW / TILE), y = ceil((K/G) / TILE), z = N·G (core/ops/conv2d.c).
#include "conv2d_io.glsl"
layout(local_size_x_id = 4) in;
layout(constant_id = 3) const uint TILE = 64u;   // 32 or 64; local size (constant 4) = (TILE/4)²

#define BK 16u
const uint LANES = TILE / 4u;          // invocations along each of m and p
const uint NT = LANES * LANES;         // invocations per workgroup
const uint B_STEP = NT / TILE;         // B rows loaded per pass (4 at TILE 64, 2 at 32)
const uint A_STEP = NT / BK;           // A rows loaded per pass (16 at TILE 64, 4 at 32)

shared SHARED_T As[BK][TILE];
shared SHARED_T Bs[BK][TILE];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint tx = tid % LANES, ty = tid / LANES;
    uint P = pc.OH * pc.OW;
    uint p0 = gl_WorkGroupID.x * TILE, m0 = gl_WorkGroupID.y * TILE;
    uint n = gl_WorkGroupID.z / pc.G, grp = gl_WorkGroupID.z % pc.G;
    uint cg = pc.C / pc.G, kg = pc.K / pc.G;
    uint khw = pc.KH * pc.KW;
    uint KK = cg * khw;

    // Loader roles: each invocation always loads the same B column / A column.
    uint b_col = tid % TILE, b_row = tid / TILE;    // B rows b_row + B_STEP·r, r < BK / B_STEP
    uint a_k = tid % BK, a_row = tid / BK;          // A rows a_row + A_STEP·r, r < TILE / A_STEP
    uint bp = p0 + b_col;
    bool bp_ok = bp < P;
    uint xbatch = (n * pc.C + grp * cg) * pc.H * pc.W;
#ifndef POINTWISE
    uint boy = bp_ok ? bp / pc.OW : 0u, box = bp_ok ? bp % pc.OW : 0u;
    int iy0 = int(boy * pc.SH) - int(pc.PT), ix0 = int(box * pc.SW) - int(pc.PL);
#endif
    uint wbase = (grp * kg + m0) * KK;

    float acc[4][4];
    for (uint i = 0u; i < 4u; i++)
        for (uint j = 0u; j < 4u; j++) acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < KK; k0 += BK) {
        for (uint r = 0u; r < TILE / A_STEP; r++) {
            uint m = a_row + A_STEP * r, k = k0 + a_k;
            As[a_k][m] = SHARED_T((m0 + m < kg && k < KK) ? float(w_data[wbase + m * KK + k]) : 0.0);
        }
        for (uint r = 0u; r < BK / B_STEP; r++) {
            uint kr = b_row + B_STEP * r, k = k0 + kr;
            float v = 0.0;
            if (bp_ok && k < KK) {
#ifdef POINTWISE
                v = float(x_data[xbatch + k * P + bp]);
#else
                uint c = k / khw, rem = k % khw;
                uint ky = rem / pc.KW, kx = rem % pc.KW;
                int iy = iy0 + int(ky * pc.DH), ix = ix0 + int(kx * pc.DW);
                if (iy >= 0 && iy < int(pc.H) && ix >= 0 && ix < int(pc.W))
                    v = float(x_data[xbatch + (c * pc.H + uint(iy)) * pc.W + uint(ix)]);
#endif
            }
            Bs[kr][b_col] = SHARED_T(v);
        }
        barrier();
#ifdef HV_F16_ARITH
        GEMM_BLOCK_F16(acc, As[kk][ty + LANES * i], Bs[kk][tx + LANES * j])
#else
        for (uint kk = 0u; kk < BK; kk++) {
            float a[4], b[4];
            for (uint i = 0u; i < 4u; i++) a[i] = As[kk][ty + LANES * i];
            for (uint j = 0u; j < 4u; j++) b[j] = Bs[kk][tx + LANES * j];
            for (uint i = 0u; i < 4u; i++)
                for (uint j = 0u; j < 4u; j++) acc[i][j] += a[i] * b[j];
        }
#endif
        barrier();
    }

    for (uint i = 0u; i < 4u; i++) {
        uint m = m0 + ty + LANES * i;
        if (m >= kg) continue;
        uint k = grp * kg + m;
        for (uint j = 0u; j < 4u; j++) {
            uint p = p0 + tx + LANES * j;
            if (p < P) conv_store((n * pc.K + k) * P + p, k, acc[i][j]);
        }
    }
}
