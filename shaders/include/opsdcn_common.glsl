// opsdcn_common.glsl — storage type and f16 saturation for the detector shaders (dcnv3, roi_align,
// preprocess). Storage is f32, or f16 when the variant defines HV_F16 (16-bit storage only; arithmetic
// stays f32). f16 stores SATURATE at ±65504 so an overflow is a large finite number, never a silent Inf;
// NaN is propagated.
#ifndef OPSDCN_COMMON_GLSL
#define OPSDCN_COMMON_GLSL

#ifdef HV_F16
#extension GL_EXT_shader_16bit_storage : require
#define STORE_T float16_t
float16_t to_store(float v) {
    return isnan(v) ? float16_t(v) : float16_t(clamp(v, -65504.0, 65504.0));
}
#else
#define STORE_T float
float to_store(float v) { return v; }
#endif

// Linear invocation index over a 2-D grid of 1-D workgroups (core/ops/opsdcn_util.c: opsdcn_grid1d).
uint opsdcn_invocation(uint local_size) {
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * local_size + gl_LocalInvocationID.x;
}

#endif
