/* cffi declarations of modules/kpu/core/yolo2.h (kpu_status_t comes from an earlier file). */
typedef struct kpu_diag kpu_diag_t;
typedef struct kpu_allocator kpu_allocator_t;

typedef struct kpu_yolo2_config {
    uint32_t out_w, out_h, out_c;
    uint32_t in_w, in_h;
    const float *anchors;
    uint32_t anchor_num;
    float threshold;
    float nms;
} kpu_yolo2_config_t;

typedef struct kpu_yolo2_detection {
    int32_t x, y, w, h;
    float value;
    uint32_t classid;
    uint32_t index;
    uint32_t anchor;
    uint32_t cell;
} kpu_yolo2_detection_t;

kpu_status_t kpu_yolo2_check(const kpu_yolo2_config_t *cfg, uint32_t *classes, kpu_diag_t *diag);
kpu_status_t kpu_yolo2_max_detections(const kpu_yolo2_config_t *cfg, size_t *count,
                                      kpu_diag_t *diag);
kpu_status_t kpu_yolo2_work_size(const kpu_yolo2_config_t *cfg, size_t *bytes, kpu_diag_t *diag);
kpu_status_t kpu_yolo2_decode(const kpu_yolo2_config_t *cfg, const float *output,
                              size_t output_count, void *work, size_t work_size,
                              kpu_yolo2_detection_t *dets, size_t capacity, size_t *count,
                              kpu_diag_t *diag);
kpu_status_t kpu_yolo2_decode_alloc(const kpu_yolo2_config_t *cfg, const float *output,
                                    size_t output_count, const kpu_allocator_t *alloc,
                                    kpu_yolo2_detection_t *dets, size_t capacity, size_t *count,
                                    kpu_diag_t *diag);
