/* Custom ops (hemovk/custom_op.h): a registry of operators plugins add at run time.
 *
 * Each registered op gets an hv_op_def of its own (its name shows in profiles and messages) whose hooks
 * are trampolines into the plugin's functions. A node's params are a small header pointing at the op's
 * registry entry followed by the plugin's params: the op interface passes params, not the op, so this is
 * how a trampoline finds the plugin's functions. The SPIR-V goes into the shader registry as
 * "custom:<name>_f32" / "_f16" and is dispatched like any built-in shader: sources at bindings
 * 0..n-1, the output at n, the plugin's params as push constants. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_internal.h"
#include "hemovk/custom_op.h"
#include "ops/opsdcn_util.h"
#include "vulkan/shaders.h"

/* The header before the plugin's params in a node (16 bytes keeps the plugin's struct aligned). */
#define CUSTOM_HEADER 16

typedef struct custom_entry {
    hv_op_def def;             /* what nodes point at */
    hv_custom_op op;           /* the plugin's descriptor (copied) */
    char name[128];
    char shader[2][160];       /* registered shader names, "" when none (f32, f16) */
    struct custom_entry *next;
} custom_entry;

static custom_entry *g_ops;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const custom_entry *entry_of(const void *params) { return *(const custom_entry *const *)params; }
static const void *user_params(const void *params) { return (const char *)params + CUSTOM_HEADER; }

static hv_status custom_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const custom_entry *e = entry_of(params);
    memset(dst, 0, sizeof *dst);
    dst->dtype = src[0].dtype;
    dst->layout = src[0].layout;
    hv_status st = e->op.infer(user_params(params), src, n_src, dst);
    if (st) return st;
    if (dst->rank < 1 || dst->rank > HV_MAX_DIMS || (dst->dtype != HV_F32 && dst->dtype != HV_F16))
        return hv_error(HV_ERR_INTERNAL, "custom op '%s': its infer() gave an output of rank %u and dtype %d (need rank "
                        "1..%d, f32 or f16)", e->name, dst->rank, (int)dst->dtype, HV_MAX_DIMS);
    for (uint32_t i = 0; i < dst->rank; i++)
        if (dst->dims[i] < 1)
            return hv_error(HV_ERR_INTERNAL, "custom op '%s': its infer() gave dim %u = %lld", e->name, i,
                            (long long)dst->dims[i]);
    return HV_OK;
}

static hv_status custom_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                            const hv_tensor_desc *dst, float *dst_data) {
    const custom_entry *e = entry_of(params);
    hv_status st = e->op.cpu(user_params(params), src, src_data, n_src, dst, dst_data);
    return st ? hv_error_context(st, "custom op '%s' (its CPU implementation)", e->name) : HV_OK;
}

static hv_status custom_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                               const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                               const hv_binding *dst_bind, const hv_binding *scratch) {
    (void)src, (void)scratch;
    const custom_entry *e = entry_of(params);
    int f16 = dst->dtype == HV_F16;
    if (!e->shader[f16][0])
        return hv_error(HV_ERR_UNSUPPORTED, "custom op '%s' has no %s SPIR-V, so it cannot run on a Vulkan device: run "
                        "this pipeline with --device cpu%s", e->name, f16 ? "f16" : "f32",
                        f16 && e->shader[0][0] ? ", or at f32 precision" : "");
    hv_binding b[HV_CUSTOM_OP_MAX_SRC + 1];
    for (uint32_t i = 0; i < n_src; i++) b[i] = src_bind[i];
    b[n_src] = *dst_bind;
    uint32_t gx = 0, gy = 0;
    e->op.workgroups(user_params(params), dst, &gx, &gy);
    if (gx < 1 || gy < 1 || gx > 65535 || gy > 65535)
        return hv_error(HV_ERR_INTERNAL, "custom op '%s': workgroups() gave %u x %u (each must be 1..65535)", e->name, gx,
                        gy);
    char stem[160];
    snprintf(stem, sizeof stem, "custom:%s", e->name);
    return opsdcn_dispatch(cmd, dev, stem, dst->dtype, b, n_src + 1, user_params(params), (uint32_t)e->op.param_size,
                           gx, gy, e->name);
}

