/* The Vulkan backend (backend.h): weights uploaded once, one arena for every intermediate, ONE recording with
 * every dispatch, replayed per run with a single fence wait.
 *
 * Barriers are placed only where needed: before a step that reads a region written since the last
 * barrier (read after write), or that writes a region read or written since then (write after read,
 * which aliasing makes common). Independent steps between barriers may run concurrently on the GPU. */
#include "graph/plan_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct span {
    uint64_t lo, hi;
} span;

typedef struct hazard_set {
    span *read, *written;
    uint32_t n_read, n_written, cap;
} hazard_set;

static int overlaps(const span *set, uint32_t n, uint64_t lo, uint64_t hi) {
    for (uint32_t i = 0; i < n; i++)
        if (lo < set[i].hi && set[i].lo < hi) return 1;
    return 0;
}

static uint64_t wbytes(const hv_tensor *t) {
    return ((uint64_t)hv_desc_bytes(&t->desc) + 15) & ~(uint64_t)15;
}

static hv_binding bind_value(const hv_plan *p, uint32_t v) {
    hv_binding b;
    const hv_tensor *t = p->g->nodes[v];
    b.buf = t->kind == HV_NODE_WEIGHT ? &p->weights : &p->arena;
    b.offset = p->values[v].offset;
    b.range = wbytes(t);
    return b;
}

/* Bytes of host staging filled before each blocking upload: weights go up in a few large copies
 * rather than one submission per tensor (a detector has hundreds of weights). */
#define WEIGHT_CHUNK ((uint64_t)64 << 20)

/* 128-bit fingerprint of the weight block as the device would hold it: every needed weight's offset,
 * dtype, element count and f32 values (f16 weights are rounded from those the same way every time). Two
 * multiplicative hashes with independent constants over 32-bit words; only blocks of the same size on one
 * device are compared, so two different weight sets would have to collide in 128 bits. */
static void weights_fingerprint(const hv_plan *p, uint64_t key[2]) {
    uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x6a09e667f3bcc909ull;
#define MIX(word)                                                                                     \
    do {                                                                                              \
        uint64_t w_ = (word);                                                                         \
        h1 = (h1 ^ w_) * 0x100000001b3ull;                                                            \
        h2 = (h2 + w_) * 0x9e3779b97f4a7c15ull;                                                       \
        h2 ^= h2 >> 29;                                                                               \
    } while (0)
    for (uint32_t i = 0; i < p->n_values; i++) {
        const hv_tensor *t = p->g->nodes[i];
        if (t->kind != HV_NODE_WEIGHT || !p->values[i].needed) continue;
        size_t n = (size_t)hv_desc_numel(&t->desc);
        MIX(p->values[i].offset);
        MIX((uint64_t)t->desc.dtype << 48 ^ (uint64_t)n);
        for (size_t k = 0; k < n; k++) {
            uint32_t bits;
            memcpy(&bits, &t->data[k], sizeof bits);
            MIX(bits);
        }
    }
#undef MIX
    key[0] = h1;
    key[1] = h2;
}

/* HEMOVK_SHARE_WEIGHTS=0: every plan uploads its own weights (for comparisons and debugging). */
static bool share_weights(void) {
    const char *env = getenv("HEMOVK_SHARE_WEIGHTS");
    return !(env && !strcmp(env, "0"));
}

