#version 450
// conv2d as an implicit GEMM for CPU devices (any kernel/stride/dilation/groups/padding); see
// conv2d_gemm_cpu_body.glsl.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "conv2d_gemm_cpu_body.glsl"
