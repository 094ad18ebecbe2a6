/* oneDNN plumbing shared by the host kernels (dnnl_util.h). */
#ifdef HEMOVK_HAVE_DNNL
#include "cpu/dnnl_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/host.h"

static dnnl_engine_t g_engine;
static dnnl_status_t g_engine_status;
static pthread_once_t g_engine_once = PTHREAD_ONCE_INIT;

static void make_engine(void) {
    hv_host_apply_threads(); /* before oneDNN starts its pool */
    g_engine_status = dnnl_engine_create(&g_engine, dnnl_cpu, 0);
}

hv_status hv_dnnl_fail(dnnl_status_t s, const char *what) {
    const char *why = s == dnnl_out_of_memory ? "out of memory" : s == dnnl_invalid_arguments ? "invalid arguments"
                    : s == dnnl_unimplemented ? "no implementation for these shapes" : "failed";
    return hv_error(s == dnnl_out_of_memory ? HV_ERR_OUT_OF_MEMORY : HV_ERR_INTERNAL, "oneDNN %s: %s (status %d)", what,
                    why, (int)s);
}

dnnl_engine_t hv_dnnl_engine(void) {
    pthread_once(&g_engine_once, make_engine);
    if (g_engine_status != dnnl_success) {
        hv_dnnl_fail(g_engine_status, "creating the CPU engine");
        return NULL;
    }
    return g_engine;
}

dnnl_primitive_attr_t hv_dnnl_post_ops(hv_activation act, int residual, hv_status *st) {
    *st = HV_OK;
    if (act == HV_ACT_NONE && !residual) return NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_status_t s = dnnl_primitive_attr_create(&attr);
    if (s == dnnl_success) s = dnnl_post_ops_create(&po);
    if (s == dnnl_success && act != HV_ACT_NONE) {
        dnnl_alg_kind_t alg = act == HV_ACT_RELU ? dnnl_eltwise_relu : act == HV_ACT_SILU ? dnnl_eltwise_swish
                            : act == HV_ACT_GELU ? dnnl_eltwise_gelu_erf : dnnl_eltwise_logistic;
        /* swish: x·sigmoid(alpha·x) with alpha 1; relu: alpha is the negative slope, 0 */
        s = dnnl_post_ops_append_eltwise(po, 1.0f, alg, act == HV_ACT_SILU ? 1.0f : 0.0f, 0.0f);
    }
    /* the residual: y += the destination's previous content, which the kernel fills with it first */
    if (s == dnnl_success && residual) s = dnnl_post_ops_append_sum(po, 1.0f);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, po);
    if (po) dnnl_post_ops_destroy(po);
    if (s != dnnl_success) {
        if (attr) dnnl_primitive_attr_destroy(attr);
        *st = hv_dnnl_fail(s, "building post-ops");
        return NULL;
    }
    return attr;
}

hv_status hv_dnnl_execute(dnnl_primitive_t prim, int n, const dnnl_exec_arg_t *args, const char *what) {
    dnnl_engine_t eng = hv_dnnl_engine();
    if (!eng) return HV_ERR_INTERNAL;
    hv_host_apply_threads();
    /* a CPU stream is a small host object: one per execution keeps plans on different threads apart */
    dnnl_stream_t stream = NULL;
    dnnl_status_t s = dnnl_stream_create(&stream, eng, dnnl_stream_default_flags);
    if (s == dnnl_success) s = dnnl_primitive_execute(prim, stream, n, args);
    if (s == dnnl_success) s = dnnl_stream_wait(stream);
    if (stream) dnnl_stream_destroy(stream);
    return s == dnnl_success ? HV_OK : hv_dnnl_fail(s, what);
}

