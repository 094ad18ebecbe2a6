/* Descriptor sanity checks shared by the basic ops (ops_basic_defs.h). */
#include "ops/ops_basic_defs.h"
#include "ops/opsconv_util.h"

hv_status opsbasic_check_sources(const char *op, const hv_tensor_desc *src, uint32_t n_src) {
    for (uint32_t i = 0; i < n_src; i++) {
        if (src[i].rank < 1 || src[i].rank > HV_MAX_DIMS)
            return hv_error(HV_ERR_SHAPE, "%s: input %u has rank %u; ranks 1..%d are supported", op, (unsigned)i,
                            (unsigned)src[i].rank, HV_MAX_DIMS);
        for (uint32_t k = 0; k < src[i].rank; k++)
            if (src[i].dims[k] < 1)
                return hv_error(HV_ERR_SHAPE, "%s: input %u %s has an empty or negative dim %u", op, (unsigned)i,
                                opsconv_shape(&src[i]), (unsigned)k);
    }
    return HV_OK;
}
