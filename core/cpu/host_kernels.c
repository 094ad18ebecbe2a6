/* Which ops have a host kernel (host_kernel.h): conv2d, deconv and linear through oneDNN when hemovk is built
 * with it; DCNv3, RoIAlign, binary and unary in C on the backend's threads (rows_host.c). Every other op runs its
 * reference on the host backend. */
#include "cpu/host_kernel.h"

#include <stdlib.h>

#include "ops/ops_basic_defs.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsdcn_util.h"

extern const hv_host_kernel hv_host_dcnv3, hv_host_roi_align, hv_host_binary, hv_host_unary;

#ifdef HEMOVK_HAVE_DNNL
extern const hv_host_kernel hv_host_conv2d_dnnl, hv_host_deconv_dnnl, hv_host_linear_dnnl;
#endif

const hv_host_kernel *hv_host_kernel_for(const hv_op_def *op) {
    if (getenv("HEMOVK_HOST_REFERENCE")) return NULL; /* debugging: every op through its reference */
    if (op == &hv_op_dcnv3) return &hv_host_dcnv3;
    if (op == &hv_op_roi_align) return &hv_host_roi_align;
    if (op == &hv_op_binary) return &hv_host_binary;
    if (op == &hv_op_unary) return &hv_host_unary;
#ifdef HEMOVK_HAVE_DNNL
    if (op == &hv_op_conv2d) return &hv_host_conv2d_dnnl;
    if (op == &hv_op_deconv) return &hv_host_deconv_dnnl;
    if (op == &hv_op_linear) return &hv_host_linear_dnnl;
#else
    (void)op;
#endif
    return NULL;
}
