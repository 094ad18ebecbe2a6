/* Weight blocks shared between plans (runtime.h, "shared weight blocks").
 *
 * A model builds several plans from graphs with the same weights: the Mask R-CNN one per input size and
 * batch, one per RoI bucket for each head, one per TTA group; the classifier one per batch. Each plan used
 * to upload its own copy, so device memory held the head weights once per bucket. A plan's weight block
 * is fully determined by its layout and bytes, so the device keeps a list of the blocks it holds, keyed by
 * a 128-bit fingerprint of both (computed by the plan from its host copy before anything is uploaded):
 * a second plan with the same fingerprint borrows the block instead of allocating and uploading one.
 * Blocks are immutable once published and released by reference count. The list is short (one entry
 * per distinct weight set in use) and guarded by the allocator's lock. */
#include <stdlib.h>
#include <string.h>

#include "vulkan/runtime.h"
#include "vulkan/vk_internal.h"

struct hv_weight_block {
    uint64_t key[2];
    hv_buffer buf;
    uint32_t refs;
};

bool hv_weight_block_acquire(hv_device *dev, const uint64_t key[2], uint64_t size, hv_buffer *out) {
    if (!dev || dev->host) return false;
    bool hit = false;
    pthread_mutex_lock(&dev->lock);
    for (uint32_t i = 0; i < dev->n_weight_blocks && !hit; i++) {
        hv_weight_block *b = &dev->weight_blocks[i];
        if (b->key[0] == key[0] && b->key[1] == key[1] && b->buf.size == size) {
            b->refs++;
            *out = b->buf;
            hit = true;
        }
    }
    pthread_mutex_unlock(&dev->lock);
    return hit;
}

void hv_weight_block_publish(hv_device *dev, const uint64_t key[2], const hv_buffer *buf) {
    if (!dev || dev->host || !buf->block) return;
    pthread_mutex_lock(&dev->lock);
    bool taken = false; /* another plan published the same weights meanwhile: this copy stays private */
    for (uint32_t i = 0; i < dev->n_weight_blocks; i++)
        taken |= dev->weight_blocks[i].key[0] == key[0] && dev->weight_blocks[i].key[1] == key[1];
    if (!taken && dev->n_weight_blocks == dev->cap_weight_blocks) {
        uint32_t cap = dev->cap_weight_blocks ? 2 * dev->cap_weight_blocks : 8;
        hv_weight_block *grown = realloc(dev->weight_blocks, cap * sizeof *grown);
        if (grown) dev->weight_blocks = grown, dev->cap_weight_blocks = cap;
    }
    if (!taken && dev->n_weight_blocks < dev->cap_weight_blocks) /* out of host memory: not shared, still valid */
        dev->weight_blocks[dev->n_weight_blocks++] = (hv_weight_block){{key[0], key[1]}, *buf, 1};
    pthread_mutex_unlock(&dev->lock);
}

void hv_weight_block_release(hv_device *dev, hv_buffer *buf) {
    if (!dev || !buf || !buf->block) return;
    bool shared_still = false;
    pthread_mutex_lock(&dev->lock);
    for (uint32_t i = 0; i < dev->n_weight_blocks; i++) {
        hv_weight_block *b = &dev->weight_blocks[i];
        if (b->buf.block == buf->block && b->buf.offset == buf->offset) {
            shared_still = --b->refs > 0;
            if (!shared_still) dev->weight_blocks[i] = dev->weight_blocks[--dev->n_weight_blocks];
            break;
        }
    }
    pthread_mutex_unlock(&dev->lock);
    if (shared_still) memset(buf, 0, sizeof *buf);
    else hv_buffer_free(dev, buf);
}

uint32_t hv_weight_block_count(const hv_device *dev) { return dev ? dev->n_weight_blocks : 0; }

void hv_weight_blocks_destroy(hv_device *dev) {
    free(dev->weight_blocks);
    dev->weight_blocks = NULL;
    dev->n_weight_blocks = dev->cap_weight_blocks = 0;
}
