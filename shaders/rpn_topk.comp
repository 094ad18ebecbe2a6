#version 450
// One FPN level of the RPN's proposal selection (hv_rpn_level_topk, hemovk/ops_dcn.h; MODEL_SPEC §5.5),
// one workgroup per frame: sigmoid scores, the exact top-k (radix select on the score bits, then a bitonic
// sort by score with ties to the lower anchor index — the host's stable sort), and the delta decode of
// the k anchors. Rows: (x1, y1, x2, y2, score, anchor index, valid, 0).
//   1. radix select, 8 bits a pass from the top: the k-th largest key T and how many keys equal to T
//      belong to the top k (sigmoid ≥ 0, so the float bits order like the floats);
//   2. keys > T go to slots [0, k − eq) in any order; keys == T to [k − eq, k) by index (a prefix sum
//      over contiguous chunks keeps the lowest indices);
//   3. a bitonic sort of the 1024 slots (padding sorts last), then the decode.
// `precise` keeps the compiler from contracting a·b + c into an fma, so the floats are the C reference's.
//@variant f32
//@variant f16 -DHV_F16=1
#extension GL_GOOGLE_include_directive : require
#include "opsdcn_common.glsl"
layout(local_size_x = 256) in;

#define WG 256u
#define SLOTS 1024u

layout(std430, binding = 0) readonly buffer BufCls { STORE_T cls[]; };
layout(std430, binding = 1) readonly buffer BufReg { STORE_T reg[]; };
layout(std430, binding = 2) writeonly buffer BufOut { float rows[]; };

layout(push_constant) uniform Push {
    vec2 anchor_half[8];  // half width and height of this level's base anchors (centred on 0)
    uint n, hw, w, a, k;  // anchors on the level (A·H·W), H·W, W, A, top-k
    float stride, img_h, img_w, min_size, max_ratio;
} pc;

shared uint s_key[SLOTS];
shared uint s_idx[SLOTS];
shared uint s_hist[256];
shared uint s_prefix, s_mask, s_remaining, s_gt;

float score_of(uint frame, uint i) {
    uint cell = i / pc.a, a = i - cell * pc.a;
    precise float x = float(cls[(frame * pc.a + a) * pc.hw + cell]);
    precise float s = 1.0 / (1.0 + exp(-x));
    return s;
}

uint key_of(uint frame, uint i) { return floatBitsToUint(score_of(frame, i)); }

// Slot p before slot q: higher key, then lower index.
bool before(uint p, uint q) {
    return s_key[p] > s_key[q] || (s_key[p] == s_key[q] && s_idx[p] < s_idx[q]);
}

