/* cffi declarations of modules/kpu/core/kmodel.h. Files are concatenated in name order; kpu_status_t
 * comes from _common.h and other types are forward-declared here. */
typedef struct kpu_diag kpu_diag_t;
typedef struct kpu_allocator kpu_allocator_t;
typedef struct kpu_backend kpu_backend_t;

typedef struct kpu_model kpu_model_t;

typedef enum kpu_dtype {
    KPU_DTYPE_UINT8 = 0,
    KPU_DTYPE_FLOAT32 = 1,
} kpu_dtype_t;

enum {
    KL_INVALID = 0, KL_ADD = 1, KL_QUANTIZED_ADD = 2, KL_GLOBAL_MAX_POOL2D = 3,
    KL_QUANTIZED_GLOBAL_MAX_POOL2D = 4, KL_GLOBAL_AVERAGE_POOL2D = 5,
    KL_QUANTIZED_GLOBAL_AVERAGE_POOL2D = 6, KL_MAX_POOL2D = 7, KL_QUANTIZED_MAX_POOL2D = 8,
    KL_AVERAGE_POOL2D = 9, KL_QUANTIZED_AVERAGE_POOL2D = 10, KL_QUANTIZE = 11,
    KL_DEQUANTIZE = 12, KL_REQUANTIZE = 13, KL_L2_NORMALIZATION = 14, KL_SOFTMAX = 15,
    KL_CONCAT = 16, KL_QUANTIZED_CONCAT = 17, KL_FULLY_CONNECTED = 18,
    KL_QUANTIZED_FULLY_CONNECTED = 19, KL_TENSORFLOW_FLATTEN = 20,
    KL_QUANTIZED_TENSORFLOW_FLATTEN = 21, KL_RESIZE_NEAREST_NEIGHBOR = 22,
    KL_QUANTIZED_RESIZE_NEAREST_NEIGHBOR = 23, KL_CHANNELWISE_DEQUANTIZE = 24, KL_LOGISTIC = 25,
    KL_K210_CONV = 10240, KL_K210_ADD_PADDING = 10241, KL_K210_REMOVE_PADDING = 10242,
    KL_K210_UPLOAD = 10243,
};

const char *kpu_layer_type_name(uint32_t type);

#define KPU_LOAD_CONVERT_BIG_ENDIAN 1
#define KPU_LOAD_COPY 2

kpu_status_t kpu_model_load(kpu_model_t **out, const uint8_t *data, size_t size, uint32_t flags,
                            const kpu_allocator_t *alloc, kpu_diag_t *diag);
kpu_status_t kpu_model_validate(const uint8_t *data, size_t size, uint32_t flags, kpu_diag_t *diag);
void kpu_model_free(kpu_model_t *m);

uint32_t kpu_kmodel_version(const uint8_t *data, size_t size, int *big_endian);
void kpu_kmodel_swap_words(uint8_t *data, size_t size);

uint32_t kpu_model_version(const kpu_model_t *m);
uint32_t kpu_model_layer_count(const kpu_model_t *m);
size_t kpu_model_memory(const kpu_model_t *m);
size_t kpu_model_main_memory(const kpu_model_t *m);

typedef struct kpu_tensor_info {
    uint32_t w, h, c;
    kpu_dtype_t dtype;
    size_t size;
} kpu_tensor_info_t;

kpu_status_t kpu_model_input_info(const kpu_model_t *m, kpu_tensor_info_t *info, kpu_diag_t *diag);
kpu_status_t kpu_model_run(kpu_model_t *m, const kpu_backend_t *backend, const void *input,
                           size_t input_size, int32_t last_layer, kpu_diag_t *diag);
int32_t kpu_model_last_run_layer(const kpu_model_t *m);

uint32_t kpu_model_output_count(const kpu_model_t *m);
kpu_status_t kpu_model_output(const kpu_model_t *m, uint32_t i, const uint8_t **data, size_t *size,
                              kpu_dtype_t *dtype, kpu_diag_t *diag);

typedef struct kpu_layer_info {
    uint32_t index;
    uint32_t type;
    uint32_t wi, hi, chi, wo, ho, cho;
    uint32_t dw, kernel_type, pool_type, para_size;
    uint32_t body_offset, body_size;
    uint32_t flags;
} kpu_layer_info_t;
kpu_status_t kpu_model_layer_info(const kpu_model_t *m, uint32_t layer, kpu_layer_info_t *info,
                                  kpu_diag_t *diag);
kpu_status_t kpu_model_layer_output_info(const kpu_model_t *m, uint32_t layer,
                                         kpu_tensor_info_t *info, kpu_diag_t *diag);
kpu_status_t kpu_model_read_layer_output(const kpu_model_t *m, const kpu_backend_t *backend,
                                         uint32_t layer, int32_t channel, void *dst,
                                         size_t dst_size, size_t *copied, kpu_diag_t *diag);