static hv_status upload_weights(hv_plan *p, uint64_t align) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < p->n_values; i++) {
        hv_tensor *t = p->g->nodes[i];
        if (t->kind != HV_NODE_WEIGHT || !p->values[i].needed) continue;
        total = (total + align - 1) / align * align;
        p->values[i].offset = total;
        total += wbytes(t);
    }
    p->weight_bytes = total;
    if (!total) return HV_OK;
    /* the same weights already on the device for another plan (another size, bucket or TTA group of the
     * same model): borrow that block (runtime.h, shared weight blocks) */
    uint64_t key[2];
    bool share = share_weights();
    if (share) {
        weights_fingerprint(p, key);
        if (hv_weight_block_acquire(p->dev, key, total, &p->weights)) return HV_OK;
    }
    hv_status st = hv_buffer_alloc(p->dev, HV_MEM_DEVICE, total, &p->weights);
    if (st) return hv_error_context(st, "uploading %.1f MiB of weights", total / 1048576.0);
    uint64_t cap = total < WEIGHT_CHUNK ? total : WEIGHT_CHUNK;
    uint8_t *host = calloc(1, cap);
    if (!host) return hv_error(HV_ERR_OUT_OF_MEMORY, "weights: no host staging of %.1f MiB", cap / 1048576.0);
    uint64_t base = 0, used = 0; /* host[0..used) holds device bytes [base, base + used) */
    for (uint32_t i = 0; i < p->n_values && !st; i++) {
        hv_tensor *t = p->g->nodes[i];
        if (t->kind != HV_NODE_WEIGHT || !p->values[i].needed) continue;
        uint64_t off = p->values[i].offset, bytes = (uint64_t)hv_desc_bytes(&t->desc);
        size_t n = (size_t)hv_desc_numel(&t->desc);
        if (bytes > cap) { /* a weight larger than the chunk: its own upload */
            if (used && (st = hv_buffer_upload(p->dev, &p->weights, base, host, used))) break;
            used = 0;
            uint8_t *big = malloc(bytes);
            if (!big) {
                st = hv_error(HV_ERR_OUT_OF_MEMORY, "weight '%s': out of host memory", t->name);
                break;
            }
            for (size_t k = 0; k < n; k++)
                if (t->desc.dtype == HV_F16) ((uint16_t *)big)[k] = hv_f32_to_f16_sat(t->data[k]);
            if (t->desc.dtype != HV_F16) memcpy(big, t->data, bytes);
            st = hv_buffer_upload(p->dev, &p->weights, off, big, bytes);
            free(big);
            continue;
        }
        if (used && off + bytes - base > cap) { /* flush what is staged */
            if ((st = hv_buffer_upload(p->dev, &p->weights, base, host, used))) break;
            used = 0;
        }
        if (!used) base = off;
        uint8_t *dst = host + (off - base);
        if (t->desc.dtype == HV_F16)
            for (size_t k = 0; k < n; k++) ((uint16_t *)dst)[k] = hv_f32_to_f16_sat(t->data[k]);
        else
            memcpy(dst, t->data, bytes);
        used = off + bytes - base;
    }
    if (!st && used) st = hv_buffer_upload(p->dev, &p->weights, base, host, used);
    free(host);
    if (st) return hv_error_context(st, "uploading %.1f MiB of weights", total / 1048576.0);
    if (share) hv_weight_block_publish(p->dev, key, &p->weights);
    return HV_OK;
}

/* Copy-in: host inputs from their staging buffers; linked inputs (hv_plan_link_input) device-to-device from
 * the source plan's memory, after a barrier that orders them behind the source's earlier submission. */
static hv_status record_inputs(hv_plan *p) {
    hv_status st = HV_OK;
    for (uint32_t i = 0; i < p->n_inputs; i++)
        if (p->link_src[i]) {
            hv_cmd_barrier(p->cmd);
            break;
        }
    for (uint32_t i = 0; i < p->n_inputs && !st; i++) {
        uint32_t v = p->inputs[i];
        hv_plan *src = p->link_src[i];
        if (src) {
            hv_binding b = bind_value(src, plan_resolve(src, src->outputs[p->link_out[i]]));
            st = hv_cmd_copy(p->cmd, b.buf, b.offset, &p->arena, p->values[v].offset, p->in_stage[i].size);
        } else {
            st = hv_cmd_copy(p->cmd, &p->in_stage[i], 0, &p->arena, p->values[v].offset, p->in_stage[i].size);
        }
    }
    return st;
}

