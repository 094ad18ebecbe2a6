#version 450
// Element-wise ops, one invocation per output element:
//   BINARY:  y = act(a ∘ b) with NumPy broadcasting (4-D output dims; per-input strides, 0 on a
//            broadcast dim), ∘ = add / sub / mul (OP 0 / 1 / 2);
//   unary:   y = act(a).
// Grid from opsconv_grid1d (2-D grid of 1-D workgroups), index by linear_invocation().
//@variant f32
//@variant f16 -DHV_F16=1
//@variant f32_to_f16 -DHV_F16=1 -DIN_F32=1
//@variant f16_to_f32 -DIN_F16=1
// The *_to_* variants (unary mode only) read one storage type and store the other: hv_cast.
#extension GL_GOOGLE_include_directive : require
#ifdef IN_F16
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "opsconv_common.glsl"
#if defined(IN_F32)
#define IN_T float
#elif defined(IN_F16)
#define IN_T float16_t
#else
#define IN_T STORE_T
#endif
layout(local_size_x = 256) in;

layout(constant_id = 0) const bool BINARY = true;
layout(constant_id = 1) const int OP = 0;
layout(constant_id = 2) const int ACT = 0;

layout(std430, binding = 0) readonly buffer BufA { IN_T a_data[]; };
layout(std430, binding = 1) readonly buffer BufB { IN_T b_data[]; };
layout(std430, binding = 2) writeonly buffer BufY { STORE_T y_data[]; };

layout(push_constant) uniform Push {
    uvec4 dims;      // output dims, outermost first (leading 1s for lower ranks)
    uvec4 sa, sb;    // element strides of a and b per output dim (0 where broadcast)
    uint n;
} pc;

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.n) return;
    float v;
    if (BINARY) {
        uint r = i;
        uint c3 = r % pc.dims.w; r /= pc.dims.w;
        uint c2 = r % pc.dims.z; r /= pc.dims.z;
        uint c1 = r % pc.dims.y;
        uint c0 = r / pc.dims.y;
        float a = float(a_data[c0 * pc.sa.x + c1 * pc.sa.y + c2 * pc.sa.z + c3 * pc.sa.w]);
        float b = float(b_data[c0 * pc.sb.x + c1 * pc.sb.y + c2 * pc.sb.z + c3 * pc.sb.w]);
        v = OP == 0 ? a + b : (OP == 1 ? a - b : a * b);
    } else {
        v = float(a_data[i]);
    }
    y_data[i] = to_store(apply_act(ACT, v));
}
