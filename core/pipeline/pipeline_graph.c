/* The stage graph: `inputs` edges (default: the stage listed before), unique ids, a run order that
 * respects every edge (ties broken by list order, so a plain list runs as written), cycles reported
 * with the stages on them, and `when` conditions that may only name a stage that runs before. */
#include "pipeline/pipeline_internal.h"

#include "hemovk/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const hv_config_node *loc_of(const pl_node *n, const char *key) {
    const hv_config_node *k = hv_config_get(n->node, key);
    return k ? k : n->node;
}

static hv_status find_stage(const hv_pipeline *p, const char *id, size_t *out) {
    for (size_t i = 0; i < p->n_stages; i++)
        if (!strcmp(p->stages[i].id, id)) {
            *out = i;
            return HV_OK;
        }
    return HV_ERR_NOT_FOUND;
}

static hv_status list_ids(const hv_pipeline *p, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n_stages && len + 1 < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", p->stages[i].id);
    return HV_OK;
}

static hv_status resolve_inputs(hv_pipeline *p) {
    for (size_t i = 0; i < p->n_stages; i++) {
        pl_node *n = &p->stages[i];
        for (size_t j = 0; j < i; j++)
            if (!strcmp(p->stages[j].id, n->id)) {
                const hv_config_node *at = loc_of(n, "id");
                return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: stage id '%s' is used twice (first at line %d); ids must be unique",
                                hv_config_file(at), hv_config_line(at), hv_config_column(at), n->id,
                                hv_config_line(loc_of(&p->stages[j], "id")));
            }
        const hv_config_node *in = hv_config_get(n->node, "inputs");
        size_t count = in ? hv_config_size(in) : (i ? 1 : 0);
        n->inputs = calloc(count ? count : 1, sizeof *n->inputs);
        if (!n->inputs) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
        if (!in) {
            if (i) n->inputs[n->n_inputs++] = i - 1;
            continue;
        }
        for (size_t k = 0; k < count; k++) {
            const hv_config_node *item = hv_config_item(in, k);
            const char *id = hv_config_text(item);
            size_t dep;
            if (find_stage(p, id, &dep)) {
                char ids[1024];
                list_ids(p, ids, sizeof ids);
                return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: stage '%s': input '%s' is not a stage of this pipeline (stages: %s)",
                                hv_config_file(item), hv_config_line(item), hv_config_column(item), n->id, id, ids);
            }
            if (dep == i)
                return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: stage '%s' lists itself in inputs", hv_config_file(item),
                                hv_config_line(item), hv_config_column(item), n->id);
            n->inputs[n->n_inputs++] = dep;
        }
    }
    return HV_OK;
}

/* Kahn's algorithm, always taking the lowest-indexed ready stage. Disabled stages take part (their
 * edges still order the others) but are left out of the run order. */
static hv_status topo_order(hv_pipeline *p) {
    size_t n = p->n_stages;
    size_t *indeg = calloc(n ? n : 1, sizeof *indeg);
    unsigned char *placed = calloc(n ? n : 1, 1);
    p->order = calloc(n ? n : 1, sizeof *p->order);
    if (!indeg || !placed || !p->order) {
        free(indeg);
        free(placed);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory ordering stages");
    }
    for (size_t i = 0; i < n; i++) indeg[i] = p->stages[i].n_inputs;
    size_t done = 0;
    while (done < n) {
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < n && pick == SIZE_MAX; i++)
            if (!placed[i] && indeg[i] == 0) pick = i;
        if (pick == SIZE_MAX) break;
        placed[pick] = 1;
        done++;
        if (p->stages[pick].enabled) p->order[p->n_order++] = pick;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < p->stages[i].n_inputs; k++)
                if (p->stages[i].inputs[k] == pick) indeg[i]--;
    }
    hv_status st = HV_OK;
    if (done < n) {
        /* Every unplaced stage is on or behind a cycle: name them all. */
        char ids[1024];
        size_t len = 0, first = SIZE_MAX;
        ids[0] = '\0';
        for (size_t i = 0; i < n; i++)
            if (!placed[i]) {
                if (first == SIZE_MAX) first = i;
                if (len + 1 < sizeof ids)
                    len += (size_t)snprintf(ids + len, sizeof ids - len, "%s%s", len ? ", " : "", p->stages[i].id);
            }
        const hv_config_node *at = loc_of(&p->stages[first], "inputs");
        st = hv_error(HV_ERR_SCHEMA, "%s:%d:%d: the stages' inputs form a cycle through: %s; a stage cannot depend on itself",
                      hv_config_file(at), hv_config_line(at), hv_config_column(at), ids);
    }
    free(indeg);
    free(placed);
    return st;
}

/* Is `anc` an ancestor of `node` (through inputs)? */
static int is_ancestor(const hv_pipeline *p, size_t anc, size_t node, unsigned char *seen) {
    for (size_t k = 0; k < p->stages[node].n_inputs; k++) {
        size_t d = p->stages[node].inputs[k];
        if (d == anc) return 1;
        if (seen[d]) continue;
        seen[d] = 1;
        if (is_ancestor(p, anc, d, seen)) return 1;
    }
    return 0;
}

static hv_status parse_conditions(hv_pipeline *p) {
    unsigned char *seen = calloc(p->n_stages ? p->n_stages : 1, 1);
    if (!seen) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    hv_status st = HV_OK;
    for (size_t i = 0; !st && i < p->n_stages + p->n_outputs; i++) {
        int is_output = i >= p->n_stages;
        pl_node *n = is_output ? &p->outputs[i - p->n_stages] : &p->stages[i];
        const hv_config_node *w = hv_config_get(n->node, "when");
        if (!w) continue;
        if ((st = pl_condition_parse(p, w, &n->when))) break;
        const pl_node *target = &p->stages[n->when.stage];
        if (!is_output) {
            memset(seen, 0, p->n_stages);
            if (n->when.stage == i || !is_ancestor(p, n->when.stage, i, seen))
                st = hv_error(HV_ERR_SCHEMA,
                              "%s:%d:%d: stage '%s': `when: %s` refers to stage '%s', which does not run before it; "
                              "list '%s' in this stage's inputs (directly or through another input)",
                              hv_config_file(w), hv_config_line(w), hv_config_column(w), n->id, hv_config_text(w),
                              target->id, target->id);
        }
        if (!st && !target->enabled)
            hv_log_warn("%s:%d:%d: %s '%s': `when: %s` refers to the disabled stage '%s', which never sets anything",
                        hv_config_file(w), hv_config_line(w), hv_config_column(w), is_output ? "output" : "stage", n->id,
                        hv_config_text(w), target->id);
    }
    free(seen);
    return st;
}

hv_status pl_graph_build(hv_pipeline *p) {
    hv_status st = resolve_inputs(p);
    if (!st) st = topo_order(p);
    if (!st) st = parse_conditions(p);
    return st;
}
