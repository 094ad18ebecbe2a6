// bleeding_area.red_ratio on the GPU: y = r / (r + g + b + 1) per pixel of an NCHW RGB tensor.
// Bindings: 0 the frames [N,3,H,W], 1 the ratios [N,1,H,W]; push constants: the op's params.
#version 450
layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) writeonly buffer Y { float y[]; };
layout(push_constant) uniform P { uint hw; uint total; } p;
void main() {
    uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u + gl_GlobalInvocationID.x;
    if (i >= p.total) return;
    uint n = i / p.hw, px = i % p.hw;
    uint base = n * 3u * p.hw + px;
    float r = x[base], g = x[base + p.hw], b = x[base + 2u * p.hw];
    y[i] = r / (r + g + b + 1.0);
}
