#version 450
// Depthwise conv2d (groups == C == K): one invocation per output element; adjacent invocations are
// adjacent output pixels of one channel, so input reads are coalesced along the row. Weight {C,1,KH,KW}.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "conv2d_io.glsl"
layout(local_size_x = 256) in;

void main() {
    uint i = linear_invocation(256u);
    uint total = pc.N * pc.K * pc.OH * pc.OW;
    if (i >= total) return;
    uint ox = i % pc.OW, t = i / pc.OW;
    uint oy = t % pc.OH; t /= pc.OH;
    uint c = t % pc.K, n = t / pc.K;
    int iy0 = int(oy * pc.SH) - int(pc.PT), ix0 = int(ox * pc.SW) - int(pc.PL);
    uint xbase = (n * pc.C + c) * pc.H * pc.W, wbase = c * pc.KH * pc.KW;
    float acc = 0.0;
    for (uint ky = 0u; ky < pc.KH; ky++) {
        int iy = iy0 + int(ky * pc.DH);
        if (iy < 0 || iy >= int(pc.H)) continue;
        uint row = xbase + uint(iy) * pc.W;
        for (uint kx = 0u; kx < pc.KW; kx++) {
            int ix = ix0 + int(kx * pc.DW);
            if (ix < 0 || ix >= int(pc.W)) continue;
            acc += float(x_data[row + uint(ix)]) * float(w_data[wbase + ky * pc.KW + kx]);
        }
    }
    conv_store(i, c, acc);
}
