// roi_align.comp — multi-level RoIAlign (MODEL_SPEC §5.6–5.7, mmcv/torchvision aligned semantics, avg).
// One invocation per (r, chunk of 8 channels, ph, pw): sample positions are shared by the chunk. Up to 4 NCHW feature maps bound at 0..3 (unused
// levels repeat level 0's binding and are never read); rois {R,5} and levels {R} are always f32.
#version 450
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsdcn_common.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer F0 { STORE_T f0[]; };
layout(std430, binding = 1) readonly buffer F1 { STORE_T f1[]; };
layout(std430, binding = 2) readonly buffer F2 { STORE_T f2[]; };
layout(std430, binding = 3) readonly buffer F3 { STORE_T f3[]; };
layout(std430, binding = 4) readonly buffer Rois { float rois[]; };
layout(std430, binding = 5) readonly buffer Lv { float lvls[]; };
layout(std430, binding = 6) writeonly buffer Out { STORE_T dst[]; };

layout(push_constant) uniform P {
    uvec4 hs;        // H of each level
    uvec4 ws;        // W of each level
    vec4 scale;      // 1/stride of each level
    uint r, c, n, pp, l;
    int sr;          // sampling ratio, 0 = adaptive
    uint aligned, has_levels;
    float finest;
} p;

#define CPT 8  // channels per invocation: sample positions and weights are computed once for all of them

// One bilinear sample of mmcv's bilinear_interpolate: 4 plane offsets and weights (all 0 outside).
void taps(int H, int W, float y, float x, out uvec4 idx, out vec4 wt) {
    idx = uvec4(0u);
    wt = vec4(0.0);
    if (y < -1.0 || y > float(H) || x < -1.0 || x > float(W)) return;
    y = max(y, 0.0);
    x = max(x, 0.0);
    int y0 = int(y), x0 = int(x), y1, x1;
    if (y0 >= H - 1) { y0 = y1 = H - 1; y = float(y0); } else { y1 = y0 + 1; }
    if (x0 >= W - 1) { x0 = x1 = W - 1; x = float(x0); } else { x1 = x0 + 1; }
    float ly = y - float(y0), lx = x - float(x0), hy = 1.0 - ly, hx = 1.0 - lx;
    idx = uvec4(uint(y0 * W + x0), uint(y0 * W + x1), uint(y1 * W + x0), uint(y1 * W + x1));
    wt = vec4(hy * hx, hy * lx, ly * hx, ly * lx);
}

// The sample loop for one level's buffer (the level is uniform per invocation, so no per-load branch).
#define POOL(BUF)                                                                                   \
    for (int iy = 0; iy < gh; ++iy) {                                                              \
        float y = sy + float(ph) * bh + (float(iy) + 0.5) * bh / float(gh);                        \
        for (int ix = 0; ix < gw; ++ix) {                                                          \
            float x = sx + float(pw) * bw + (float(ix) + 0.5) * bw / float(gw);                    \
            uvec4 id; vec4 wt;                                                                     \
            taps(H, W, y, x, id, wt);                                                              \
            for (uint k = 0u; k < nch; ++k) {                                                      \
                uint b = base + k * plane;                                                         \
                acc[k] += wt.x * float(BUF[b + id.x]) + wt.y * float(BUF[b + id.y]) +             \
                          wt.z * float(BUF[b + id.z]) + wt.w * float(BUF[b + id.w]);              \
            }                                                                                      \
        }                                                                                          \
    }

void main() {
    uint chunks = (p.c + CPT - 1u) / CPT;
    uint t = opsdcn_invocation(64u);
    if (t >= p.r * chunks * p.pp * p.pp) return;
    uint pw = t % p.pp;
    uint ph = (t / p.pp) % p.pp;
    uint chunk = (t / (p.pp * p.pp)) % chunks;
    uint ri = t / (p.pp * p.pp * chunks);
    uint c0 = chunk * CPT;
    uint nch = min(CPT, p.c - c0);
    uint obase = ((ri * p.c + c0) * p.pp + ph) * p.pp + pw, ostride = p.pp * p.pp;
    float bx = rois[ri * 5u], x1 = rois[ri * 5u + 1u], y1 = rois[ri * 5u + 2u];
    float x2 = rois[ri * 5u + 3u], y2 = rois[ri * 5u + 4u];
    int b = int(bx);  // (int) truncation, as mmcv
    if (b < 0 || uint(b) >= p.n) {
        for (uint k = 0u; k < nch; ++k) dst[obase + k * ostride] = to_store(0.0);
        return;
    }

    uint lvl;
    if (p.has_levels != 0u) {
        lvl = uint(clamp(int(round(lvls[ri])), 0, int(p.l) - 1));
    } else {
        // mmdet map_roi_levels: floor(log2(sqrt(w·h)/finest + 1e-6)), by comparisons (exact thresholds).
        float tt = sqrt((x2 - x1) * (y2 - y1)) / p.finest + 1e-6;
        int lv = tt >= 8.0 ? 3 : (tt >= 4.0 ? 2 : (tt >= 2.0 ? 1 : 0));
        lvl = uint(min(lv, int(p.l) - 1));
    }
    int H = int(p.hs[lvl]), W = int(p.ws[lvl]);
    float s = p.scale[lvl];
    float off = p.aligned != 0u ? 0.5 : 0.0;
    float sx = x1 * s - off, sy = y1 * s - off;
    float rw = x2 * s - off - sx, rh = y2 * s - off - sy;
    if (p.aligned == 0u) { rw = max(rw, 1.0); rh = max(rh, 1.0); }
    float P = float(p.pp);
    float bw = rw / P, bh = rh / P;
    int gw = p.sr > 0 ? p.sr : int(ceil(rw / P));
    int gh = p.sr > 0 ? p.sr : int(ceil(rh / P));
    uint plane = uint(H * W);
    uint base = (uint(b) * p.c + c0) * plane;
    float acc[CPT];
    for (uint k = 0u; k < CPT; ++k) acc[k] = 0.0;
    if (lvl == 0u) { POOL(f0) } else if (lvl == 1u) { POOL(f1) } else if (lvl == 2u) { POOL(f2) } else { POOL(f3) }
    float cnt = float(max(gh * gw, 1));
    for (uint k = 0u; k < nch; ++k) dst[obase + k * ostride] = to_store(acc[k] / cnt);
}