float *hv_dnnl_reorder_weights(const dnnl_memory_desc_t *user_md, const float *user, const dnnl_memory_desc_t *md,
                               hv_status *st) {
    *st = HV_OK;
    dnnl_engine_t eng = hv_dnnl_engine();
    if (!eng) {
        *st = HV_ERR_INTERNAL;
        return NULL;
    }
    size_t bytes = dnnl_memory_desc_get_size(md);
    float *out = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!out) {
        *st = hv_error(HV_ERR_OUT_OF_MEMORY, "host backend: no memory for %zu bytes of reordered weights", bytes);
        return NULL;
    }
    memset(out, 0, (bytes + 63) / 64 * 64);
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    dnnl_memory_t from = NULL, to = NULL;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&rpd, user_md, eng, md, eng, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&r, rpd);
    if (s == dnnl_success) s = dnnl_memory_create(&from, user_md, eng, (void *)user);
    if (s == dnnl_success) s = dnnl_memory_create(&to, md, eng, out);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
        *st = hv_dnnl_execute(r, 2, args, "reordering weights");
    } else {
        *st = hv_dnnl_fail(s, "preparing a weight reorder");
    }
    if (from) dnnl_memory_destroy(from);
    if (to) dnnl_memory_destroy(to);
    if (r) dnnl_primitive_destroy(r);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (*st) {
        free(out);
        return NULL;
    }
    return out;
}
static size_t align64(size_t v) { return (v + 63) / 64 * 64; }

/* A reorder primitive from `from` to `to`. */
static dnnl_status_t make_reorder(dnnl_engine_t eng, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
                                  dnnl_primitive_t *out) {
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_status_t rc = dnnl_reorder_primitive_desc_create(&rpd, from, eng, to, eng, NULL);
    if (rc == dnnl_success) rc = dnnl_primitive_create(out, rpd);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    return rc;
}

hv_status hv_dnnl_step_create(hv_dnnl_step *s, const_dnnl_op_desc_t op_desc, hv_activation act, int residual,
                              const dnnl_memory_desc_t *x_user, const dnnl_memory_desc_t *y_user,
                              const dnnl_memory_desc_t *w_user, const float *w, const dnnl_memory_desc_t *b_md,
                              const float *b, const char *what) {
    char msg[96];
    dnnl_engine_t eng = hv_dnnl_engine();
    if (!eng) return HV_ERR_INTERNAL;
    s->has_bias = b != NULL;
    s->dst_bytes = dnnl_memory_desc_get_size(y_user);
    hv_status st = HV_OK;
    dnnl_primitive_attr_t attr = hv_dnnl_post_ops(act, residual, &st);
    if (st) return st;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t rc = dnnl_primitive_desc_create(&pd, op_desc, attr, eng, NULL);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (rc != dnnl_success) {
        snprintf(msg, sizeof msg, "choosing a %s implementation", what);
        return hv_dnnl_fail(rc, msg);
    }
    const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *x_md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *y_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    if (!dnnl_memory_desc_equal(w_md, w_user)) {
        s->wei_buf = hv_dnnl_reorder_weights(w_user, w, w_md, &st);
        if (st) {
            dnnl_primitive_desc_destroy(pd);
            return st;
        }
        w = s->wei_buf;
    }
    int x_blocked = !dnnl_memory_desc_equal(x_md, x_user), y_blocked = !dnnl_memory_desc_equal(y_md, y_user);
    s->x_blk_bytes = x_blocked ? align64(dnnl_memory_desc_get_size(x_md)) : 0;
    s->y_blk_bytes = y_blocked ? align64(dnnl_memory_desc_get_size(y_md)) : 0;
    rc = dnnl_primitive_create(&s->prim, pd);
    if (rc == dnnl_success) rc = dnnl_stream_create(&s->stream, eng, dnnl_stream_default_flags);
    if (rc == dnnl_success) rc = dnnl_memory_create(&s->x_user, x_user, eng, DNNL_MEMORY_NONE);
    if (rc == dnnl_success) rc = dnnl_memory_create(&s->y_user, y_user, eng, DNNL_MEMORY_NONE);
    if (rc == dnnl_success) rc = dnnl_memory_create(&s->wei, w_md, eng, (void *)w);
    if (rc == dnnl_success && b) rc = dnnl_memory_create(&s->bias, b_md, eng, (void *)b);
    if (rc == dnnl_success && x_blocked) rc = dnnl_memory_create(&s->x_blk, x_md, eng, DNNL_MEMORY_NONE);
    if (rc == dnnl_success && x_blocked) rc = make_reorder(eng, x_user, x_md, &s->to_blocked);
    if (rc == dnnl_success && y_blocked) rc = dnnl_memory_create(&s->y_blk, y_md, eng, DNNL_MEMORY_NONE);
    if (rc == dnnl_success && y_blocked) rc = make_reorder(eng, y_md, y_user, &s->from_blocked);
    if (rc == dnnl_success && y_blocked && residual) rc = dnnl_memory_create(&s->res_user, y_user, eng, DNNL_MEMORY_NONE);
    if (rc == dnnl_success && y_blocked && residual) rc = make_reorder(eng, y_user, y_md, &s->residual_to_blocked);
    dnnl_primitive_desc_destroy(pd);
    if (rc != dnnl_success) {
        snprintf(msg, sizeof msg, "creating a %s primitive", what);
        return hv_dnnl_fail(rc, msg);
    }
    return HV_OK;
}

