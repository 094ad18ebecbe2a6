#version 450
// Layer norm over the middle axis of a [outer, len, inner] view: y = (x − mean)·rstd·w + b, two-pass
// in f32 (mean, then Σ(x − mean)²) so a large mean does not cancel the variance. Both passes work on
// x − x0 (x0 = the vector's first element, exact by Sterbenz for nearby values): with a large common
// offset (1000 ± 1) a plain f32 sum loses ~1e-5 of the spread, this keeps it near 1e-7.
// ROW mode (inner == 1, long rows): one workgroup per row, shared-memory tree reductions. No subgroup
// operations, so nothing depends on the subgroup size (8 on lavapipe, 32 on NVIDIA).
// Column mode: one invocation per normalised vector (NCHW: adjacent invocations = adjacent pixels, so
// every pass over C reads coalesced rows).
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 256) in;

layout(constant_id = 0) const bool ROW = false;
layout(constant_id = 1) const bool HAS_W = false;
layout(constant_id = 2) const bool HAS_B = false;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) readonly buffer BufW { STORE_T w_data[]; };
layout(std430, binding = 2) readonly buffer BufB { STORE_T b_data[]; };
layout(std430, binding = 3) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push { uint outer, len, inner; float eps; } pc;

shared float red[256];

float wg_sum(float v) {
    uint t = gl_LocalInvocationID.x;
    red[t] = v;
    barrier();
    for (uint s = 128u; s > 0u; s >>= 1u) {
        if (t < s) red[t] += red[t + s];
        barrier();
    }
    float r = red[0];
    barrier();
    return r;
}

float affine(float v, uint c) {
    if (HAS_W) v *= float(w_data[c]);
    if (HAS_B) v += float(b_data[c]);
    return v;
}

void main() {
    if (ROW) {
        uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
        if (row >= pc.outer) return;  // uniform per workgroup: safe around barriers
        uint base = row * pc.len, t = gl_LocalInvocationID.x;
        float x0 = float(x_data[base]);
        float s = 0.0;
        for (uint c = t; c < pc.len; c += 256u) s += float(x_data[base + c]) - x0;
        float mean = wg_sum(s) / float(pc.len);  // relative to x0
        float q = 0.0;
        for (uint c = t; c < pc.len; c += 256u) {
            float d = (float(x_data[base + c]) - x0) - mean;
            q += d * d;
        }
        float rstd = inversesqrt(wg_sum(q) / float(pc.len) + pc.eps);
        for (uint c = t; c < pc.len; c += 256u)
            y_data[base + c] = to_store(affine(((float(x_data[base + c]) - x0) - mean) * rstd, c));
    } else {
        uint i = linear_invocation(256u);
        if (i >= pc.outer * pc.inner) return;
        uint o = i / pc.inner, in_ = i % pc.inner;
        uint base = o * pc.len * pc.inner + in_;
        float x0 = float(x_data[base]);
        float s = 0.0;
        for (uint c = 0u; c < pc.len; c++) s += float(x_data[base + c * pc.inner]) - x0;
        float mean = s / float(pc.len);  // relative to x0
        float q = 0.0;
        for (uint c = 0u; c < pc.len; c++) {
            float d = (float(x_data[base + c * pc.inner]) - x0) - mean;
            q += d * d;
        }
        float rstd = inversesqrt(q / float(pc.len) + pc.eps);
        for (uint c = 0u; c < pc.len; c++)
            y_data[base + c * pc.inner] =
                to_store(affine(((float(x_data[base + c * pc.inner]) - x0) - mean) * rstd, c));
    }
}
