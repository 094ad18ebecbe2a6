/* Made-up weights for plumbing demos (`weights: {random: {seed}}`): every tensor the model asks for is
 * synthesised deterministically from (seed, tensor name), scaled like a fresh PyTorch init (He-uniform
 * ±√(6/fan_in) for conv/linear weights, biases near 0, norm scales near 1, BN running_var in [0.5, 1.5])
 * so activations stay finite. NOT trained: the stage logs a warning and tags every frame. */
#include "segment_plugin.h"

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

hv_status seg_random_fill(void *user, const char *name, uint32_t rank, const int64_t *dims, float *dst) {
    uint64_t state = *(const uint64_t *)user;
    for (const char *c = name; *c; c++) state = (state ^ (uint8_t)*c) * 0x100000001B3ull; /* FNV-1a mix */
    int64_t numel = 1;
    for (uint32_t i = 0; i < rank; i++) numel *= dims[i];
    float lo = -0.01f, hi = 0.01f;
    if (ends_with(name, "running_var")) {
        lo = 0.5f, hi = 1.5f;
    } else if (rank >= 2) {
        /* ConvTranspose2d weights are {in, out, k, k}: fan_in is still numel / dims[0] up to k·k */
        int64_t fan_in = dims[0] > 0 ? numel / dims[0] : 1;
        float a = sqrtf(6.0f / (float)(fan_in > 0 ? fan_in : 1));
        lo = -a, hi = a;
    } else if (ends_with(name, ".weight") || strstr(name, "gamma")) {
        lo = 0.9f, hi = 1.1f;
    }
    for (int64_t i = 0; i < numel; i++) {
        double u = (double)(splitmix(&state) >> 11) * (1.0 / 9007199254740992.0);
        dst[i] = lo + (hi - lo) * (float)u;
    }
    return HV_OK;
}
