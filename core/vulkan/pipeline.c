/* Compute pipelines from embedded SPIR-V: n storage buffers at set 0, one push-constant range, and
 * uint32 specialization constants 0..n-1. Built once per (shader, bindings, push size, spec values)
 * and kept on the device; the VkPipelineCache (pipeline_cache.c) makes rebuilds in later runs cheap. */
#include <stdlib.h>
#include <string.h>

#include "hemovk/log.h"
#include "vulkan/shaders.h"
#include "vulkan/vk_internal.h"

#define HV_MAX_SPEC 64
#define HV_MAX_BINDINGS 32

static bool same_key(const hv_vk_pipeline *p, const hv_vk_pipeline_desc *d) {
    return p->n_bindings == d->n_bindings && p->push_size == d->push_size && p->n_spec == d->n_spec &&
           strcmp(p->shader, d->shader) == 0 && (d->n_spec == 0 || memcmp(p->spec, d->spec, d->n_spec * 4) == 0);
}

static void destroy_pipeline(hv_device *dev, hv_vk_pipeline *p) {
    if (p->pipeline) vkDestroyPipeline(dev->device, p->pipeline, NULL);
    if (p->layout) vkDestroyPipelineLayout(dev->device, p->layout, NULL);
    if (p->set_layout) vkDestroyDescriptorSetLayout(dev->device, p->set_layout, NULL);
    free(p->shader);
    free(p->spec);
    free(p);
}

static hv_status build(hv_device *dev, const hv_vk_pipeline_desc *d, const hv_shader_entry *blob, hv_vk_pipeline *p) {
    VkDescriptorSetLayoutBinding b[HV_MAX_BINDINGS];
    for (uint32_t i = 0; i < d->n_bindings; i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = i, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                              .descriptorCount = 1, .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                           .bindingCount = d->n_bindings, .pBindings = d->n_bindings ? b : NULL};
    VkResult r = vkCreateDescriptorSetLayout(dev->device, &dci, NULL, &p->set_layout);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreateDescriptorSetLayout");
    VkPushConstantRange pcr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = d->push_size};
    VkPipelineLayoutCreateInfo lci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, .setLayoutCount = 1,
                                      .pSetLayouts = &p->set_layout, .pushConstantRangeCount = d->push_size ? 1 : 0,
                                      .pPushConstantRanges = d->push_size ? &pcr : NULL};
    r = vkCreatePipelineLayout(dev->device, &lci, NULL, &p->layout);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreatePipelineLayout");

    VkShaderModuleCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, .codeSize = *blob->size,
                                    .pCode = blob->code};
    VkShaderModule module;
    r = vkCreateShaderModule(dev->device, &sci, NULL, &module);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreateShaderModule");
    VkSpecializationMapEntry map[HV_MAX_SPEC];
    for (uint32_t i = 0; i < d->n_spec; i++) map[i] = (VkSpecializationMapEntry){.constantID = i, .offset = 4 * i, .size = 4};
    VkSpecializationInfo spec = {.mapEntryCount = d->n_spec, .pMapEntries = map, .dataSize = 4 * (size_t)d->n_spec,
                                 .pData = d->spec};
    VkComputePipelineCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module, .pName = "main", .pSpecializationInfo = d->n_spec ? &spec : NULL},
        .layout = p->layout,
    };
    r = vkCreateComputePipelines(dev->device, dev->pipeline_cache, 1, &pci, NULL, &p->pipeline);
    vkDestroyShaderModule(dev->device, module, NULL);
    if (r != VK_SUCCESS) {
        p->pipeline = VK_NULL_HANDLE;
        return hv_error_context(hv_vk_fail(r, "vkCreateComputePipelines"), "building shader %s", d->shader);
    }
    return HV_OK;
}

hv_status hv_vk_pipeline_get(hv_device *dev, const hv_vk_pipeline_desc *d, hv_vk_pipeline **out) {
    if (!dev || !d || !out || !d->shader) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_vk_pipeline_get: NULL argument");
    *out = NULL;
    if (d->n_bindings > HV_MAX_BINDINGS)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "shader %s: %u bindings (at most %d)", d->shader, d->n_bindings, HV_MAX_BINDINGS);
    if (d->n_spec > HV_MAX_SPEC || (d->n_spec && !d->spec))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "shader %s: %u specialization constants%s (at most %d)", d->shader,
                        d->n_spec, d->n_spec && !d->spec ? " with NULL values" : "", HV_MAX_SPEC);
    if (d->push_size % 4 || d->push_size > dev->info.max_push_constants || d->push_size > 128)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "shader %s: push constants of %u bytes (need a multiple of 4, at most %u)",
                        d->shader, d->push_size, dev->info.max_push_constants < 128 ? dev->info.max_push_constants : 128);
    const hv_shader_entry *blob = hv_shader_find(d->shader);
    if (!blob)
        return hv_error(HV_ERR_NOT_FOUND, "no embedded shader named \"%s\" (%zu shaders in this build; is the "
                        "variant suffix right, e.g. _f32/_f16?)", d->shader, hv_shader_count);

    pthread_mutex_lock(&dev->lock);
    for (hv_vk_pipeline *p = dev->pipelines; p; p = p->next)
        if (same_key(p, d)) {
            *out = p;
            pthread_mutex_unlock(&dev->lock);
            return HV_OK;
        }
    hv_status st = HV_OK;
    hv_vk_pipeline *p = calloc(1, sizeof *p);
    if (!p || !(p->shader = strdup(d->shader)) || (d->n_spec && !(p->spec = malloc(4 * (size_t)d->n_spec)))) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory building shader %s", d->shader);
    } else {
        p->n_bindings = d->n_bindings;
        p->push_size = d->push_size;
        p->n_spec = d->n_spec;
        if (d->n_spec) memcpy(p->spec, d->spec, 4 * (size_t)d->n_spec);
        st = build(dev, d, blob, p);
    }
    if (st) {
        if (p) destroy_pipeline(dev, p);
    } else {
        p->next = dev->pipelines;
        dev->pipelines = p;
        dev->pipelines_built++;
        *out = p;
        hv_log_debug("built pipeline %s (%u bindings, %u push bytes, %u spec constants)", d->shader, d->n_bindings,
                     d->push_size, d->n_spec);
    }
    pthread_mutex_unlock(&dev->lock);
    return st;
}

void hv_vk_pipelines_destroy(hv_device *dev) {
    hv_vk_pipeline *p = dev->pipelines;
    while (p) {
        hv_vk_pipeline *n = p->next;
        destroy_pipeline(dev, p);
        p = n;
    }
    dev->pipelines = NULL;
}
