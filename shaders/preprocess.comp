// preprocess.comp — uint8 HWC frames (packed 4 per 32-bit word) → normalised float NCHW with zero
// padding bottom/right (MODEL_SPEC §1). One invocation per output value. Output storage is f32 or f16.
#version 450
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsdcn_common.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Src { uint words[]; };
layout(std430, binding = 1) writeonly buffer Out { STORE_T dst[]; };

layout(push_constant) uniform P {
    vec4 mean;        // per output channel (xyz)
    vec4 inv_std;     // per output channel (xyz)
    uint n, in_h, in_w, out_h, out_w;
    uint words_per_image;
    uint swap_rb;
} p;

void main() {
    uint t = opsdcn_invocation(64u);
    uint plane = p.out_h * p.out_w;
    if (t >= p.n * 3u * plane) return;
    uint x = t % p.out_w;
    uint y = (t / p.out_w) % p.out_h;
    uint c = (t / plane) % 3u;
    uint n = t / (3u * plane);
    float v = 0.0;  // padding is 0 AFTER normalisation (mmdet Pad)
    if (y < p.in_h && x < p.in_w) {
        uint cin = p.swap_rb != 0u ? 2u - c : c;
        uint byte_idx = (y * p.in_w + x) * 3u + cin;
        uint word = words[n * p.words_per_image + byte_idx / 4u];
        float raw = float((word >> (8u * (byte_idx % 4u))) & 0xFFu);
        v = (raw - p.mean[c]) * p.inv_std[c];
    }
    dst[t] = to_store(v);
}
