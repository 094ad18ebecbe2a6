/* optest — run one op on the CPU reference and on Vulkan with guard regions, and compare (optest.h). */
#include "optest.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvtest.h"
#include "vulkan/runtime.h"

#define OPTEST_GUARD 1024u          /* bytes of sentinel before and after the output binding */
#define OPTEST_SENTINEL 0xA5C3E1F7u /* an unlikely pattern (a NaN-free, odd f32/f16 mix) */

static hv_device *g_dev;

/* Closing at exit frees the driver's memory (leak checkers stay quiet) and saves the pipeline cache. */
static void close_device(void) {
    hv_device_close(g_dev);
    g_dev = NULL;
}

hv_device *optest_device(void) {
    if (!g_dev) {
        if (hv_device_open(NULL, &g_dev) != HV_OK) ck_abort_msg("optest: no device: %s", hv_last_error());
        atexit(close_device);
    }
    return g_dev;
}

hv_tensor_desc optest_desc(hv_layout layout, uint32_t rank, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    int64_t d[4] = {d0, d1, d2, d3};
    hv_tensor_desc t;
    memset(&t, 0, sizeof t);
    t.dtype = HV_F32;
    t.layout = layout;
    t.rank = rank;
    for (uint32_t i = 0; i < HV_MAX_DIMS; i++) t.dims[i] = i < rank ? d[i] : 1;
    return t;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static void shapes_str(const optest_case *c, const hv_tensor_desc *src, const hv_tensor_desc *dst, char *buf,
                       size_t cap) {
    size_t off = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < c->n_src && off < cap; i++) {
        char b[96];
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? " " : "", hv_desc_str(&src[i], b, sizeof b));
    }
    if (dst && dst->rank && off < cap) {
        char b[96];
        snprintf(buf + off, cap - off, " -> %s", hv_desc_str(dst, b, sizeof b));
    }
}

static void record_failure(optest_result *r, hv_status st, const char *what) {
    r->status = st ? st : HV_ERR_INTERNAL;
    snprintf(r->error, sizeof r->error, "%s: %s", what, hv_last_error());
}

/* Upload f32 values as `dt` into a fresh device buffer (at least 16 bytes). */
static hv_status upload_tensor(hv_device *dev, const float *v, int64_t n, hv_dtype dt, hv_buffer *out) {
    size_t bytes = (size_t)n * hv_dtype_size(dt);
    size_t alloc = (bytes + 15) & ~(size_t)15;
    void *host = calloc(1, alloc);
    if (!host) return hv_error(HV_ERR_OUT_OF_MEMORY, "optest: host memory");
    if (dt == HV_F16)
        for (int64_t i = 0; i < n; i++) ((uint16_t *)host)[i] = hv_f32_to_f16_sat(v[i]);
    else
        memcpy(host, v, bytes);
    hv_status st = hv_buffer_alloc(dev, HV_MEM_DEVICE, alloc, out);
    if (!st) st = hv_buffer_upload(dev, out, 0, host, alloc);
    free(host);
    return st;
}

