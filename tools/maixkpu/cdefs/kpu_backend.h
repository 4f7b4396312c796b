/* cffi declarations of modules/kpu/core/kpu_backend.h. */
/* kpu_status_t: declared in kmodel.h, the first file in name order (cffi allows one
 * declaration of an integer typedef of unknown size). */
typedef struct kpu_diag kpu_diag_t;

#define KPU_RAM_BYTES 2097152
#define KPU_RAM_LINES 32768
#define KPU_RAM_LINE_BYTES 64

typedef struct kpu_conv_job {
    uint64_t arg[12];
    const uint8_t *weights;
    size_t weights_size;
    const uint8_t *bn;
    const uint8_t *act;
    int eight_bit;
    uint8_t *stream_out;
    size_t stream_size;
} kpu_conv_job_t;

typedef struct kpu_backend_ops {
    const char *name;
    kpu_status_t (*submit)(void *self, const kpu_conv_job_t *job, kpu_diag_t *diag);
    kpu_status_t (*wait)(void *self, uint32_t timeout_ms, kpu_diag_t *diag);
    kpu_status_t (*ram_read)(void *self, size_t offset, void *dst, size_t n);
    kpu_status_t (*ram_write)(void *self, size_t offset, const void *src, size_t n);
} kpu_backend_ops_t;

typedef struct kpu_backend {
    const kpu_backend_ops_t *ops;
    void *self;
} kpu_backend_t;
