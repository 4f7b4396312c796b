/* kmodel_v5.h: the recorded shapes of V5 outputs and the layer of a CPU-only V5 model. */
#define KPU_V5_PROGRAM_LAYER 131072
#define KPU_V5_MAX_RANK 8
const char *kpu_v5_layer_type_name(uint32_t type);
kpu_status_t kpu_v5_output_info(const kpu_model_t *m, uint32_t i, kpu_tensor_info_t *info,
                                kpu_diag_t *diag);
kpu_status_t kpu_v5_output_dims(const kpu_model_t *m, uint32_t i, uint32_t *dims,
                                uint32_t *rank, kpu_diag_t *diag);
