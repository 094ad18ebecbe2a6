#version 450
// Permute: one invocation per output element (writes coalesced), gathering from the input through
// the permuted strides. Exact copy, so f16 values pass through bit for bit.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push { uvec4 od; uvec4 st; uint total; } pc;

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.total) return;
    uint d = i % pc.od.w, t = i / pc.od.w;
    uint c = t % pc.od.z; t /= pc.od.z;
    uint b = t % pc.od.y, a = t / pc.od.y;
    y_data[i] = x_data[a * pc.st.x + b * pc.st.y + c * pc.st.z + d * pc.st.w];
}