void main() {
    uint frame = gl_WorkGroupID.x, lid = gl_LocalInvocationID.x;
    uint n = pc.n, k = pc.k;
    uint chunk = (n + WG - 1u) / WG, lo = min(n, lid * chunk), hi = min(n, lo + chunk);
    if (k >= n) {
        for (uint i = lid; i < n; i += WG) { s_key[i] = key_of(frame, i); s_idx[i] = i; }
    } else {
        // 1. radix select
        if (lid == 0u) { s_prefix = 0u; s_mask = 0u; s_remaining = k; s_gt = 0u; }
        for (int shift = 24; shift >= 0; shift -= 8) {
            s_hist[lid] = 0u;
            barrier();
            uint prefix = s_prefix, mask = s_mask;
            for (uint i = lo; i < hi; i++) {
                uint key = key_of(frame, i);
                if ((key & mask) == prefix) atomicAdd(s_hist[(key >> uint(shift)) & 255u], 1u);
            }
            barrier();
            if (lid == 0u) {
                uint rem = s_remaining, cum = 0u;
                int b = 255;
                for (; b > 0; b--) {
                    if (cum + s_hist[b] >= rem) break;
                    cum += s_hist[b];
                }
                s_remaining = rem - cum;
                s_prefix |= uint(b) << uint(shift);
                s_mask |= 255u << uint(shift);
            }
            barrier();
        }
        // 2. compaction: s_hist now counts each chunk's keys equal to T
        uint T = s_prefix, need = s_remaining, gt_total = k - need, eq = 0u;
        for (uint i = lo; i < hi; i++) {
            uint key = key_of(frame, i);
            if (key > T) {
                uint slot = atomicAdd(s_gt, 1u);
                s_key[slot] = key;
                s_idx[slot] = i;
            } else if (key == T) {
                eq++;
            }
        }
        s_hist[lid] = eq;
        barrier();
        if (lid == 0u) {
            uint run = 0u;
            for (uint t = 0u; t < WG; t++) { uint c = s_hist[t]; s_hist[t] = run; run += c; }
        }
        barrier();
        uint r = s_hist[lid];
        for (uint i = lo; i < hi && r < need; i++) {
            if (key_of(frame, i) == T) {
                s_key[gt_total + r] = T;
                s_idx[gt_total + r] = i;
                r++;
            }
        }
    }
    for (uint s = k + lid; s < SLOTS; s += WG) { s_key[s] = 0u; s_idx[s] = 0xffffffffu; }
    barrier();
    // 3. bitonic sort into "before" order
    for (uint size = 2u; size <= SLOTS; size <<= 1u) {
        for (uint stride = size >> 1u; stride > 0u; stride >>= 1u) {
            for (uint t = lid; t < SLOTS / 2u; t += WG) {
                uint i = 2u * t - (t & (stride - 1u)), j = i + stride;
                bool up = (i & size) == 0u;
                if (up ? before(j, i) : before(i, j)) {
                    uint kk = s_key[i], ii = s_idx[i];
                    s_key[i] = s_key[j]; s_idx[i] = s_idx[j];
                    s_key[j] = kk; s_idx[j] = ii;
                }
            }
            barrier();
        }
    }
    // 4. decode (hv_delta_decode with means 0, stds 1, clamped to the image)
    for (uint s = lid; s < k; s += WG) {
        uint i = s_idx[s], cell = i / pc.a, a = i - cell * pc.a;
        uint y = cell / pc.w, x = cell - y * pc.w;
        precise float sx = float(x) * pc.stride, sy = float(y) * pc.stride;
        vec2 h = pc.anchor_half[a];
        precise float ax1 = -h.x + sx, ay1 = -h.y + sy, ax2 = h.x + sx, ay2 = h.y + sy;
        uint d0 = (frame * 4u * pc.a + 4u * a) * pc.hw + cell;
        precise float dx = float(reg[d0]), dy = float(reg[d0 + pc.hw]);
        precise float dw = float(reg[d0 + 2u * pc.hw]), dh = float(reg[d0 + 3u * pc.hw]);
        precise float px = (ax1 + ax2) * 0.5, py = (ay1 + ay2) * 0.5;
        precise float pw = ax2 - ax1, ph = ay2 - ay1;
        precise float dxw = pw * dx, dyh = ph * dy;
        dw = min(max(dw, -pc.max_ratio), pc.max_ratio);
        dh = min(max(dh, -pc.max_ratio), pc.max_ratio);
        precise float gx = px + dxw, gy = py + dyh;
        precise float gw = pw * exp(dw), gh = ph * exp(dh);
        precise float x1 = gx - gw * 0.5, y1 = gy - gh * 0.5, x2 = gx + gw * 0.5, y2 = gy + gh * 0.5;
        x1 = min(max(x1, 0.0), pc.img_w); x2 = min(max(x2, 0.0), pc.img_w);
        y1 = min(max(y1, 0.0), pc.img_h); y2 = min(max(y2, 0.0), pc.img_h);
        precise float bw = x2 - x1, bh = y2 - y1;
        uint o = (frame * k + s) * 8u;
        rows[o] = x1; rows[o + 1u] = y1; rows[o + 2u] = x2; rows[o + 3u] = y2;
        rows[o + 4u] = uintBitsToFloat(s_key[s]);
        rows[o + 5u] = float(i);
        rows[o + 6u] = (bw > pc.min_size && bh > pc.min_size) ? 1.0 : 0.0;
        rows[o + 7u] = 0.0;
    }
}
