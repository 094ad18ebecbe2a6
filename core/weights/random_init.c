/* Made-up weights for plumbing demos and tests (the stages' `weights: {random: {seed}}`): a synthesizer
 * that fills any tensor deterministically from (seed, tensor name), so the same seed gives the same
 * network in every run and on every device. Values are scaled like a fresh PyTorch init so a deep
 * network's activations stay finite: conv/linear weights uniform in ±√(6/fan_in) (He init), biases and
 * BatchNorm running_mean near 0, norm and layer scales near 1, running_var in [0.5, 1.5]. */
#include "hemovk/weights.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

hv_status hv_weights_random_init(void *user, const char *name, uint32_t rank, const int64_t *dims, float *dst) {
    if (!user || !name || (rank && !dims) || !dst)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_random_init: NULL argument");
    uint64_t state = *(const uint64_t *)user;
    for (const char *c = name; *c; c++) state = (state ^ (uint8_t)*c) * 0x100000001B3ull; /* FNV-1a mix */
    int64_t numel = 1;
    for (uint32_t i = 0; i < rank; i++) numel *= dims[i];
    float lo = -0.01f, hi = 0.01f; /* biases, running_mean */
    if (ends_with(name, "running_var")) {
        lo = 0.5f, hi = 1.5f;
    } else if (rank >= 2) {
        /* He-uniform keeps the variance through ReLU/Swish. ConvTranspose2d weights are {in, out, k, k}:
         * numel / dims[0] is then out·k·k, close enough for made-up weights */
        int64_t fan_in = dims[0] > 0 ? numel / dims[0] : 1;
        float a = sqrtf(6.0f / (float)(fan_in > 0 ? fan_in : 1));
        lo = -a, hi = a;
    } else if (ends_with(name, ".weight") || strstr(name, "gamma")) { /* norm scales, layer scales */
        lo = 0.9f, hi = 1.1f;
    }
    for (int64_t i = 0; i < numel; i++) {
        double u = (double)(splitmix(&state) >> 11) * (1.0 / 9007199254740992.0);
        dst[i] = lo + (hi - lo) * (float)u;
    }
    return HV_OK;
}
