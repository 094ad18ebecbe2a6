// conv2d_gemm_cpu_body.glsl — conv2d as a GEMM for CPU Vulkan devices (lavapipe), per (batch, group):
//     Y[m, p] = Σ_k W[m, k] · B[k, p],  m: output channel in the group, p: output pixel,
//     k = (c, ky, kx) like the weight {K, C/G, KH, KW}.
// Same math and push constants as conv2d_gemm_body.glsl, but shaped for llvmpipe, which runs a whole
// workgroup on one CPU thread 8 invocations per SIMD step, splits shaders at barriers, and gathers
// buffer loads lane by lane: no shared memory, no barriers, 64 invocations, and a TM (channels) × TP
// (pixels) register tile per invocation, so one k step costs TM + TP loads for TM·TP vector FMAs.
// Measured on llvmpipe (LLVM 15, 256-bit), 1 thread: 16 × 16 runs 6-10 GFLOP/s on 1×1 convs, 3×
// faster than 4 × 4 and 8× faster than the shared-memory kernel; 32 × 16 and 16 × 32 are no faster,
// and loading the weights 8 k at a time and sharing them across the lanes with subgroupBroadcast
// was 15-30 % SLOWER (so the per-lane loads are not the only cost: the spilled accumulators are too).
// Rows and pixels past the edge load a clamped valid address and are not stored (no branches in the
// k loop).
// With POINTWISE (1×1, stride 1, no pad, groups 1) B is the input, [C, H·W] per batch; otherwise B is
// gathered from the input with the (ky, kx) loops explicit, so the k loop needs no division.
// Grid: x = ceil(OH·OW / (LANES_P·TP)), y = ceil((K/G) / (LANES_M·TM)), z = N·G (core/ops/conv2d.c).
#include "conv2d_io.glsl"
layout(local_size_x = 64) in;

// Invocations of the workgroup along the pixels (a power of 2 up to 64; the other 64 / LANES_P go
// along the channels): the host picks the split that computes the fewest outputs past the edges.
layout(constant_id = 3) const uint LANES_P = 8u;
const uint LANES_M = 64u / LANES_P;

#define TM 16u  // output channels per invocation (CONV_CPU_TM in core/ops/conv2d.c)
#define TP 16u  // output pixels per invocation   (CONV_CPU_TP)

void main() {
    uint lid = gl_LocalInvocationID.x;
    uint P = pc.OH * pc.OW;
    uint n = gl_WorkGroupID.z / pc.G, grp = gl_WorkGroupID.z % pc.G;
    uint cg = pc.C / pc.G, kg = pc.K / pc.G;
    uint khw = pc.KH * pc.KW;
    uint KK = cg * khw;
    uint m0 = (gl_WorkGroupID.y * LANES_M + lid / LANES_P) * TM;
    uint p0 = (gl_WorkGroupID.x * LANES_P + lid % LANES_P) * TP;
    uint xbatch = (n * pc.C + grp * cg) * pc.H * pc.W;

    uint wrow[TM];
    for (uint i = 0u; i < TM; i++) wrow[i] = (grp * kg + min(m0 + i, kg - 1u)) * KK;

    float acc[TM][TP];
    for (uint i = 0u; i < TM; i++)
        for (uint j = 0u; j < TP; j++) acc[i][j] = 0.0;

#ifdef POINTWISE
    uint xcol[TP];
    for (uint j = 0u; j < TP; j++) xcol[j] = xbatch + min(p0 + j, P - 1u);
    uint xoff = 0u;
    for (uint k = 0u; k < KK; k++, xoff += P) {
        float a[TM], b[TP];
        for (uint i = 0u; i < TM; i++) a[i] = float(w_data[wrow[i] + k]);
        for (uint j = 0u; j < TP; j++) b[j] = float(x_data[xcol[j] + xoff]);
        for (uint i = 0u; i < TM; i++)
            for (uint j = 0u; j < TP; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
#else
    int iy0[TP], ix0[TP];
    for (uint j = 0u; j < TP; j++) {
        uint p = min(p0 + j, P - 1u);
        iy0[j] = int((p / pc.OW) * pc.SH) - int(pc.PT);
        ix0[j] = int((p % pc.OW) * pc.SW) - int(pc.PL);
    }
    uint HW = pc.H * pc.W;
    uint k = 0u;
    for (uint c = 0u; c < cg; c++) {
        uint xc = xbatch + c * HW;
        for (uint ky = 0u; ky < pc.KH; ky++) {
            int dy = int(ky * pc.DH);
            for (uint kx = 0u; kx < pc.KW; kx++, k++) {
                int dx = int(kx * pc.DW);
                float a[TM], b[TP];
                for (uint i = 0u; i < TM; i++) a[i] = float(w_data[wrow[i] + k]);
                for (uint j = 0u; j < TP; j++) {
                    int iy = iy0[j] + dy, ix = ix0[j] + dx;
                    bool inside = iy >= 0 && iy < int(pc.H) && ix >= 0 && ix < int(pc.W);
                    // Clamp the address into the image and zero the value: no branch around the load.
                    uint at = xc + uint(clamp(iy, 0, int(pc.H) - 1)) * pc.W + uint(clamp(ix, 0, int(pc.W) - 1));
                    float v = float(x_data[at]);
                    b[j] = inside ? v : 0.0;
                }
                for (uint i = 0u; i < TM; i++)
                    for (uint j = 0u; j < TP; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
            }
        }
    }
#endif

    for (uint i = 0u; i < TM; i++) {
        uint m = m0 + i;
        if (m >= kg) break;
        uint kout = grp * kg + m;
        for (uint j = 0u; j < TP; j++) {
            uint p = p0 + j;
            if (p >= P) break;
            conv_store((n * pc.K + kout) * P + p, kout, acc[i][j]);
        }
    }
}
