/* kmodel_v4.h: kmodel V4 nodes as layers and the shapes of V4 outputs. */
#define KPU_V4_NODE_TYPE_BASE 65536
const char *kpu_v4_op_name(uint32_t opcode);
const char *kpu_v4_layer_type_name(uint32_t type);
kpu_status_t kpu_v4_output_info(const kpu_model_t *m, uint32_t i, kpu_tensor_info_t *info,
                                kpu_diag_t *diag);
