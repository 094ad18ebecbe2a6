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
#ifdef HV_F16_ARITH
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
#define STORE_T float16_t
float16_t to_store(float v) {
    // isnan check first: clamp() of NaN is implementation-defined.
    return isnan(v) ? float16_t(v) : float16_t(clamp(v, -65504.0, 65504.0));
}
#else
#define STORE_T float
float to_store(float v) { return v; }
#endif

// fp16 arithmetic (variant f16a: HV_F16 plus HV_F16_ARITH, picked by the host only for f16 tensors on a
// device with shaderFloat16, opsconv_fp16_arith): the GEMM kernels keep their shared-memory tiles in f16
// (half the shared memory and bandwidth) and sum each 16-long k block of the 4×4 register tile in packed
// f16 (f16vec4 fma: twice the f32 rate on GPUs with fp16 ALUs), adding that partial sum to the f32
// accumulators once per block. The error so grows with 16 terms, not with K; bias, activation and
// residual stay f32. A block sum past ±65504 becomes ±Inf (the f16 output then saturates, as the f16
// store would anyway): this is for models whose activations fit f16, which f16 storage already assumes.
#ifdef HV_F16_ARITH
#define SHARED_T float16_t
#else
#define SHARED_T float
#endif

// fp16 arithmetic's inner step: one BK-long k block of a 4×4 register tile,
// acc[i][j] += Σ_kk A_AT · B_AT, where A_AT is an expression in kk and i, B_AT one in kk and j, each
// reading a shared tile; the block is summed in f16 and added to the f32 acc once (see above).
#ifdef HV_F16_ARITH
#define GEMM_BLOCK_F16(acc, A_AT, B_AT)                                                         \
    {                                                                                           \
        f16vec4 part_[4] = f16vec4[4](f16vec4(0.0hf), f16vec4(0.0hf), f16vec4(0.0hf), f16vec4(0.0hf)); \
        for (uint kk = 0u; kk < BK; kk++) {                                                     \
            f16vec4 b_;                                                                         \
            for (uint j = 0u; j < 4u; j++) b_[j] = B_AT;                                        \
            for (uint i = 0u; i < 4u; i++) part_[i] = fma(f16vec4(A_AT), b_, part_[i]);         \
        }                                                                                       \
        for (uint i = 0u; i < 4u; i++)                                                          \
            for (uint j = 0u; j < 4u; j++) acc[i][j] += float(part_[i][j]);                     \
    }
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
