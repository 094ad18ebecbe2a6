#version 450
// conv2d as an implicit GEMM (any kernel/stride/dilation/groups/padding); see conv2d_gemm_body.glsl.
//@variant f32
//@variant f16 -DHV_F16=1
//@variant f16a -DHV_F16=1 -DHV_F16_ARITH=1
#extension GL_GOOGLE_include_directive : require
#include "conv2d_gemm_body.glsl"
