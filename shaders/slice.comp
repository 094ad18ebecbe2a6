#version 450
// Strided copy along one axis of a [outer, len, inner] view, shared by slice and concat:
//     dst[(o·dst_len + dst_start + l)·inner + i] = src[(o·src_len + src_start + l·src_step)·inner + i]
// for l < count. Slice: one dispatch; concat: one dispatch per input into its slot of the output.
// A negative slice step arrives as its two's complement: uint arithmetic wraps to the right (in-range) index.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push {
    uint outer, count, inner, src_len, src_start, src_step, dst_len, dst_start;
} pc;

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.outer * pc.count * pc.inner) return;
    uint in_ = i % pc.inner, t = i / pc.inner;
    uint l = t % pc.count, o = t / pc.count;
    y_data[(o * pc.dst_len + pc.dst_start + l) * pc.inner + in_] =
        x_data[(o * pc.src_len + pc.src_start + l * pc.src_step) * pc.inner + in_];
}
