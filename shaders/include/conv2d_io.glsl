// conv2d_io.glsl — bindings, push constants (core/ops/conv2d.c `conv_push`) and the epilogue shared
// by conv2d_direct, conv2d_1x1, conv2d_igemm and dwconv.
#ifndef CONV2D_IO_GLSL
#define CONV2D_IO_GLSL
#include "opsconv_common.glsl"

layout(constant_id = 0) const int ACT = 0;          // hv_activation
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const bool HAS_RES = false;

layout(std430, binding = 0) readonly buffer BufX { STORE_T x_data[]; };
layout(std430, binding = 1) readonly buffer BufW { STORE_T w_data[]; };
layout(std430, binding = 2) readonly buffer BufB { STORE_T b_data[]; };
layout(std430, binding = 3) readonly buffer BufR { STORE_T r_data[]; };
layout(std430, binding = 4) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push {
    uint N, C, H, W;      // input
    uint K, OH, OW;       // output channels and size
    uint KH, KW, SH, SW, DH, DW, PT, PL;
    uint G;               // groups
} pc;

// y = act(acc + bias) + residual, stored at flat index i of output channel k.
void conv_store(uint i, uint k, float acc) {
    if (HAS_BIAS) acc += float(b_data[k]);
    acc = apply_act(ACT, acc);
    if (HAS_RES) acc += float(r_data[i]);
    y_data[i] = to_store(acc);
}
#endif
