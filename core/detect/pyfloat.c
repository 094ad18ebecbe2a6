/* Python float formatting emulation for the paper-compatible ensemble (MODEL_SPEC §7.1–§7.3):
 * "{:.2f}".format(x) and str(x)[0:-2]. glibc's printf is exact-decimal with round-half-even, like
 * CPython's dtoa, so "%.2f" and "%.17g"-based shortest round-trip searches give Python's digits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/pyfloat.h"
#include "hemovk/detect.h"

double hv_round2_py(double x) {
    if (!isfinite(x)) return x;
    char buf[512];
    snprintf(buf, sizeof buf, "%.2f", x);
    return strtod(buf, NULL);
}

char *hv_py_repr(double x, char *buf, size_t size) {
    if (!buf || size < 32) return buf;
    if (isnan(x)) { snprintf(buf, size, "nan"); return buf; }
    if (isinf(x)) { snprintf(buf, size, x > 0 ? "inf" : "-inf"); return buf; }
    if (x == 0) { snprintf(buf, size, signbit(x) ? "-0.0" : "0.0"); return buf; }
    /* shortest digits that round-trip: %.{p}e for p = 0..16 */
    char e[40];
    for (int p = 0; p <= 16; ++p) {
        snprintf(e, sizeof e, "%.*e", p, x);
        if (strtod(e, NULL) == x) break;
    }
    /* e = [-]d[.ddd]e±XX → digits and decimal exponent */
    const char *q = e;
    int neg = 0;
    if (*q == '-') { neg = 1; ++q; }
    char digits[24];
    int nd = 0;
    for (; *q && *q != 'e'; ++q)
        if (*q >= '0' && *q <= '9') digits[nd++] = *q;
    digits[nd] = 0;
    const int exp10 = atoi(q + 1);
    const int decpt = exp10 + 1; /* digits d1d2... × 10^(decpt − nd) with the point after decpt digits */
    char *o = buf;
    if (neg) *o++ = '-';
    if (decpt > -4 && decpt <= 16) { /* CPython float_repr_style 'short', repr: fixed in this range */
        if (decpt <= 0) {
            *o++ = '0'; *o++ = '.';
            for (int i = 0; i < -decpt; ++i) *o++ = '0';
            for (int i = 0; i < nd; ++i) *o++ = digits[i];
        } else {
            for (int i = 0; i < decpt; ++i) *o++ = i < nd ? digits[i] : '0';
            *o++ = '.';
            if (nd > decpt)
                for (int i = decpt; i < nd; ++i) *o++ = digits[i];
            else
                *o++ = '0';
        }
        *o = 0;
    } else {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            for (int i = 1; i < nd; ++i) *o++ = digits[i];
        }
        snprintf(o, size - (size_t)(o - buf), "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    }
    return buf;
}

double hv_py_repr_truncate2(double x) {
    if (!isfinite(x)) return x;
    char buf[64];
    hv_py_repr(x, buf, sizeof buf);
    size_t n = strlen(buf);
    if (n <= 2) return 0.0; /* never happens for finite reprs ("0.0" is 3 characters) */
    buf[n - 2] = 0;
    /* "1.5e-0" style leftovers of exponent reprs parse as their mantissa prefix, like float() would fail;
     * we return what strtod reads (documented as an edge case of an edge case). */
    return strtod(buf, NULL);
}
