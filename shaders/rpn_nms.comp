#version 450
// The proposals of one frame per workgroup (hv_rpn_nms, hemovk/ops_dcn.h; MODEL_SPEC §5.5): the level
// candidates of hv_rpn_level_topk (each level already sorted by score, ties by row) merged into one
// order by rank — a candidate's rank is its row plus, found by binary search, the rows of earlier levels
// scoring ≥ it and of later levels scoring > it: the host's stable sort by score over the level-major
// list —, then greedy NMS within each level (mmcv's devIoU test, hv_iou_exceeds) walking that order
// until max_per_img are kept. Invalid candidates (too small) take a rank but start suppressed, which
// leaves the order of the others as the host's filter-then-sort does. The candidates are copied to the
// scratch in rank order (box, then level and row), so the walk reads them contiguously. Dead flags are a
// bit mask in shared memory: invocation 0 finds the next live candidate 32 flags at a time, then every
// invocation marks the later ones of its level it overlaps — two barriers per kept proposal, none for a
// suppressed one.
//@variant f32
layout(local_size_x = 256) in;

#define WG 256u
#define MAX_LEVELS 5u
#define MAX_CAND 5120u   // HV_RPN_OP_MAX_LEVELS · HV_RPN_OP_MAX_PRE

layout(std430, binding = 0) readonly buffer Lv0 { float lv0[]; };
layout(std430, binding = 1) readonly buffer Lv1 { float lv1[]; };
layout(std430, binding = 2) readonly buffer Lv2 { float lv2[]; };
layout(std430, binding = 3) readonly buffer Lv3 { float lv3[]; };
layout(std430, binding = 4) readonly buffer Lv4 { float lv4[]; };
layout(std430, binding = 5) writeonly buffer BufOut { float rows[]; };
layout(std430, binding = 6) coherent buffer Scratch { uint scratch[]; }; // per frame: boxes, then (level, row), by rank

layout(push_constant) uniform Push {
    uint levels, total, max_out;
    float iou_thr;
    uint ks[MAX_LEVELS];    // candidates per level (rows of each input)
} pc;

shared uint s_dead[MAX_CAND / 32u];
shared uint s_next;

float cand(uint l, uint p, uint c) {
    uint o = (gl_WorkGroupID.x * pc.ks[l] + p) * 8u + c;
    switch (l) {
    case 0u: return lv0[o];
    case 1u: return lv1[o];
    case 2u: return lv2[o];
    case 3u: return lv3[o];
    default: return lv4[o];
    }
}

vec4 box_of(uint l, uint p) { return vec4(cand(l, p, 0u), cand(l, p, 1u), cand(l, p, 2u), cand(l, p, 3u)); }

// Rows of level l (sorted by score, descending) scoring ≥ s (or > s when strict).
uint count_above(uint l, float s, bool strict) {
    uint lo = 0u, hi = pc.ks[l];
    while (lo < hi) {
        uint mid = (lo + hi) >> 1u;
        float v = cand(l, mid, 4u);
        if (strict ? v > s : v >= s) lo = mid + 1u; else hi = mid;
    }
    return lo;
}

// Candidate e (level-major numbering) → level and row.
uvec2 where(uint e) {
    uint l = 0u;
    while (l + 1u < pc.levels && e >= pc.ks[l]) { e -= pc.ks[l]; l++; }
    return uvec2(l, e);
}

// The box of rank r from this frame's scratch (phase 1 stores it as four float bit patterns at `boxes`).
vec4 ranked_box(uint boxes, uint r) {
    return uintBitsToFloat(uvec4(scratch[boxes + r * 4u], scratch[boxes + r * 4u + 1u], scratch[boxes + r * 4u + 2u],
                                 scratch[boxes + r * 4u + 3u]));
}

bool iou_exceeds(vec4 a, vec4 b, float thr) {
    precise float left = max(a.x, b.x), right = min(a.z, b.z);
    precise float top = max(a.y, b.y), bottom = min(a.w, b.w);
    precise float width = max(right - left, 0.0), height = max(bottom - top, 0.0);
    precise float inter = width * height;
    precise float sa = (a.z - a.x) * (a.w - a.y), sb = (b.z - b.x) * (b.w - b.y);
    precise float rhs = thr * (sa + sb - inter);
    return inter > rhs;
}

void main() {
    uint frame = gl_WorkGroupID.x, lid = gl_LocalInvocationID.x, total = pc.total;
    uint boxes = frame * total * 5u, metas = boxes + total * 4u; // this frame's slice of the scratch
    for (uint i = lid; i < MAX_CAND / 32u; i += WG) s_dead[i] = 0u;
    barrier();
    // 1. every candidate to its rank: box and (level, row) in score order
    for (uint e = lid; e < total; e += WG) {
        uvec2 lp = where(e);
        float s = cand(lp.x, lp.y, 4u);
        uint rank = lp.y;
        for (uint m = 0u; m < pc.levels; m++)
            if (m != lp.x) rank += count_above(m, s, m > lp.x);
        vec4 b = box_of(lp.x, lp.y);
        scratch[boxes + rank * 4u] = floatBitsToUint(b.x);
        scratch[boxes + rank * 4u + 1u] = floatBitsToUint(b.y);
        scratch[boxes + rank * 4u + 2u] = floatBitsToUint(b.z);
        scratch[boxes + rank * 4u + 3u] = floatBitsToUint(b.w);
        scratch[metas + rank] = (lp.x << 16u) | lp.y;
        if (cand(lp.x, lp.y, 6u) == 0.0) atomicOr(s_dead[rank >> 5u], 1u << (rank & 31u));
    }
    memoryBarrierBuffer();
    barrier();
    // 2. the walk: invocation 0 finds the next live candidate in the bit mask, everyone marks what it
    //    overlaps; two barriers per kept proposal, none per suppressed one
    uint kept = 0u, cursor = 0u;
    for (;;) {
        if (lid == 0u) {
            uint i = cursor;
            while (i < total) {
                uint free_bits = ~s_dead[i >> 5u] & (0xffffffffu << (i & 31u));
                if (free_bits != 0u) { i = (i & ~31u) + uint(findLSB(free_bits)); break; }
                i = (i & ~31u) + 32u;
            }
            s_next = min(i, total);
        }
        barrier();
        uint i = s_next;
        if (i >= total || kept >= pc.max_out) break;
        vec4 bi = ranked_box(boxes, i);
        uint mi = scratch[metas + i], li = mi >> 16u;
        if (lid == 0u) {
            uint o = (frame * pc.max_out + kept) * 8u, p = mi & 0xffffu;
            rows[o] = bi.x; rows[o + 1u] = bi.y; rows[o + 2u] = bi.z; rows[o + 3u] = bi.w;
            rows[o + 4u] = cand(li, p, 4u);
            rows[o + 5u] = float(li);
            rows[o + 6u] = cand(li, p, 5u);
            rows[o + 7u] = 1.0;
        }
        kept++;
        for (uint j = i + 1u + lid; j < total; j += WG) {
            if ((scratch[metas + j] >> 16u) != li) continue;
            if (iou_exceeds(bi, ranked_box(boxes, j), pc.iou_thr)) atomicOr(s_dead[j >> 5u], 1u << (j & 31u));
        }
        cursor = i + 1u;
        barrier();
    }
    for (uint r = kept + lid; r < pc.max_out; r += WG)
        for (uint c = 0u; c < 8u; c++) rows[(frame * pc.max_out + r) * 8u + c] = 0.0;
}
