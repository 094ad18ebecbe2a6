/* Python-float emulation the paper-compatible ensemble needs to reproduce the reference code's numbers
 * bit for bit (its scores go through "{:.2f}" and its boxes through str()[0:-2]). Internal: plugins get
 * hv_ensemble_fuse and hv_py_repr from hemovk/detect.h, never these. */
#ifndef HEMOVK_DETECT_PYFLOAT_H
#define HEMOVK_DETECT_PYFLOAT_H

/** Python "{:.2f}".format(x) read back as a double: round half-even on the exact binary value. */
double hv_round2_py(double x);

/** Emulate float(str(x)[0:-2]) where str is Python's repr of the double x (shortest round-trip digits,
 *  fixed notation for 1e-4 ≤ |x| < 1e16 with at least one fractional digit). 62.65625 → 62.656,
 *  12.5 → 12, 3.0 → 3. Non-finite values are returned unchanged. */
double hv_py_repr_truncate2(double x);

#endif
