/* cffi declarations of modules/kpu/core/kpu_soft.h.
 * kpu_status_t, kpu_allocator_t, kpu_backend_t: declared in files earlier in name order. */
typedef enum kpu_soft_rounding {
    KPU_ROUND_V02 = 0,
    KPU_ROUND_V01 = 1,
} kpu_soft_rounding_t;

typedef struct kpu_soft kpu_soft_t;

kpu_status_t kpu_soft_create(kpu_soft_t **out, const kpu_allocator_t *alloc,
                             kpu_soft_rounding_t rounding);
void kpu_soft_destroy(kpu_soft_t *soft);
kpu_backend_t kpu_soft_backend(kpu_soft_t *soft);
void kpu_soft_set_rounding(kpu_soft_t *soft, kpu_soft_rounding_t rounding);
uint8_t *kpu_soft_ram(kpu_soft_t *soft);
size_t kpu_soft_memory(const kpu_soft_t *soft);
