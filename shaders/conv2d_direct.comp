#version 450
// conv2d, direct: one invocation per output element, any kernel/stride/dilation/groups/padding.
// The simple fallback (and the algo the tests use to cross-check the tiled kernels).
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
    uint k = t % pc.K, n = t / pc.K;
    uint cg = pc.C / pc.G, kg = pc.K / pc.G, grp = k / kg;
    int iy0 = int(oy * pc.SH) - int(pc.PT), ix0 = int(ox * pc.SW) - int(pc.PL);
    float acc = 0.0;
    for (uint c = 0u; c < cg; c++) {
        uint xbase = (n * pc.C + grp * cg + c) * pc.H * pc.W;
        uint wbase = (k * cg + c) * pc.KH * pc.KW;
        for (uint ky = 0u; ky < pc.KH; ky++) {
            int iy = iy0 + int(ky * pc.DH);
            if (iy < 0 || iy >= int(pc.H)) continue;
            for (uint kx = 0u; kx < pc.KW; kx++) {
                int ix = ix0 + int(kx * pc.DW);
                if (ix < 0 || ix >= int(pc.W)) continue;
                acc += float(x_data[xbase + uint(iy) * pc.W + uint(ix)]) * float(w_data[wbase + ky * pc.KW + kx]);
            }
        }
    }
    conv_store(i, k, acc);
}
