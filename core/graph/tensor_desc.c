/* Tensor descriptor helpers and IEEE half conversion (hemovk/tensor.h). */
#include "hemovk/tensor.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int64_t hv_desc_numel(const hv_tensor_desc *d) {
    if (!d || d->rank == 0 || d->rank > HV_MAX_DIMS) return 0;
    int64_t n = 1;
    for (uint32_t i = 0; i < d->rank; i++) n *= d->dims[i];
    return n;
}

size_t hv_dtype_size(hv_dtype t) { return t == HV_F16 ? 2 : 4; }

int64_t hv_desc_bytes(const hv_tensor_desc *d) { return d ? hv_desc_numel(d) * (int64_t)hv_dtype_size(d->dtype) : 0; }

const char *hv_dtype_name(hv_dtype t) { return t == HV_F16 ? "f16" : "f32"; }

const char *hv_desc_str(const hv_tensor_desc *d, char *buf, size_t cap) {
    if (!buf || cap == 0) return "";
    if (!d) {
        snprintf(buf, cap, "(null)");
        return buf;
    }
    size_t off = 0;
    off += (size_t)snprintf(buf + off, cap - off, "[");
    for (uint32_t i = 0; i < d->rank && i < HV_MAX_DIMS && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%lld", i ? ", " : "", (long long)d->dims[i]);
    if (off < cap) snprintf(buf + off, cap - off, "]");
    return buf;
}

uint16_t hv_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xFFu;
    uint32_t man = x & 0x7FFFFFu;
    if (exp == 0xFF) return (uint16_t)(sign | 0x7C00u | (man ? 0x200u : 0)); /* Inf / NaN */
    int32_t e = (int32_t)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7C00u);                          /* overflow -> Inf */
    if (e <= 0) {                                                             /* subnormal or zero */
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) half++; /* may carry into the exponent: correct */
    return (uint16_t)half;
}

float hv_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t man = h & 0x3FFu;
    uint32_t x;
    if (exp == 0) {
        if (man == 0) {
            x = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400u));
            x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3FFu) << 13);
        }
    } else if (exp == 31) {
        x = sign | 0x7F800000u | (man << 13);
    } else {
        x = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

uint16_t hv_f32_to_f16_sat(float f) {
    if (isnan(f)) return hv_f32_to_f16(f);
    if (f > 65504.0f) return 0x7BFFu;
    if (f < -65504.0f) return 0xFBFFu;
    return hv_f32_to_f16(f); /* values in (65504, 65520) would round up to Inf: clamped above */
}

float hv_f16_round(float f) { return hv_f16_to_f32(hv_f32_to_f16_sat(f)); }
