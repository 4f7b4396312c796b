/* cffi declarations of modules/kpu/core/face_feature.h. This file comes before the one that
 * declares kpu_status_t in name order, so the status is declared as int here (same values). */
typedef struct kpu_diag kpu_diag_t;

#define KPU_FACE_FEATURE_MAX 512
#define KPU_FACE_ENCODE_MAIXPY 0
#define KPU_FACE_ENCODE_SATURATE 1

int kpu_face_encode(const float *features, size_t n, uint32_t flags, int8_t *out,
                    kpu_diag_t *diag);
int kpu_face_compare(const int8_t *a, size_t na, const int8_t *b, size_t nb, float *score,
                     kpu_diag_t *diag);