static hv_status record(hv_plan *p) {
    hv_status st = hv_cmd_begin(p->dev, &p->cmd);
    if (st) return st;
    p->barriers = 0;
    if ((st = record_inputs(p))) return st;
    hv_cmd_barrier(p->cmd);
    hazard_set hz = {0};
    hz.cap = 4 * (HV_OP_MAX_SRC + 2) * (p->n_steps + 1);
    hz.read = malloc(hz.cap * sizeof(span));
    hz.written = malloc(hz.cap * sizeof(span));
    if (!hz.read || !hz.written) {
        free(hz.read);
        free(hz.written);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "recording: out of memory");
    }
    p->dispatches = 0;
    for (uint32_t s = 0; s < p->n_steps && !st; s++) {
        plan_step *ps = &p->steps[s];
        hv_tensor *t = ps->node;
        hv_tensor_desc sd[HV_OP_MAX_SRC];
        hv_binding sb[HV_OP_MAX_SRC];
        int need_barrier = 0;
        for (uint32_t k = 0; k < ps->n_src; k++) {
            sd[k] = p->g->nodes[ps->src[k]]->desc;
            sb[k] = bind_value(p, ps->src[k]);
            if (sb[k].buf == &p->arena && overlaps(hz.written, hz.n_written, sb[k].offset, sb[k].offset + sb[k].range))
                need_barrier = 1;
        }
        hv_binding db = bind_value(p, t->id);
        hv_binding scratch = {&p->arena, ps->scratch_offset, ps->scratch_bytes};
        uint64_t wlo[2] = {db.offset, scratch.offset}, whi[2] = {db.offset + db.range, scratch.offset + scratch.range};
        for (int k = 0; k < (ps->scratch_bytes ? 2 : 1); k++)
            if (overlaps(hz.read, hz.n_read, wlo[k], whi[k]) || overlaps(hz.written, hz.n_written, wlo[k], whi[k]))
                need_barrier = 1;
        if (need_barrier) {
            hv_cmd_barrier(p->cmd);
            p->barriers++;
            hz.n_read = hz.n_written = 0;
        }
        for (uint32_t k = 0; k < ps->n_src; k++)
            if (sb[k].buf == &p->arena) hz.read[hz.n_read++] = (span){sb[k].offset, sb[k].offset + sb[k].range};
        for (int k = 0; k < (ps->scratch_bytes ? 2 : 1); k++) hz.written[hz.n_written++] = (span){wlo[k], whi[k]};
        st = ps->op->record(p->cmd, p->dev, ps->params, sd, sb, ps->n_src, &t->desc, &db,
                            ps->scratch_bytes ? &scratch : NULL);
        if (st) {
            char b[96];
            hv_error_context(st, "recording %s '%s' (output %s %s)", ps->op->name, t->name,
                             hv_desc_str(&t->desc, b, sizeof b), hv_dtype_name(t->desc.dtype));
        }
        p->dispatches++;
    }
    free(hz.read);
    free(hz.written);
    if (st) return st;
    hv_cmd_barrier(p->cmd);
    for (uint32_t o = 0; o < p->n_outputs && !st; o++) {
        if (p->out_device_only[o]) continue; /* read by linked plans only: no device→host copy */
        uint32_t v = plan_resolve(p, p->outputs[o]);
        hv_binding b = bind_value(p, v);
        if (b.buf == &p->weights) st = hv_cmd_copy(p->cmd, &p->weights, b.offset, &p->out_stage[o], 0, p->out_stage[o].size);
        else st = hv_cmd_copy(p->cmd, &p->arena, b.offset, &p->out_stage[o], 0, p->out_stage[o].size);
    }
    if (st) return st;
    return hv_cmd_end(p->cmd);
}

/* record() with per-dispatch timestamps when this plan profiles (the device flag is per recording). */
static hv_status record_profiled(hv_plan *p) {
    if (p->opts.profile) hv_device_set_profiling(p->dev, true);
    hv_status st = record(p);
    if (p->opts.profile) {
        const char *env = getenv("HEMOVK_PROFILE");
        if (!env || !strcmp(env, "0")) hv_device_set_profiling(p->dev, false);
    }
    return st;
}

static hv_status vk_prepare(hv_plan *p) {
    const hv_device_info *info = hv_device_get_info(p->dev);
    uint64_t align = info->min_storage_buffer_offset_alignment;
    if (align < 16) align = 16;
    hv_status st = plan_assign_memory(p, align);
    if (st) return st;
    for (uint32_t i = 0; i < p->n_values; i++) {
        const hv_tensor *t = p->g->nodes[i];
        if (p->values[i].needed && (uint64_t)hv_desc_bytes(&t->desc) > info->max_storage_buffer_range) {
            char b[96];
            return hv_error(HV_ERR_UNSUPPORTED,
                            "tensor '%s' %s %s is %.1f MiB, past this device's %.0f MiB storage-buffer range: use a "
                            "smaller batch or f16",
                            t->name, hv_desc_str(&t->desc, b, sizeof b), hv_dtype_name(t->desc.dtype),
                            hv_desc_bytes(&t->desc) / 1048576.0, info->max_storage_buffer_range / 1048576.0);
        }
    }
    if ((st = upload_weights(p, align))) return st;
    st = hv_buffer_alloc(p->dev, HV_MEM_DEVICE, p->arena_bytes ? p->arena_bytes : 16, &p->arena);
    if (st) return hv_error_context(st, "activation arena of %.1f MiB (the plan's peak)", p->arena_bytes / 1048576.0);
    p->in_stage = calloc(p->n_inputs ? p->n_inputs : 1, sizeof *p->in_stage);
    p->out_stage = calloc(p->n_outputs ? p->n_outputs : 1, sizeof *p->out_stage);
    if (!p->in_stage || !p->out_stage) return hv_error(HV_ERR_OUT_OF_MEMORY, "plan: out of memory");
    for (uint32_t i = 0; i < p->n_inputs && !st; i++)
        st = hv_buffer_alloc(p->dev, HV_MEM_UPLOAD, wbytes(p->g->nodes[p->inputs[i]]), &p->in_stage[i]);
    for (uint32_t o = 0; o < p->n_outputs && !st; o++)
        st = hv_buffer_alloc(p->dev, HV_MEM_READBACK, wbytes(p->g->nodes[p->outputs[o]]), &p->out_stage[o]);
    if (st) return st;
    return record_profiled(p);
}