size_t hv_dnnl_step_scratch(const hv_dnnl_step *s) { return s->x_blk_bytes + s->y_blk_bytes; }

static hv_status exec_reorder(hv_dnnl_step *s, dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to, const char *what) {
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    dnnl_status_t rc = dnnl_primitive_execute(r, s->stream, 2, args);
    return rc == dnnl_success ? HV_OK : hv_dnnl_fail(rc, what);
}

hv_status hv_dnnl_step_run(hv_dnnl_step *s, const float *x, const float *residual, float *y, void *scratch,
                           const char *what) {
    hv_host_apply_threads();
    /* the primitive reads x_blk / writes y_blk (in the scratch) when it works in a blocked layout */
    dnnl_memory_t src = s->x_blk ? s->x_blk : s->x_user, dst = s->y_blk ? s->y_blk : s->y_user;
    dnnl_status_t rc = dnnl_memory_set_data_handle(s->x_user, (void *)x);
    if (rc == dnnl_success) rc = dnnl_memory_set_data_handle(s->y_user, y);
    if (rc == dnnl_success && s->x_blk) rc = dnnl_memory_set_data_handle(s->x_blk, scratch);
    if (rc == dnnl_success && s->y_blk) rc = dnnl_memory_set_data_handle(s->y_blk, (char *)scratch + s->x_blk_bytes);
    if (rc == dnnl_success && residual && s->res_user) rc = dnnl_memory_set_data_handle(s->res_user, (void *)residual);
    if (rc != dnnl_success) return hv_dnnl_fail(rc, what);
    hv_status st = HV_OK;
    if (s->to_blocked) st = exec_reorder(s, s->to_blocked, s->x_user, s->x_blk, what);
    /* the sum post-op adds the destination's content: the residual, in the destination's layout */
    if (!st && residual) {
        if (s->residual_to_blocked) st = exec_reorder(s, s->residual_to_blocked, s->res_user, s->y_blk, what);
        else memcpy(y, residual, s->dst_bytes);
    }
    if (!st) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s->wei}, {DNNL_ARG_DST, dst},
                                   {DNNL_ARG_BIAS, s->bias}};
        rc = dnnl_primitive_execute(s->prim, s->stream, s->has_bias ? 4 : 3, args);
        if (rc != dnnl_success) st = hv_dnnl_fail(rc, what);
    }
    if (!st && s->from_blocked) st = exec_reorder(s, s->from_blocked, s->y_blk, s->y_user, what);
    rc = dnnl_stream_wait(s->stream);
    if (!st && rc != dnnl_success) st = hv_dnnl_fail(rc, what);
    return st;
}

void hv_dnnl_step_destroy(hv_dnnl_step *s) {
    dnnl_primitive_t prims[4] = {s->prim, s->to_blocked, s->from_blocked, s->residual_to_blocked};
    for (int i = 0; i < 4; i++)
        if (prims[i]) dnnl_primitive_destroy(prims[i]);
    dnnl_memory_t mems[7] = {s->x_user, s->x_blk, s->y_user, s->y_blk, s->res_user, s->wei, s->bias};
    for (int i = 0; i < 7; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    if (s->stream) dnnl_stream_destroy(s->stream);
    free(s->wei_buf);
    memset(s, 0, sizeof *s);
}
#else
typedef int hv_dnnl_util_unused; /* built without oneDNN: the host backend runs reference ops */
#endif
