// Runtime test shader: y[i] = a * x[i] + b for i < n (push constants), one invocation per element.
// The local size comes from specialization constant 0 so tests also exercise spec constants.
#version 450

layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
    uint n;
    float a;
    float b;
} pc;

void main() {
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (i < pc.n) y[i] = pc.a * x[i] + pc.b;
}
