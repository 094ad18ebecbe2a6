// opsconv_common.glsl — storage type, f16 saturation and fused activations shared by the conv-family
// shaders (conv2d*, dwconv, deconv, layer_norm, softmax, pool, resize, permute, concat, slice).
//
// Storage is f32, or f16 when the variant defines HV_F16 (16-bit storage only: arithmetic stays f32,
// so devices without shaderFloat16 run it). Stores to f16 SATURATE at ±65504 instead of rounding to
// ±Inf: a value past the f16 range is a precision problem the caller must see as a large finite
// number, never a silent Inf. NaN is propagated unchanged.
#ifndef OPSCONV_COMMON_GLSL
#define OPSCONV_COMMON_GLSL

#ifdef HV_F16
#extension GL_EXT_shader_16bit_storage : require
#define STORE_T float16_t
float16_t to_store(float v) {
    // isnan check first: clamp() of NaN is implementation-defined.
    return isnan(v) ? float16_t(v) : float16_t(clamp(v, -65504.0, 65504.0));
}
#else
#define STORE_T float
float to_store(float v) { return v; }
#endif

// Fused activation codes: the values of hv_activation (sdk/include/hemovk/ops_basic.h).
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_SILU 2
#define ACT_GELU 3
#define ACT_SIGMOID 4

// erf with |error| < 1.2e-7 everywhere (Numerical Recipes erfc, Chebyshev fit): GLSL has no erf and
// GELU must be the exact erf form (MODEL_SPEC §0.3). 1+erf(z) is evaluated as erfc(-z) so negative
// inputs keep their relative accuracy.
float opsconv_erfc(float x) {
    float z = abs(x);
    float t = 1.0 / (1.0 + 0.5 * z);
    float r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
              t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
              t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0.0 ? r : 2.0 - r;
}

float apply_act(int act, float v) {
    if (act == ACT_RELU) return max(v, 0.0);
    if (act == ACT_SILU) return v / (1.0 + exp(-v));
    if (act == ACT_GELU) return 0.5 * v * opsconv_erfc(-v * 0.70710678118654752);
    if (act == ACT_SIGMOID) return 1.0 / (1.0 + exp(-v));
    return v;
}

// Linear invocation index over a 2-D grid of 1-D workgroups (groups_x ≤ 65535 per dimension).
uint linear_invocation(uint local_size) {
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * local_size + gl_LocalInvocationID.x;
}

#endif
