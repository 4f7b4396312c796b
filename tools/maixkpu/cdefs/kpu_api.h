/* cffi declarations of modules/kpu/core/kpu_api.h (kpu_status_t, kpu_tensor_info_t and
 * kpu_layer_info_t come from kmodel.h, earlier in name order). */
typedef struct kpu_diag kpu_diag_t;
typedef struct kpu_allocator kpu_allocator_t;
typedef struct kpu_backend kpu_backend_t;
typedef struct kpu_yolo2_detection kpu_yolo2_detection_t;

#define KPU_API_MAX_MODEL_SIZE 6291456
#define KPU_API_OUTPUT_SLOTS 16

typedef int (*kpu_flash_read_fn)(void *ctx, uint32_t addr, void *dst, size_t n);

typedef struct kpu_flash {
    kpu_flash_read_fn read;
    void *ctx;
} kpu_flash_t;

typedef struct kpu_api {
    kpu_allocator_t alloc;
    size_t held;
    size_t peak;
    uint32_t nets;
    uint32_t max_model_size;
} kpu_api_t;

void kpu_api_init(kpu_api_t *api, const kpu_allocator_t *alloc);
int kpu_api_v4_build(void);
const char *kpu_api_error_text(kpu_status_t st);

typedef struct kpu_flash_model {
    uint32_t version;
    int big_endian;
    uint32_t size;
} kpu_flash_model_t;

kpu_status_t kpu_flash_model_info(const kpu_flash_t *flash, uint32_t addr, int expect_big_endian,
                                  uint32_t max_size, kpu_flash_model_t *info, kpu_diag_t *diag);

typedef struct kpu_net kpu_net_t;

typedef enum kpu_net_source {
    KPU_NET_FROM_FLASH = 0,
    KPU_NET_FROM_MEMORY = 1,
    KPU_NET_FROM_FLASH_STREAM = 2,
} kpu_net_source_t;

kpu_status_t kpu_net_load_flash(kpu_api_t *api, kpu_net_t **out, const kpu_flash_t *flash,
                                uint32_t addr, kpu_diag_t *diag);
kpu_status_t kpu_net_load_memory(kpu_api_t *api, kpu_net_t **out, const uint8_t *data,
                                 size_t size, kpu_diag_t *diag);
kpu_status_t kpu_net_load_flash_stream(kpu_api_t *api, kpu_net_t **out, const kpu_flash_t *flash,
                                       uint32_t addr, int dual_buf, uint32_t batch_size,
                                       kpu_diag_t *diag);
void kpu_net_deinit(kpu_net_t *net);
void kpu_net_destroy(kpu_net_t *net);

int kpu_net_loaded(const kpu_net_t *net);
kpu_net_source_t kpu_net_source(const kpu_net_t *net);
uint32_t kpu_net_model_addr(const kpu_net_t *net);
uint32_t kpu_net_model_size(const kpu_net_t *net);
uint32_t kpu_net_version(const kpu_net_t *net);
uint32_t kpu_net_layer_count(const kpu_net_t *net);
uint32_t kpu_net_output_count(const kpu_net_t *net);
size_t kpu_net_memory(const kpu_net_t *net);
kpu_status_t kpu_net_input_info(const kpu_net_t *net, kpu_tensor_info_t *info, kpu_diag_t *diag);

#define KPU_IMAGE_OTHER 0
#define KPU_IMAGE_GRAYSCALE 1
#define KPU_IMAGE_RGB565 2

kpu_status_t kpu_net_check_image(const kpu_net_t *net, int has_ai, uint32_t w, uint32_t h,
                                 int format, kpu_diag_t *diag);
kpu_status_t kpu_net_set_layers(kpu_net_t *net, int32_t n, kpu_diag_t *diag);
int32_t kpu_net_active_layers(const kpu_net_t *net);
kpu_status_t kpu_net_set_output_shape(kpu_net_t *net, uint32_t index, uint32_t w, uint32_t h,
                                      uint32_t ch, kpu_diag_t *diag);
kpu_status_t kpu_net_forward(kpu_net_t *net, const kpu_backend_t *backend, const void *input,
                             size_t input_size, int32_t end_layer, kpu_diag_t *diag);
int32_t kpu_net_last_layer(const kpu_net_t *net);
uint32_t kpu_net_generation(const kpu_net_t *net);

typedef struct kpu_fmap {
    const uint8_t *data;
    size_t size;
    uint32_t index;
    uint32_t w, h, ch;
    char typecode;
    uint32_t layer_type;
    uint32_t generation;
} kpu_fmap_t;

char kpu_layer_typecode(uint32_t type);
kpu_status_t kpu_net_get_output(const kpu_net_t *net, uint32_t index, kpu_fmap_t *fmap,
                                kpu_diag_t *diag);
kpu_status_t kpu_net_layer_info(const kpu_net_t *net, uint32_t layer, kpu_layer_info_t *info,
                                kpu_diag_t *diag);
kpu_status_t kpu_net_init_yolo2(kpu_net_t *net, float threshold, float nms, uint32_t anchor_num,
                                const float *anchors, kpu_diag_t *diag);
int kpu_net_has_yolo2(const kpu_net_t *net);
const float *kpu_net_yolo2_args(const kpu_net_t *net, float *threshold, float *nms,
                                uint32_t *anchor_num);
kpu_status_t kpu_net_yolo2_decode(kpu_net_t *net, const kpu_yolo2_detection_t **dets,
                                  size_t *count, kpu_diag_t *diag);
