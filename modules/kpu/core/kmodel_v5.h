/* kmodel V5 (nncase 1.x) beside the core API of kmodel.h: the shapes its entry function
 * records for the outputs, and the layer a CPU-only model shows (spec kmodel-v4-v5.md B1).
 *
 * Layers of a V5 model: every kpu_conv2d the program runs is one KL_K210_CONV layer, in
 * program order. A model without any (CPU only) shows its whole stackvm program as one layer
 * of type KPU_V5_PROGRAM_LAYER ("V5_STACKVM"): wi/hi/chi describe input 0, wo/ho/cho output
 * 0, body_offset/body_size give the entry function's code in the file.
 *
 * Output shapes: nncase records each output's shape (rank <= 8, dims of the ONNX graph, NCHW
 * for images). As for V3/V4 a shape is given in memory order: w = the innermost dimension, h
 * the next, c the product of the others ([1, 35, 10, 14] -> w 14, h 10, c 35; [1, 10] ->
 * w 10, h 1, c 1). The recorded dims themselves are available too. */
#ifndef KMODEL_V5_H
#define KMODEL_V5_H

#include <stdint.h>
#include "kmodel.h"

#define KPU_V5_PROGRAM_LAYER 0x20000u
#define KPU_V5_MAX_RANK 8u

/* "V5_STACKVM" for KPU_V5_PROGRAM_LAYER, else NULL. */
const char *kpu_v5_layer_type_name(uint32_t type);

/* Shape of output i as w/h/c (see above), its element type and bytes. KPU_ERR_VERSION for a
 * model that is not V5, KPU_ERR_INDEX for i >= the output count. */
kpu_status_t kpu_v5_output_info(const kpu_model_t *m, uint32_t i, kpu_tensor_info_t *info,
                                kpu_diag_t *diag);
/* The dims output i records, outermost first (dims must hold KPU_V5_MAX_RANK), and the rank
 * (0 for a scalar). Same errors as kpu_v5_output_info. */
kpu_status_t kpu_v5_output_dims(const kpu_model_t *m, uint32_t i, uint32_t *dims,
                                uint32_t *rank, kpu_diag_t *diag);

#endif
