#version 450
// Softmax over groups of GS elements at stride `inner` of a [outer, len, inner] view (groups of the
// softmax axis; GS = len for a plain softmax). Max-subtracted, f32.
// ROW mode (inner == 1, long groups): one workgroup per group, shared-memory reductions (no subgroup
// operations, so nothing depends on the device's subgroup size). Otherwise one invocation per group.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 256) in;

layout(constant_id = 0) const bool ROW = false;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push { uint groups, gs, inner, len; } pc;

shared float red[256];

float wg_reduce(float v, bool is_max) {
    uint t = gl_LocalInvocationID.x;
    red[t] = v;
    barrier();
    for (uint s = 128u; s > 0u; s >>= 1u) {
        if (t < s) red[t] = is_max ? max(red[t], red[t + s]) : red[t] + red[t + s];
        barrier();
    }
    float r = red[0];
    barrier();
    return r;
}

void main() {
    if (ROW) {
        uint g = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
        if (g >= pc.groups) return;  // uniform per workgroup
        uint base = g * pc.gs, t = gl_LocalInvocationID.x;
        float m = -3.402823466e38;
        for (uint j = t; j < pc.gs; j += 256u) m = max(m, float(x_data[base + j]));
        m = wg_reduce(m, true);
        float s = 0.0;
        for (uint j = t; j < pc.gs; j += 256u) s += exp(float(x_data[base + j]) - m);
        float inv = 1.0 / wg_reduce(s, false);
        for (uint j = t; j < pc.gs; j += 256u) y_data[base + j] = to_store(exp(float(x_data[base + j]) - m) * inv);
    } else {
        uint g = linear_invocation(256u);
        if (g >= pc.groups) return;
        // g enumerates (outer, group-of-axis, inner) with inner fastest.
        uint in_ = g % pc.inner, t = g / pc.inner;
        uint ngrp = pc.len / pc.gs;
        uint gi = t % ngrp, o = t / ngrp;
        uint base = (o * pc.len + gi * pc.gs) * pc.inner + in_;
        float m = -3.402823466e38;
        for (uint j = 0u; j < pc.gs; j++) m = max(m, float(x_data[base + j * pc.inner]));
        float s = 0.0;
        for (uint j = 0u; j < pc.gs; j++) s += exp(float(x_data[base + j * pc.inner]) - m);
        float inv = 1.0 / s;
        for (uint j = 0u; j < pc.gs; j++)
            y_data[base + j * pc.inner] = to_store(exp(float(x_data[base + j * pc.inner]) - m) * inv);
    }
}
