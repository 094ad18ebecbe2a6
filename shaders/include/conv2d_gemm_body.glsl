// conv2d_gemm_body.glsl — conv2d as a GEMM tiled through shared memory, per (batch, group):
//     Y[m, p] = Σ_k A[m, k] · B[k, p],  m: output channel in the group, p: output pixel,
//     k = (c, ky, kx) flattened like the weight {K, C/G, KH, KW}, so A is the weight as stored.
// With POINTWISE defined (1×1, stride 1, no pad, groups 1) B is the input itself, [C, H·W] per batch;
// otherwise B is gathered on the fly from the input (implicit im2col, zero outside the image).
// Tile 64 (m) × 64 (p) × 16 (k), 256 invocations each computing 4×4 outputs with f32 accumulators.
// Grid: x = ceil(OH·OW / 64), y = ceil((K/G) / 64), z = N·G (core/ops/conv2d.c).
#include "conv2d_io.glsl"
layout(local_size_x = 256) in;

#define BM 64u
#define BN 64u
#define BK 16u

shared float As[BK][BM];
shared float Bs[BK][BN];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint tx = tid % 16u, ty = tid / 16u;
    uint P = pc.OH * pc.OW;
    uint p0 = gl_WorkGroupID.x * BN, m0 = gl_WorkGroupID.y * BM;
    uint n = gl_WorkGroupID.z / pc.G, grp = gl_WorkGroupID.z % pc.G;
    uint cg = pc.C / pc.G, kg = pc.K / pc.G;
    uint khw = pc.KH * pc.KW;
    uint KK = cg * khw;

    // Loader roles: 256 = 4·64 = 16·16, so each invocation always loads the same B column / A column.
    uint b_col = tid % BN, b_row = tid / BN;        // B rows b_row + 4r, r = 0..3
    uint a_k = tid % BK, a_row = tid / BK;          // A rows a_row + 16r, r = 0..3
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
        for (uint r = 0u; r < 4u; r++) {
            uint m = a_row + 16u * r, k = k0 + a_k;
            As[a_k][m] = (m0 + m < kg && k < KK) ? float(w_data[wbase + m * KK + k]) : 0.0;
        }
        for (uint r = 0u; r < 4u; r++) {
            uint kr = b_row + 4u * r, k = k0 + kr;
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
            Bs[kr][b_col] = v;
        }
        barrier();
        for (uint kk = 0u; kk < BK; kk++) {
            float a[4], b[4];
            for (uint i = 0u; i < 4u; i++) a[i] = As[kk][ty + 16u * i];
            for (uint j = 0u; j < 4u; j++) b[j] = Bs[kk][tx + 16u * j];
            for (uint i = 0u; i < 4u; i++)
                for (uint j = 0u; j < 4u; j++) acc[i][j] += a[i] * b[j];
        }
        barrier();
    }

    for (uint i = 0u; i < 4u; i++) {
        uint m = m0 + ty + 16u * i;
        if (m >= kg) continue;
        uint k = grp * kg + m;
        for (uint j = 0u; j < 4u; j++) {
            uint p = p0 + tx + 16u * j;
            if (p < P) conv_store((n * pc.K + k) * P + p, k, acc[i][j]);
        }
    }
}
