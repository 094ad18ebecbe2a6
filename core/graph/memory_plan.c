/* Arena layout with aliasing: values whose lifetimes do not overlap share memory.
 *
 * Greedy by size (largest first), each placed at the lowest aligned offset that does not collide with
 * an already placed value whose lifetime overlaps — the heuristic TFLite's arena planner uses. It is
 * O(n²) in the number of values, which is fine for the few thousand nodes of a detector. */
#include "graph/plan_internal.h"

#include <stdlib.h>

typedef struct region {
    int32_t start, end;   /* level range, inclusive */
    uint64_t bytes;
    uint64_t offset;
    uint64_t *target;     /* where to store the offset */
} region;

static int by_size_desc(const void *a, const void *b) {
    const region *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return x->start - y->start;
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

hv_status plan_assign_memory(hv_plan *p, uint64_t alignment) {
    if (alignment < 16) alignment = 16;
    uint32_t cap = p->n_values + p->n_steps;
    region *r = calloc(cap ? cap : 1, sizeof *r);
    region **placed = calloc(cap ? cap : 1, sizeof *placed);
    if (!r || !placed) {
        free(r);
        free(placed);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "memory plan: out of memory");
    }
    uint32_t n = 0;
    p->unaliased_bytes = 0;
    for (uint32_t i = 0; i < p->n_values; i++) {
        plan_value *v = &p->values[i];
        hv_tensor *t = p->g->nodes[i];
        if (!v->needed || t->kind == HV_NODE_WEIGHT || plan_resolve(p, i) != i) continue;
        if (t->kind == HV_NODE_OP && v->def < 0) continue; /* not computed (fused away) */
        r[n].start = t->kind == HV_NODE_INPUT ? 0 : v->def;
        r[n].end = v->last_use < r[n].start ? r[n].start : v->last_use;
        r[n].bytes = align_up(v->bytes, alignment);
        r[n].target = &v->offset;
        p->unaliased_bytes += v->bytes;
        n++;
    }
    for (uint32_t s = 0; s < p->n_steps; s++) {
        if (!p->steps[s].scratch_bytes) continue;
        r[n].start = r[n].end = (int32_t)p->steps[s].level;
        r[n].bytes = align_up(p->steps[s].scratch_bytes, alignment);
        r[n].target = &p->steps[s].scratch_offset;
        p->unaliased_bytes += p->steps[s].scratch_bytes;
        n++;
    }
    qsort(r, n, sizeof *r, by_size_desc);
    uint64_t top = 0;
    uint32_t n_placed = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t off = 0;
        /* Retry until a pass finds no collision: each collision pushes the candidate past it. */
        for (int moved = 1; moved;) {
            moved = 0;
            for (uint32_t k = 0; k < n_placed; k++) {
                region *q = placed[k];
                if (q->end < r[i].start || r[i].end < q->start) continue; /* lifetimes disjoint */
                if (off + r[i].bytes <= q->offset || q->offset + q->bytes <= off) continue;
                off = align_up(q->offset + q->bytes, alignment);
                moved = 1;
            }
        }
        r[i].offset = off;
        *r[i].target = off;
        placed[n_placed++] = &r[i];
        if (off + r[i].bytes > top) top = off + r[i].bytes;
    }
    p->arena_bytes = top;
    if (p->opts.no_aliasing) { /* debugging: everything side by side */
        uint64_t off = 0;
        for (uint32_t i = 0; i < n; i++) {
            *r[i].target = off;
            off += r[i].bytes;
        }
        p->arena_bytes = off;
    }
    free(r);
    free(placed);
    return HV_OK;
}
