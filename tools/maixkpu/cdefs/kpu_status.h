/* cffi declarations of modules/kpu/core/kpu_status.h. */
/* kpu_status_t: declared in kmodel.h, the first file in name order (cffi allows one
 * declaration of an integer typedef of unknown size). */
enum kpu_status {
    KPU_OK = 0,
    KPU_ERR_ARGUMENT,
    KPU_ERR_VERSION,
    KPU_ERR_VERSION_V4V5,
    KPU_ERR_BIG_ENDIAN,
    KPU_ERR_FORMAT,
    KPU_ERR_TRUNCATED,
    KPU_ERR_LAYER_TYPE,
    KPU_ERR_BOUNDS,
    KPU_ERR_READ,
    KPU_ERR_NO_MEMORY,
    KPU_ERR_FIRST_LAYER,
    KPU_ERR_RUN,
    KPU_ERR_TIMEOUT,
    KPU_ERR_INDEX,
    KPU_ERR_SIZE,
    KPU_ERR_OUTPUTS_NOT_SET,
    KPU_ERR_NOT_IMPLEMENTED,
    KPU_ERR_STATE,
    KPU_STATUS_COUNT
};

const char *kpu_status_name(kpu_status_t st);
const char *kpu_status_message(kpu_status_t st);
int kpu_status_maixpy_code(kpu_status_t st);
const char *kpu_maixpy_code_text(int code, int v4_build);

#define KPU_DIAG_TEXT 192
typedef struct kpu_diag {
    kpu_status_t status;
    int32_t layer;
    char text[192];
} kpu_diag_t;

kpu_status_t kpu_diag_set(kpu_diag_t *diag, kpu_status_t st, int32_t layer, const char *fmt, ...);
void kpu_diag_clear(kpu_diag_t *diag);
