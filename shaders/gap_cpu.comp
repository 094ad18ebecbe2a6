#version 450
// Global average pool for CPU devices (lavapipe): one invocation per (n, c) sums its H·W values
// serially in registers. No shared memory and no barriers: llvmpipe runs a whole workgroup on one
// thread 8 lanes at a time and splits a shader at every barrier, so gap.comp's 256-wide tree sum
// costs more there than the sum itself. Row i = (n, ch) reads x[(n·hw + j)·cs + ch], j < hw:
// NCHW passes cs = 1 (contiguous rows), NHWC cs = C. Mean in f32, like gap.comp.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push { uint rows, hw, cs; } pc; // rows = N·C

void main() {
    uint i = linear_invocation(64u);
    if (i >= pc.rows) return;
    uint base = (i / pc.cs) * pc.hw * pc.cs + i % pc.cs;
    // Four partial sums: independent adds for the SIMD pipeline, and a shorter rounding chain.
    float s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    uint j = 0u;
    for (; j + 4u <= pc.hw; j += 4u) {
        s0 += float(x_data[base + j * pc.cs]);
        s1 += float(x_data[base + (j + 1u) * pc.cs]);
        s2 += float(x_data[base + (j + 2u) * pc.cs]);
        s3 += float(x_data[base + (j + 3u) * pc.cs]);
    }
    for (; j < pc.hw; j++) s0 += float(x_data[base + j * pc.cs]);
    y_data[i] = to_store(((s0 + s1) + (s2 + s3)) / float(pc.hw));
}
