#version 450
// Layer norm for CPU devices (lavapipe) over the middle axis of a [outer, len, inner] view: one
// invocation per normalised vector does all three passes (mean, Σ(x − mean)², normalise) serially in
// registers, for every shape (channels-last rows too). No shared memory and no barriers: llvmpipe
// runs a whole workgroup on one thread 8 lanes at a time and splits a shader at every barrier, so
// layer_norm.comp's 256-wide tree reductions cost far more there than the 64–768-long rows. Same math
// as layer_norm.comp's column mode: f32, two-pass, relative to x0 = the vector's first element.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 64) in;

layout(constant_id = 0) const bool HAS_W = false;
layout(constant_id = 1) const bool HAS_B = false;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) readonly buffer BufW { STORE_T w_data[]; };
layout(std430, binding = 2) readonly buffer BufB { STORE_T b_data[]; };
layout(std430, binding = 3) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push { uint outer, len, inner; float eps; } pc;

void main() {
    uint i = linear_invocation(64u);
    if (i >= pc.outer * pc.inner) return;
    uint st = pc.inner, base = (i / st) * pc.len * st + i % st;
    float x0 = float(x_data[base]);
    float s = 0.0;
    for (uint c = 0u; c < pc.len; c++) s += float(x_data[base + c * st]) - x0;
    float mean = s / float(pc.len);  // relative to x0
    float q = 0.0;
    for (uint c = 0u; c < pc.len; c++) {
        float d = (float(x_data[base + c * st]) - x0) - mean;
        q += d * d;
    }
    float rstd = inversesqrt(q / float(pc.len) + pc.eps);
    for (uint c = 0u; c < pc.len; c++) {
        float v = ((float(x_data[base + c * st]) - x0) - mean) * rstd;
        if (HAS_W) v *= float(w_data[c]);
        if (HAS_B) v += float(b_data[c]);
        y_data[base + c * st] = to_store(v);
    }
}
