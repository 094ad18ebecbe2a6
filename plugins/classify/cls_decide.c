/* The positive-class / threshold rule.
 *
 * A frame is flagged as the positive class (bleeding) when that class's softmax probability is at or
 * above `threshold`; otherwise it gets the most probable of the OTHER classes. With two classes and
 * threshold 0.5 this is argmax (p_pos ≥ 0.5 ⇔ p_pos ≥ p_other), except for an exact 0.5/0.5 tie, where
 * the positive class wins — which is also torch.argmax's choice when the positive class is index 0
 * (the paper's "bleeding"). Lower thresholds trade specificity for sensitivity (fewer missed bleeds),
 * which is how a screening run is usually tuned. */
#include "classify_plugin.h"

int32_t cls_decide(const float *p, int32_t k, int32_t positive, float threshold) {
    if (positive >= 0 && positive < k && p[positive] >= threshold) return positive;
    int32_t best = -1;
    for (int32_t i = 0; i < k; i++) {
        if (i == positive) continue;
        if (best < 0 || p[i] > p[best]) best = i;
    }
    return best < 0 ? positive : best;
}
