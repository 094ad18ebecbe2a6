#version 450
// conv2d 1×1 / stride 1 / no padding / groups 1 as a plain tiled GEMM; see conv2d_gemm_body.glsl.
//@variant f32
//@variant f16 -DHV_F16=1
//@variant f16a -DHV_F16=1 -DHV_F16_ARITH=1
#extension GL_GOOGLE_include_directive : require
#define POINTWISE 1
#include "conv2d_gemm_body.glsl"
