/* kmodel V4 (nncase v0.2) beside the core API of kmodel.h: how its nodes appear as layers and
 * the shape of its outputs, which a V4 file does not record (spec kmodel-v4-v5.md A7).
 *
 * Layers of a V4 model, and what differs from V3 (netinfo, fmap, set_layers):
 *  - every node is one layer, in file order (MaixPy: "nncase node count");
 *  - a kpu_conv2d node is a KL_K210_CONV layer: wi..cho, dw, kernel_type, pool_type and
 *    para_size come from its layer argument, as for V3 (for batches > 1, cho is OC x batches);
 *  - any other node has the type KPU_V4_NODE_TYPE_BASE + opcode (0x10000 + 0x03 for
 *    dequantize, 0x12001 for kpu_upload, ...), named by kpu_layer_type_name ("V4_DEQUANTIZE");
 *    wi/hi/chi and wo/ho/cho describe its first input and its output where it has shapes;
 *  - a layer's output shape is given in memory order: w = the innermost dimension, h the next,
 *    c the product of the others (NCHW nodes: W, H, N x C; the NHWC cpu nodes: C, W, N x H;
 *    matmul: b_cols, a_rows, 1; flat nodes such as dequantize take the shape of the node that
 *    wrote their input, or count x 1 x 1);
 *  - body_offset/body_size give the node body in the file, flags is the opcode;
 *  - the model input is input 0: uint8 NCHW (w = W, h = H, c = N x C) when it lives in KPU RAM
 *    (KPU-first models) or whatever its memory range holds (float32 for iris), fed as bytes. */
#ifndef KMODEL_V4_H
#define KMODEL_V4_H

#include <stdint.h>
#include "kmodel.h"

#define KPU_V4_NODE_TYPE_BASE 0x10000u

/* Name of a V4 opcode without prefix ("dequantize", "kpu_conv2d"), or NULL if unknown. */
const char *kpu_v4_op_name(uint32_t opcode);
/* Name of a layer type KPU_V4_NODE_TYPE_BASE + opcode ("V4_DEQUANTIZE"), or NULL. */
const char *kpu_v4_layer_type_name(uint32_t type);

/* Shape of output i as the graph defines it (the node that writes the output range, see
 * above), so that set_outputs is optional. KPU_ERR_VERSION for a model that is not V4. */
kpu_status_t kpu_v4_output_info(const kpu_model_t *m, uint32_t i, kpu_tensor_info_t *info,
                                kpu_diag_t *diag);

#endif
