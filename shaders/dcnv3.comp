// dcnv3.comp — DCNv3 core (MODEL_SPEC §4.5 steps 5–7) on NHWC, as InternImage's dcnv3_im2col_gpu_kernel.
// One invocation per (n, ho, wo, chunk of CPT channels inside one group): it walks the K kernel points,
// computes each sampling location once and accumulates CPT channels in f32 (like the CUDA opmath_t).
// Neighbouring invocations share a pixel, so offset/mask loads hit the cache and value loads are
// contiguous along C.
#version 450
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsdcn_common.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer V { STORE_T v[]; };
layout(std430, binding = 1) readonly buffer Off { STORE_T off[]; };
layout(std430, binding = 2) readonly buffer Msk { STORE_T msk[]; };
layout(std430, binding = 3) writeonly buffer Out { STORE_T dst[]; };

layout(push_constant) uniform P {
    uint n, h, w, c;          // value tensor
    uint ho, wo;              // output
    uint g, cg;               // groups, channels per group
    int kh, kw, sh, sw, ph, pw, dh, dw;
    float os;                 // offset_scale
    uint cpt;                 // channels per invocation: 4 when cg % 4 == 0, else 1
} p;

void main() {
    uint chunks = p.c / p.cpt;
    uint t = opsdcn_invocation(64u);
    uint total = p.n * p.ho * p.wo * chunks;
    if (t >= total) return;
    uint pix = t / chunks;                 // n·Ho·Wo + ho·Wo + wo
    uint c0 = (t - pix * chunks) * p.cpt;  // first channel
    uint grp = c0 / p.cg;
    uint wo_ = pix % p.wo;
    uint ho_ = (pix / p.wo) % p.ho;
    uint n_ = pix / (p.wo * p.ho);
    uint K = uint(p.kh * p.kw);

    // Reference point exactly as the kernel: p0 = c − pad + o·stride (integers), then − c·os (float).
    int cw = (p.dw * (p.kw - 1)) >> 1;
    int ch = (p.dh * (p.kh - 1)) >> 1;
    float p0w = float(cw - p.pw + int(wo_) * p.sw) - float(cw) * p.os;
    float p0h = float(ch - p.ph + int(ho_) * p.sh) - float(ch) * p.os;

    uint offBase = pix * (p.g * K * 2u) + grp * K * 2u;
    uint mBase = pix * (p.g * K) + grp * K;
    uint vImg = n_ * p.h * p.w * p.c;
    int H = int(p.h), W = int(p.w);

    vec4 acc = vec4(0.0);
    for (int i = 0; i < p.kw; ++i) {         // x-major: i over width
        for (int j = 0; j < p.kh; ++j) {     // j over height
            uint pt = uint(i * p.kh + j);
            float offx = float(off[offBase + pt * 2u]);
            float offy = float(off[offBase + pt * 2u + 1u]);
            float locw = p0w + (float(i * p.dw) + offx) * p.os;
            float loch = p0h + (float(j * p.dh) + offy) * p.os;
            if (!(loch > -1.0 && locw > -1.0 && loch < float(H) && locw < float(W))) continue;
            float m = float(msk[mBase + pt]);
            float fy = floor(loch), fx = floor(locw);
            int y0 = int(fy), x0 = int(fx);
            float ly = loch - fy, lx = locw - fx;
            float hy = 1.0 - ly, hx = 1.0 - lx;
            float wt[4] = float[4](hy * hx, hy * lx, ly * hx, ly * lx);
            int ys[4] = int[4](y0, y0, y0 + 1, y0 + 1);
            int xs[4] = int[4](x0, x0 + 1, x0, x0 + 1);
            for (int q = 0; q < 4; ++q) {
                if (ys[q] < 0 || ys[q] > H - 1 || xs[q] < 0 || xs[q] > W - 1) continue;
                float wq = wt[q] * m;
                uint base = vImg + (uint(ys[q]) * p.w + uint(xs[q])) * p.c + c0;
                for (uint k = 0u; k < p.cpt; ++k) acc[k] += wq * float(v[base + k]);
            }
        }
    }
    uint ob = pix * p.c + c0;
    for (uint k = 0u; k < p.cpt; ++k) dst[ob + k] = to_store(acc[k]);
}