static hv_status vk_relink(hv_plan *p) {
    hv_cmd_free(p->cmd);
    p->cmd = NULL;
    return record_profiled(p);
}

static int by_time_desc(const void *a, const void *b) {
    const hv_op_time *x = a, *y = b;
    return x->ns < y->ns ? 1 : (x->ns > y->ns ? -1 : 0);
}

static void collect_profile(hv_plan *p) {
    const hv_dispatch_time *t;
    uint32_t n = hv_cmd_timings(p->cmd, &t);
    if (!n) return;
    free(p->prof);
    p->prof = calloc(n, sizeof *p->prof);
    p->n_prof = 0;
    if (!p->prof) return;
    double total = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *label = t[i].label ? t[i].label : "?";
        uint32_t k = 0;
        while (k < p->n_prof && strcmp(p->prof[k].op, label)) k++;
        if (k == p->n_prof) p->prof[p->n_prof++].op = label;
        p->prof[k].count++;
        p->prof[k].ns += t[i].ns;
        total += t[i].ns;
    }
    qsort(p->prof, p->n_prof, sizeof *p->prof, by_time_desc);
    if (p->opts.profile) {
        fprintf(stderr, "hemovk profile: %u dispatches, %.3f ms GPU time\n  %-24s %6s %10s %6s\n", n, total / 1e6, "op",
                "count", "ms", "%");
        for (uint32_t k = 0; k < p->n_prof; k++)
            fprintf(stderr, "  %-24s %6u %10.3f %5.1f%%\n", p->prof[k].op, p->prof[k].count, p->prof[k].ns / 1e6,
                    total > 0 ? 100.0 * p->prof[k].ns / total : 0.0);
    }
}

static hv_status vk_run(hv_plan *p) {
    hv_vk_count_transfer(p->dev, HV_VK_SUBMIT, 0);
    hv_status st = hv_cmd_submit(p->cmd, true);
    if (st) return hv_error_context(st, "running the plan");
    if (p->opts.profile) collect_profile(p);
    return HV_OK;
}

static void vk_free(hv_plan *p) {
    hv_cmd_free(p->cmd);
    p->cmd = NULL;
    if (p->in_stage)
        for (uint32_t i = 0; i < p->n_inputs; i++) hv_buffer_free(p->dev, &p->in_stage[i]);
    if (p->out_stage)
        for (uint32_t o = 0; o < p->n_outputs; o++) hv_buffer_free(p->dev, &p->out_stage[o]);
    free(p->in_stage);
    free(p->out_stage);
    hv_buffer_free(p->dev, &p->arena);
    hv_weight_block_release(p->dev, &p->weights);
}

static uint64_t stored_bytes(const hv_plan *p, uint32_t v) {
    const hv_tensor_desc *d = &p->g->nodes[v]->desc;
    return (uint64_t)hv_desc_numel(d) * (d->dtype == HV_F16 ? 2u : 4u);
}

static void *vk_input_slot(hv_plan *p, uint32_t i, hv_dtype *stored_as) {
    *stored_as = p->g->nodes[p->inputs[i]]->desc.dtype;
    hv_vk_count_transfer(p->dev, HV_VK_UPLOAD, stored_bytes(p, p->inputs[i]));
    return p->in_stage[i].mapped;
}

static const void *vk_output_slot(hv_plan *p, uint32_t o, hv_dtype *stored_as) {
    *stored_as = p->g->nodes[p->outputs[o]]->desc.dtype;
    hv_vk_count_transfer(p->dev, HV_VK_DOWNLOAD, stored_bytes(p, p->outputs[o]));
    return p->out_stage[o].mapped;
}

const plan_backend plan_backend_vulkan = {
    .name = "vulkan",
    .prepare = vk_prepare,
    .input_slot = vk_input_slot,
    .run = vk_run,
    .output_slot = vk_output_slot,
    .relink = vk_relink,
    .free = vk_free,
};
