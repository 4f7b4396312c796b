/* The V3 layers that run on the CPU (spec section 2.7, plus K210_REMOVE_PADDING of section 6):
 * body validation with the description of what each layer reads and writes, and the kernels. */
#ifndef CPU_LAYERS_V3_H
#define CPU_LAYERS_V3_H

#include <stdint.h>
#include "kmodel_v3.h"

/* 1 if type is a CPU layer this runtime can run. */
int kpu_v3_is_cpu_layer(uint32_t type);

/* Validates a CPU layer's body (size, fields, every main-memory range inside main_size bytes)
 * and describes its output. */
kpu_status_t kpu_v3_cpu_describe(uint32_t type, const kpu_v3_body_t *b, uint64_t main_size,
                                 kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer);

/* Runs a validated CPU layer on main memory (the body in host word order). */
void kpu_v3_cpu_run(uint32_t type, const kpu_v3_body_t *b, uint8_t *main_mem);

#endif
