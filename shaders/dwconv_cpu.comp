#version 450
// Depthwise conv2d (groups == C == K) for CPU Vulkan devices (lavapipe); same bindings, push
// constants and epilogue as dwconv.comp. Each invocation computes TX consecutive output pixels of
// one row of one channel: per kernel row it loads the input segment those pixels share once
// ((TX−1)·SW + (KW−1)·DW + 1 values) and the KW weights once, then does TX·KW FMAs from registers.
// dwconv.comp loads 2 values per FMA, and llvmpipe gathers every buffer load lane by lane,
// so cutting loads is what makes this faster there (7×7, TX 16: 29 loads per 112 FMAs).
// KW, SW, DW and TX are specialization constants so every inner loop has a constant trip count
// and unrolls: the segment and the accumulators stay in registers (constant indices).
// The host only picks this kernel when the segment fits SEG_MAX (core/ops/conv2d.c).
// Grid: 1-D over N·C·OH·ceil(OW / TX) invocations, 64 per workgroup (linear_invocation).
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "conv2d_io.glsl"
layout(local_size_x = 64) in;

layout(constant_id = 3) const uint KW_C = 3u;
layout(constant_id = 4) const uint SW_C = 1u;
layout(constant_id = 5) const uint DW_C = 1u;
layout(constant_id = 6) const uint TX = 8u;
#define TX_MAX 16u
#define SEG_MAX 32u   // DWCONV_CPU_SEG_MAX in core/ops/conv2d.c
const uint SEG = (TX - 1u) * SW_C + (KW_C - 1u) * DW_C + 1u;

void main() {
    uint i = linear_invocation(64u);
    uint xblocks = (pc.OW + TX - 1u) / TX;
    uint total = pc.N * pc.K * pc.OH * xblocks;
    if (i >= total) return;
    uint xb = i % xblocks, t = i / xblocks;
    uint oy = t % pc.OH; t /= pc.OH;
    uint c = t % pc.K, n = t / pc.K;
    uint ox0 = xb * TX;
    int iy0 = int(oy * pc.SH) - int(pc.PT), ix0 = int(ox0 * SW_C) - int(pc.PL);
    uint xbase = (n * pc.C + c) * pc.H * pc.W, wbase = c * pc.KH * KW_C;

    float acc[TX_MAX];
    for (uint j = 0u; j < TX; j++) acc[j] = 0.0;
    for (uint ky = 0u; ky < pc.KH; ky++) {
        int iy = iy0 + int(ky * pc.DH);
        bool row_ok = iy >= 0 && iy < int(pc.H);
        uint row = xbase + uint(clamp(iy, 0, int(pc.H) - 1)) * pc.W;
        // Load the shared input segment once; outside the image it is zero (clamped address, select).
        float seg[SEG_MAX];
        for (uint s = 0u; s < SEG; s++) {
            int ix = ix0 + int(s);
            float v = float(x_data[row + uint(clamp(ix, 0, int(pc.W) - 1))]);
            seg[s] = (row_ok && ix >= 0 && ix < int(pc.W)) ? v : 0.0;
        }
        for (uint kx = 0u; kx < KW_C; kx++) {
            float w = float(w_data[wbase + ky * KW_C + kx]);
            for (uint j = 0u; j < TX; j++) acc[j] = fma(seg[j * SW_C + kx * DW_C], w, acc[j]);
        }
    }
    uint obase = ((n * pc.K + c) * pc.OH + oy) * pc.OW;
    for (uint j = 0u; j < TX; j++) {
        if (ox0 + j >= pc.OW) break;
        conv_store(obase + ox0 + j, c, acc[j]);
    }
}
