#version 450
// Transposed conv, kernel == stride KS, no padding: out[n,o,KS·y+ky,KS·x+kx] = act(b[o] + Σ_i
// W[i,o,ky,kx]·in[n,i,y,x]), weight {C, K, KS, KS}. One invocation per output element.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 256) in;

layout(constant_id = 0) const int ACT = 0;
layout(constant_id = 1) const bool HAS_BIAS = false;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) readonly buffer BufW { STORE_T w_data[]; };
layout(std430, binding = 2) readonly buffer BufB { STORE_T b_data[]; };
layout(std430, binding = 3) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push { uint N, C, H, W, K, KS; } pc;

void main() {
    uint i = linear_invocation(256u);
    uint OW = pc.W * pc.KS, OH = pc.H * pc.KS;
    if (i >= pc.N * pc.K * OH * OW) return;
    uint ox = i % OW, t = i / OW;
    uint oy = t % OH; t /= OH;
    uint o = t % pc.K, n = t / pc.K;
    uint iy = oy / pc.KS, ix = ox / pc.KS, ky = oy % pc.KS, kx = ox % pc.KS;
    uint hw = pc.H * pc.W;
    uint xi = n * pc.C * hw + iy * pc.W + ix;
    uint wi = (o * pc.KS + ky) * pc.KS + kx, wstride = pc.K * pc.KS * pc.KS;
    float acc = HAS_BIAS ? float(b_data[o]) : 0.0;
    for (uint c = 0u; c < pc.C; c++)
        acc += float(x_data[xi + c * hw]) * float(w_data[wi + c * wstride]);
    y_data[i] = to_store(apply_act(ACT, acc));
}
