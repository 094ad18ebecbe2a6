#version 450
// Global average pool over H·W.
//   NCHW (ROWS): one workgroup per (n, c) row of HW contiguous values, shared-memory tree sum.
//   NHWC:        one invocation per (n, c), summing HW values at stride C (neighbouring invocations
//                read neighbouring channels, so the loads coalesce).
// Mean in f32.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 256) in;

layout(constant_id = 0) const bool ROWS = true;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push { uint rows, hw, c; } pc; // rows = N·C

shared float red[256];

void main() {
    if (ROWS) {
        uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
        if (row >= pc.rows) return; // uniform per workgroup
        uint t = gl_LocalInvocationID.x, base = row * pc.hw;
        float s = 0.0;
        for (uint j = t; j < pc.hw; j += 256u) s += float(x_data[base + j]);
        red[t] = s;
        barrier();
        for (uint k = 128u; k > 0u; k >>= 1u) {
            if (t < k) red[t] += red[t + k];
            barrier();
        }
        if (t == 0u) y_data[row] = to_store(red[0] / float(pc.hw));
    } else {
        uint i = linear_invocation(256u);
        if (i >= pc.rows) return;
        uint n = i / pc.c, ch = i % pc.c;
        uint base = n * pc.hw * pc.c + ch;
        float s = 0.0;
        for (uint j = 0u; j < pc.hw; j++) s += float(x_data[base + j * pc.c]);
        y_data[i] = to_store(s / float(pc.hw));
    }
}