/* Record the op once, run it, read the output and check the guards. */
static void run_device(const optest_case *c, const hv_tensor_desc *sd, float *const *data, optest_result *r) {
    hv_device *dev = optest_device();
    hv_buffer sb[HV_OP_MAX_SRC], db = {0}, scratch = {0};
    memset(sb, 0, sizeof sb);
    hv_binding bind[HV_OP_MAX_SRC], dbind, sbind;
    hv_cmd *cmd = NULL;
    uint8_t *host = NULL;
    uint32_t v0 = hv_validation_message_count();
    hv_status st = HV_OK;
    for (uint32_t i = 0; i < c->n_src && !st; i++) {
        st = upload_tensor(dev, data[i], hv_desc_numel(&sd[i]), sd[i].dtype, &sb[i]);
        bind[i] = (hv_binding){&sb[i], 0, (uint64_t)hv_desc_bytes(&sd[i])};
    }
    if (st) {
        record_failure(r, st, "uploading sources");
        goto done;
    }
    uint64_t bytes = (uint64_t)hv_desc_bytes(&r->dst);
    uint64_t total = OPTEST_GUARD + ((bytes + 15) & ~(uint64_t)15) + OPTEST_GUARD;
    host = malloc(total);
    if (!host || (st = hv_buffer_alloc(dev, HV_MEM_DEVICE, total, &db))) {
        record_failure(r, st ? st : HV_ERR_OUT_OF_MEMORY, "allocating the output");
        goto done;
    }
    for (uint64_t i = 0; i < total / 4; i++) memcpy(host + 4 * i, &(uint32_t){OPTEST_SENTINEL}, 4);
    if ((st = hv_buffer_upload(dev, &db, 0, host, total))) {
        record_failure(r, st, "filling the guards");
        goto done;
    }
    dbind = (hv_binding){&db, OPTEST_GUARD, (bytes + 3) & ~(uint64_t)3};
    uint64_t sbytes = c->op->scratch_bytes ? c->op->scratch_bytes(c->params, sd, c->n_src, &r->dst) : 0;
    if (sbytes && (st = hv_buffer_alloc(dev, HV_MEM_DEVICE, sbytes, &scratch))) {
        record_failure(r, st, "allocating scratch");
        goto done;
    }
    sbind = (hv_binding){&scratch, 0, sbytes};
    if ((st = hv_cmd_begin(dev, &cmd)) ||
        (st = c->op->record(cmd, dev, c->params, sd, bind, c->n_src, &r->dst, &dbind, sbytes ? &sbind : NULL)) ||
        (st = hv_cmd_end(cmd)) || (st = hv_cmd_submit(cmd, true))) {
        record_failure(r, st, "recording / running");
        goto done;
    }
    if ((st = hv_buffer_download(dev, &db, 0, host, total))) {
        record_failure(r, st, "reading back");
        goto done;
    }
    r->guards_ok = true;
    uint8_t pattern[4];
    memcpy(pattern, &(uint32_t){OPTEST_SENTINEL}, 4);
    for (uint64_t i = 0; i < total && r->guards_ok; i++)
        if ((i < OPTEST_GUARD || i >= OPTEST_GUARD + bytes) && host[i] != pattern[i & 3]) r->guards_ok = false;
    for (int64_t i = 0; i < r->n; i++) {
        const uint8_t *p = host + OPTEST_GUARD;
        if (r->dst.dtype == HV_F16) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            r->out[i] = hv_f16_to_f32(h);
        } else {
            memcpy(&r->out[i], p + 4 * i, 4);
        }
    }
done:
    hv_cmd_free(cmd);
    for (uint32_t i = 0; i < c->n_src; i++) hv_buffer_free(dev, &sb[i]);
    hv_buffer_free(dev, &db);
    hv_buffer_free(dev, &scratch);
    free(host);
    r->validation_msgs = hv_validation_message_count() - v0;
}

hv_status optest_run(const optest_case *c, hv_dtype dtype, bool ref_only, optest_result *r) {
    memset(r, 0, sizeof *r);
    hv_tensor_desc sd[HV_OP_MAX_SRC];
    float *data[HV_OP_MAX_SRC] = {0};
    for (uint32_t i = 0; i < c->n_src; i++) {
        sd[i] = c->src[i];
        if (!(c->keep_dtype & (1u << i))) sd[i].dtype = dtype;
    }
    hv_clear_error();
    hv_status st = c->op->infer(c->params, sd, c->n_src, &r->dst);
    if (st) {
        record_failure(r, st, "shape inference");
        return r->status;
    }
    r->n = hv_desc_numel(&r->dst);
    uint64_t seed = c->seed ? c->seed : fnv(fnv(1469598103934665603ull, c->label ? c->label : "", c->label ? strlen(c->label) : 0),
                                            sd, sizeof(hv_tensor_desc) * c->n_src);
    float lo = c->lo, hi = c->hi;
    if (lo == hi) lo = -1.0f, hi = 1.0f;
    for (uint32_t i = 0; i < c->n_src; i++) {
        int64_t n = hv_desc_numel(&sd[i]);
        data[i] = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
        if (!data[i]) {
            record_failure(r, HV_ERR_OUT_OF_MEMORY, "source data");
            goto done;
        }
        if (c->data[i]) memcpy(data[i], c->data[i], (size_t)n * sizeof(float));
        else hvtest_fill_uniform(data[i], (size_t)n, seed + 7919u * (i + 1), lo, hi);
        if (sd[i].dtype == HV_F16)
            for (int64_t k = 0; k < n; k++) data[i][k] = hv_f16_round(data[i][k]);
    }
    r->ref = calloc((size_t)(r->n > 0 ? r->n : 1), sizeof(float));
    r->out = calloc((size_t)(r->n > 0 ? r->n : 1), sizeof(float));
    if (!r->ref || !r->out) {
        record_failure(r, HV_ERR_OUT_OF_MEMORY, "output arrays");
        goto done;
    }
    if ((st = c->op->ref(c->params, sd, (const float *const *)data, c->n_src, &r->dst, r->ref))) {
        record_failure(r, st, "CPU reference");
        goto done;
    }
    if (!ref_only) {
        run_device(c, sd, data, r);
        if (!r->status) {
            r->nmse = hvtest_nmse(r->out, r->ref, (size_t)r->n);
            r->max_rel = hvtest_max_rel(r->out, r->ref, (size_t)r->n);
            r->nonfinite = hvtest_count_nonfinite(r->out, (size_t)r->n);
        }
    }
done:
    for (uint32_t i = 0; i < c->n_src; i++) free(data[i]);
    return r->status;
}

