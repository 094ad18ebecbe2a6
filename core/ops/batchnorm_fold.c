/* BatchNorm folding into the preceding conv (EfficientNet's conv→BN(eps 1e-3), done at graph build). */
#include <math.h>

#include "hemovk/ops_conv.h"

hv_status hv_fold_batchnorm(const float *w, const float *b_or_null, const float *gamma, const float *beta,
                            const float *mean, const float *var, float eps, int64_t c_out, int64_t per_out_elems,
                            float *w_out, float *b_out) {
    if (!w || !gamma || !beta || !mean || !var || !w_out || !b_out)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_fold_batchnorm: a required array is NULL");
    if (c_out <= 0 || per_out_elems <= 0 || !(eps >= 0))
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "hv_fold_batchnorm: C_out %lld and per_out_elems %lld must be > 0 and eps %g >= 0",
                        (long long)c_out, (long long)per_out_elems, (double)eps);
    /* Check every channel before writing anything, so a failure leaves aliased outputs untouched. */
    for (int64_t o = 0; o < c_out; o++)
        if (!((double)var[o] + (double)eps > 0) || !isfinite(gamma[o]) || !isfinite(mean[o]) || !isfinite(beta[o]))
            return hv_error(HV_ERR_INVALID_ARGUMENT,
                            "hv_fold_batchnorm: channel %lld has var %g + eps %g <= 0 or a non-finite statistic "
                            "(gamma %g, beta %g, mean %g); check the checkpoint's BN tensors",
                            (long long)o, (double)var[o], (double)eps, (double)gamma[o], (double)beta[o],
                            (double)mean[o]);
    for (int64_t o = 0; o < c_out; o++) {
        double scale = (double)gamma[o] / sqrt((double)var[o] + (double)eps);
        for (int64_t i = 0; i < per_out_elems; i++)
            w_out[o * per_out_elems + i] = (float)((double)w[o * per_out_elems + i] * scale);
        double b = b_or_null ? (double)b_or_null[o] : 0.0;
        b_out[o] = (float)((b - (double)mean[o]) * scale + (double)beta[o]);
    }
    return HV_OK;
}
