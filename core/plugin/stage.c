/* Stage instances: params validation, create, and vtable calls with the stage id in every message. */
#include "plugin/stage.h"

#include "hemovk/config.h"

#include <stdlib.h>
#include <string.h>

struct hv_stage {
    const hv_component *component;
    const hv_stage_vtable *vt;     /* the plugin's table; loader checked it holds the v1.0 functions */
    void *instance;
    char *id;
    hv_config_node *own_params;    /* the empty mapping made when the caller passed none */
    hv_frame **batch;              /* frames left after skipping dropped ones */
    size_t batch_cap;
};

hv_status hv_stage_create(const hv_registry *reg, hv_component_kind kind, const char *name, const char *instance_id,
                          hv_config_node *params, hv_stage **out) {
    return hv_stage_create_ex(reg, kind, name, instance_id, params, NULL, out);
}

hv_status hv_stage_create_ex(const hv_registry *reg, hv_component_kind kind, const char *name, const char *instance_id,
                             hv_config_node *params, const hv_stage_context *ctx, hv_stage **out) {
    *out = NULL;
    if (!instance_id) instance_id = name ? name : "?";
    if (kind != HV_COMPONENT_STAGE && kind != HV_COMPONENT_SOURCE && kind != HV_COMPONENT_WRITER)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "stage '%s': a %s component is not a stage", instance_id,
                        hv_component_kind_name(kind));
    const hv_component *c = NULL;
    hv_status st = hv_registry_lookup(reg, kind, name, &c);
    if (st) return hv_error_context(st, "stage '%s'", instance_id);

    hv_stage *s = calloc(1, sizeof *s);
    if (!s || !(s->id = strdup(instance_id))) {
        free(s);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory creating stage '%s'", instance_id);
    }
    s->component = c;
    s->vt = c->desc.vtable;
    if (!params) {
        if ((st = hv_config_load_string("{}", 2, "<no params>", &s->own_params))) goto fail;
        params = s->own_params;
    }
    if (hv_config_kind_of(params) != HV_CONFIG_MAP) {
        st = hv_error(HV_ERR_SCHEMA, "%s:%d:%d: stage '%s': params must be a mapping", hv_config_file(params),
                      hv_config_line(params), hv_config_column(params), instance_id);
        goto fail;
    }
    if (c->schema && (st = hv_schema_validate(c->schema, params, NULL))) {
        hv_error_context(st, "stage '%s' (%s '%s') params", instance_id, hv_component_kind_name(kind), name);
        goto fail;
    }
    hv_create_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    info.host = hv_registry_host(reg);
    info.plugin_state = c->plugin->state;
    info.instance_id = s->id;
    info.params = params;
    if (ctx) {
        info.output_dir = ctx->output_dir;
        info.output_path = ctx->output_path;
        info.resume = ctx->resume;
        info.batch = ctx->batch;
        info.precision = ctx->precision;
    }
    hv_clear_error();
    if ((st = s->vt->create(&info, &s->instance))) {
        hv_error_context(st, "stage '%s' (%s from plugin '%s')", instance_id, name, c->plugin->name);
        s->instance = NULL; /* create failed: nothing to destroy */
        goto fail;
    }
    *out = s;
    return HV_OK;
fail:
    hv_config_free(s->own_params);
    free(s->id);
    free(s);
    return st;
}

hv_status hv_stage_process(hv_stage *stage, hv_frame *const *frames, size_t n) {
    if (stage->batch_cap < n) {
        hv_frame **b = realloc(stage->batch, n * sizeof *b);
        if (!b) return hv_error(HV_ERR_OUT_OF_MEMORY, "stage '%s': out of memory for a batch of %zu", stage->id, n);
        stage->batch = b;
        stage->batch_cap = n;
    }
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        if (frames[i] && !frames[i]->dropped) stage->batch[live++] = frames[i];
    if (!live) return HV_OK;
    hv_status st = stage->vt->process(stage->instance, stage->batch, live);
    return st ? hv_error_context(st, "stage '%s'", stage->id) : HV_OK;
}

hv_status hv_stage_process_all(hv_stage *stage, hv_frame *const *frames, size_t n) {
    if (!n) return HV_OK;
    hv_status st = stage->vt->process(stage->instance, frames, n);
    return st ? hv_error_context(st, "stage '%s'", stage->id) : HV_OK;
}

hv_status hv_stage_flush(hv_stage *stage) {
    if (!stage->vt->flush) return HV_OK;
    hv_status st = stage->vt->flush(stage->instance);
    return st ? hv_error_context(st, "stage '%s' (flush)", stage->id) : HV_OK;
}

void hv_stage_destroy(hv_stage *stage) {
    if (!stage) return;
    stage->vt->destroy(stage->instance);
    hv_config_free(stage->own_params);
    free(stage->batch);
    free(stage->id);
    free(stage);
}

const char *hv_stage_id(const hv_stage *stage) { return stage->id; }

const hv_component *hv_stage_component(const hv_stage *stage) { return stage->component; }
