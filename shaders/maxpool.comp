#version 450
// Max pool on NCHW, one invocation per output; padded taps are skipped (pads < kernel guarantee at
// least one real tap). NaN propagates like PyTorch's max pool.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push { uint NC, H, W, OH, OW, KH, KW, SH, SW, PT, PL; } pc;

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.NC * pc.OH * pc.OW) return;
    uint ox = i % pc.OW, t = i / pc.OW;
    uint oy = t % pc.OH, c = t / pc.OH;
    int iy0 = int(oy * pc.SH) - int(pc.PT), ix0 = int(ox * pc.SW) - int(pc.PL);
    float m = uintBitsToFloat(0xff800000u);  // -Inf
    bool nan_seen = false;
    for (uint ky = 0u; ky < pc.KH; ky++) {
        int iy = iy0 + int(ky);
        if (iy < 0 || iy >= int(pc.H)) continue;
        for (uint kx = 0u; kx < pc.KW; kx++) {
            int ix = ix0 + int(kx);
            if (ix < 0 || ix >= int(pc.W)) continue;
            float v = float(x_data[(c * pc.H + uint(iy)) * pc.W + uint(ix)]);
            if (isnan(v)) nan_seen = true;
            m = max(m, v);
        }
    }
    // Stored as is: the max of stored values is already representable (no saturation needed).
    y_data[i] = nan_seen ? STORE_T(uintBitsToFloat(0x7fc00000u)) : STORE_T(m);
}
