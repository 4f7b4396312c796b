/* Module-wide state: the kpu_api_t every net is created in (allocator from the HAL, memtest
 * figures) and the backend forward runs on. Both live outside the GC heap and hold no Python
 * objects, so plain statics are safe. */
#include "kpu_hal.h"
#include "kpu_mp.h"
#include "kpu_soft.h"

static kpu_api_t kpu_mp_api_state;
static int kpu_mp_api_ready;

kpu_api_t *kpu_mp_api(void)
{
    if (!kpu_mp_api_ready) {
        kpu_api_init(&kpu_mp_api_state, kpu_hal_allocator());
        kpu_mp_api_ready = 1;
    }
    return &kpu_mp_api_state;
}

void kpu_mp_new_diag(kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    diag->layer = -1;
}

#if defined(MAIXKPU_BACKEND_K210)

const kpu_backend_t *kpu_mp_backend(void)
{
    const kpu_backend_t *backend;
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_hal_k210_backend(&backend, &diag);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_RUN, st, &diag);
    }
    return backend;
}

#else

/* The software KPU (2 MiB KPU RAM image and scratch), made on the first forward and kept. */
static kpu_soft_t *kpu_mp_soft;
static kpu_backend_t kpu_mp_soft_backend;

const kpu_backend_t *kpu_mp_backend(void)
{
    if (kpu_mp_soft == NULL) {
        kpu_status_t st = kpu_soft_create(&kpu_mp_soft, kpu_hal_allocator(), KPU_ROUND_V02);
        if (st != KPU_OK) {
            kpu_diag_t diag;
            kpu_mp_new_diag(&diag);
            kpu_raise_status(KPU_ERR_CTX_RUN, st, &diag);
        }
        kpu_mp_soft_backend = kpu_soft_backend(kpu_mp_soft);
    }
    return &kpu_mp_soft_backend;
}

#endif
