#version 450
// Resize of the two innermost dims. MODE 0: PyTorch 'nearest' (identity, exact 2× as dst>>1, else
// min(floor(dst·scale), in−1)); MODE 1: bilinear with half-pixel centres (align_corners=False),
// source clamped at 0 and the far tap clamped to the edge. scale = float(in)/float(out) from the host.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsconv_common.glsl"
layout(local_size_x = 256) in;

layout(constant_id = 0) const int MODE = 0;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push { uint outer, IH, IW, OH, OW; float scale_h, scale_w; } pc;

uint nearest_src(uint dst, uint in_, uint out_, float scale) {
    if (out_ == in_) return dst;
    if (out_ == 2u * in_) return dst >> 1u;
    return min(uint(floor(float(dst) * scale)), in_ - 1u);
}

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.outer * pc.OH * pc.OW) return;
    uint ox = i % pc.OW, t = i / pc.OW;
    uint oy = t % pc.OH, c = t / pc.OH;
    uint base = c * pc.IH * pc.IW;
    if (MODE == 0) {
        uint sy = nearest_src(oy, pc.IH, pc.OH, pc.scale_h), sx = nearest_src(ox, pc.IW, pc.OW, pc.scale_w);
        y_data[i] = x_data[base + sy * pc.IW + sx];
    } else {
        float fy = max(pc.scale_h * (float(oy) + 0.5) - 0.5, 0.0);
        float fx = max(pc.scale_w * (float(ox) + 0.5) - 0.5, 0.0);
        uint y0 = uint(fy), x0 = uint(fx);
        uint y1 = y0 < pc.IH - 1u ? y0 + 1u : y0, x1 = x0 < pc.IW - 1u ? x0 + 1u : x0;
        float ly = fy - float(y0), lx = fx - float(x0);
        float v00 = float(x_data[base + y0 * pc.IW + x0]), v01 = float(x_data[base + y0 * pc.IW + x1]);
        float v10 = float(x_data[base + y1 * pc.IW + x0]), v11 = float(x_data[base + y1 * pc.IW + x1]);
        y_data[i] = to_store((1.0 - ly) * ((1.0 - lx) * v00 + lx * v01) + ly * ((1.0 - lx) * v10 + lx * v11));
    }
}