void optest_result_free(optest_result *r) {
    if (!r) return;
    free(r->ref);
    free(r->out);
    r->ref = r->out = NULL;
}

bool optest_check(const optest_case *c, hv_dtype dtype) {
    optest_result r;
    optest_run(c, dtype, false, &r);
    double thr = dtype == HV_F16 ? (c->max_nmse_f16 > 0 ? c->max_nmse_f16 : 1e-5)
                                 : (c->max_nmse_f32 > 0 ? c->max_nmse_f32 : 1e-9);
    hv_tensor_desc sd[HV_OP_MAX_SRC];
    for (uint32_t i = 0; i < c->n_src; i++) sd[i] = c->src[i];
    char shapes[512];
    shapes_str(c, sd, r.status ? NULL : &r.dst, shapes, sizeof shapes);
    const char *why = NULL;
    if (r.status) why = r.error;
    else if (!r.guards_ok) why = "guard region overwritten (out-of-bounds write)";
    else if (r.validation_msgs) why = "validation-layer messages";
    else if (r.nonfinite && !c->allow_nonfinite) why = "NaN/Inf in the output";
    else if (!(r.nmse <= thr) && !(c->allow_nonfinite && isnan(r.nmse))) why = "NMSE above threshold";
    fprintf(stderr, "optest %-12s %-4s %-28s %s  nmse %.3e (<= %.0e) max_rel %.3e  %s%s\n", c->op->name,
            hv_dtype_name(dtype), c->label ? c->label : "", shapes, r.nmse, thr, r.max_rel, why ? "FAIL: " : "ok",
            why ? why : "");
    optest_result_free(&r);
    return why == NULL;
}

bool optest_expect_shape_error(const optest_case *c, const char *needle) {
    hv_tensor_desc dst;
    memset(&dst, 0, sizeof dst);
    hv_clear_error();
    hv_status st = c->op->infer(c->params, c->src, c->n_src, &dst);
    const char *msg = hv_last_error();
    bool ok = (st == HV_ERR_SHAPE || st == HV_ERR_INVALID_ARGUMENT) && (!needle || strstr(msg, needle));
    fprintf(stderr, "optest %-12s shape error %s: \"%s\"\n", c->op->name, ok ? "ok" : "MISSING/WRONG", msg);
    return ok;
}

const char *optest_use_kernel_family(int i) {
    const char *name = i == 1 ? "cpu" : "gpu";
    setenv("HEMOVK_KERNELS", name, 1);
    if (i == 1) unsetenv("HEMOVK_GEMM_TILE");
    else setenv("HEMOVK_GEMM_TILE", i == OPTEST_FAMILY_GEMM_TILE32 ? "32" : "64", 1);
    setenv("HEMOVK_FP16_ARITH", i == OPTEST_FAMILY_FP16_ARITH ? "1" : "0", 1);
    if (i == OPTEST_FAMILY_FP16_ARITH) return "gpu-fp16a";
    return i == OPTEST_FAMILY_GEMM_TILE32 ? "gpu-tile32" : name;
}