static int name_ok(const char *n) {
    size_t len = n ? strlen(n) : 0;
    if (len < 3 || len > 100 || !strchr(n, '.')) return 0;
    for (const char *c = n; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-') return 0;
    return 1;
}

static custom_entry *find_locked(const char *name) {
    for (custom_entry *e = g_ops; e; e = e->next)
        if (!strcmp(e->name, name)) return e;
    return NULL;
}

hv_status hv_custom_op_register(const hv_custom_op *op) {
    if (!op) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_custom_op_register: NULL op");
    if (op->struct_size < offsetof(hv_custom_op, workgroups) + sizeof op->workgroups)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "custom op: struct_size %u is smaller than this hemovk's hv_custom_op "
                        "(%zu): set .struct_size = sizeof(hv_custom_op)", op->struct_size, sizeof(hv_custom_op));
    const char *n = op->name ? op->name : "";
    if (!name_ok(n))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "custom op name '%s': use 'vendor.op' (3 to 100 letters, digits, '.', "
                        "'_' or '-', with at least one '.', so it cannot shadow a built-in op)", n);
    if (!op->infer || !op->cpu)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "custom op '%s': infer and cpu are required", n);
    if (op->min_src < 1 || op->max_src < op->min_src || op->max_src > HV_CUSTOM_OP_MAX_SRC)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "custom op '%s': %u..%u sources (need 1 <= min <= max <= %d)", n,
                        op->min_src, op->max_src, HV_CUSTOM_OP_MAX_SRC);
    int has_spirv = (op->spirv_f32 && op->spirv_f32_bytes) || (op->spirv_f16 && op->spirv_f16_bytes);
    if (has_spirv && (!op->workgroups || op->param_size % 4 || op->param_size > 128))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "custom op '%s': with SPIR-V it needs workgroups() and params that fit "
                        "push constants (a multiple of 4 bytes, at most 128; it has %zu)", n, op->param_size);
    if (op->param_size > 4096)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "custom op '%s': params of %zu bytes (at most 4096)", n, op->param_size);
    custom_entry *e = calloc(1, sizeof *e);
    if (!e) return hv_error(HV_ERR_OUT_OF_MEMORY, "custom op '%s': out of memory", n);
    snprintf(e->name, sizeof e->name, "%s", n);
    e->op = *op;
    e->op.name = e->name;
    e->def = (hv_op_def){.name = e->name, .param_size = CUSTOM_HEADER + op->param_size, .min_src = op->min_src,
                         .max_src = op->max_src, .infer = custom_infer, .ref = custom_ref, .record = custom_record};
    pthread_mutex_lock(&g_lock);
    hv_status st = HV_OK;
    if (find_locked(n)) st = hv_error(HV_ERR_INVALID_ARGUMENT, "custom op '%s' is already registered", n);
    const uint32_t *code[2] = {op->spirv_f32, op->spirv_f16};
    size_t bytes[2] = {op->spirv_f32_bytes, op->spirv_f16_bytes};
    for (int k = 0; k < 2 && !st; k++) {
        if (!code[k] || !bytes[k]) continue;
        if (bytes[k] < 20 || code[k][0] != 0x07230203u) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT, "custom op '%s': its %s SPIR-V does not start with the SPIR-V magic "
                          "number (compile the shader with glslangValidator -V)", n, k ? "f16" : "f32");
            break;
        }
        snprintf(e->shader[k], sizeof e->shader[k], "custom:%s_%s", n, k ? "f16" : "f32");
        st = hv_shader_register(e->shader[k], code[k], bytes[k]);
        if (st) e->shader[k][0] = 0;
    }
    if (st) {
        for (int k = 0; k < 2; k++)
            if (e->shader[k][0]) hv_shader_unregister(e->shader[k]);
        pthread_mutex_unlock(&g_lock);
        free(e);
        return st;
    }
    e->op.spirv_f32 = e->op.spirv_f16 = NULL; /* the shader registry holds the copies */
    e->next = g_ops;
    g_ops = e;
    pthread_mutex_unlock(&g_lock);
    return HV_OK;
}

hv_status hv_custom_op_unregister(const char *name) {
    pthread_mutex_lock(&g_lock);
    for (custom_entry **pp = &g_ops; *pp; pp = &(*pp)->next)
        if (name && !strcmp((*pp)->name, name)) {
            custom_entry *e = *pp;
            *pp = e->next;
            pthread_mutex_unlock(&g_lock);
            for (int k = 0; k < 2; k++)
                if (e->shader[k][0]) hv_shader_unregister(e->shader[k]);
            free(e);
            return HV_OK;
        }
    pthread_mutex_unlock(&g_lock);
    return hv_error(HV_ERR_NOT_FOUND, "no custom op named '%s' is registered", name ? name : "");
}

hv_tensor *hv_custom(hv_graph *g, const char *op_name, hv_tensor *const *src, uint32_t n_src, const void *params,
                     const char *name) {
    if (!g || g->status) return NULL;
    pthread_mutex_lock(&g_lock);
    custom_entry *e = op_name ? find_locked(op_name) : NULL;
    char known[1024] = "";
    size_t off = 0;
    for (custom_entry *k = g_ops; !e && k && off + 2 < sizeof known; k = k->next)
        off += (size_t)snprintf(known + off, sizeof known - off, "%s'%s'", off ? ", " : "", k->name);
    pthread_mutex_unlock(&g_lock);
    if (!e)
        return hv_graph_fail(g, HV_ERR_NOT_FOUND, "node '%s': no custom op named '%s' is registered (registered: %s); "
                             "is the plugin that provides it loaded?", name ? name : "", op_name ? op_name : "",
                             known[0] ? known : "none");
    if (e->op.param_size && !params)
        return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "custom op '%s' node '%s': params are required (%zu bytes)",
                             e->name, name ? name : "", e->op.param_size);
    unsigned char *p = calloc(1, e->def.param_size);
    if (!p) return hv_graph_fail(g, HV_ERR_OUT_OF_MEMORY, "out of memory");
    *(const custom_entry **)p = e;
    if (e->op.param_size) memcpy(p + CUSTOM_HEADER, params, e->op.param_size);
    hv_tensor *t = hv_graph_add_op(g, &e->def, p, src, n_src, name);
    free(p);
    return t;
}
