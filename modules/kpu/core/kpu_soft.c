/* The software KPU: a 2 MiB KPU RAM image plus scratch, behind the kpu_backend_t interface.
 * submit computes the whole layer before returning (kpu_conv.c); wait only reports it. The
 * stream (send_data_out) goes to job->stream_out whenever it is set: the runtime sets
 * send_data_out itself for layers with a main-memory output (kpu.c does), so the stored bit
 * alone would miss them. A job that fails its checks writes nothing. */
#include "kpu_soft.h"

#include <string.h>
#include "kpu_conv.h"

struct kpu_soft {
    kpu_allocator_t alloc;
    kpu_soft_rounding_t rounding;
    uint8_t *ram;        /* KPU_RAM_BYTES */
    void *scratch;       /* grows to the largest layer seen */
    size_t scratch_size;
    int pending;         /* a submitted layer not yet waited for */
};

static kpu_status_t soft_submit(void *self, const kpu_conv_job_t *job, kpu_diag_t *diag);
static kpu_status_t soft_wait(void *self, uint32_t timeout_ms, kpu_diag_t *diag);
static kpu_status_t soft_ram_read(void *self, size_t offset, void *dst, size_t n);
static kpu_status_t soft_ram_write(void *self, size_t offset, const void *src, size_t n);

static const kpu_backend_ops_t soft_ops = {
    "soft",
    soft_submit,
    soft_wait,
    soft_ram_read,
    soft_ram_write,
};

kpu_status_t kpu_soft_create(kpu_soft_t **out, const kpu_allocator_t *alloc,
                             kpu_soft_rounding_t rounding)
{
    if (out == NULL || alloc == NULL || alloc->alloc == NULL || alloc->free == NULL)
        return KPU_ERR_ARGUMENT;
    *out = NULL;
    if (rounding != KPU_ROUND_V02 && rounding != KPU_ROUND_V01)
        return KPU_ERR_ARGUMENT;
    kpu_soft_t *s = alloc->alloc(alloc->ctx, sizeof(*s), 16);
    if (s == NULL)
        return KPU_ERR_NO_MEMORY;
    memset(s, 0, sizeof(*s));
    s->alloc = *alloc;
    s->rounding = rounding;
    s->ram = alloc->alloc(alloc->ctx, KPU_RAM_BYTES, 64);
    if (s->ram == NULL) {
        alloc->free(alloc->ctx, s);
        return KPU_ERR_NO_MEMORY;
    }
    memset(s->ram, 0, KPU_RAM_BYTES);
    *out = s;
    return KPU_OK;
}

void kpu_soft_destroy(kpu_soft_t *s)
{
    if (s == NULL)
        return;
    kpu_allocator_t a = s->alloc;
    if (s->scratch != NULL)
        a.free(a.ctx, s->scratch);
    a.free(a.ctx, s->ram);
    a.free(a.ctx, s);
}

kpu_backend_t kpu_soft_backend(kpu_soft_t *s)
{
    kpu_backend_t b;
    b.ops = &soft_ops;
    b.self = s;
    return b;
}

void kpu_soft_set_rounding(kpu_soft_t *s, kpu_soft_rounding_t rounding)
{
    if (s != NULL && (rounding == KPU_ROUND_V02 || rounding == KPU_ROUND_V01))
        s->rounding = rounding;
}

uint8_t *kpu_soft_ram(kpu_soft_t *s)
{
    return s != NULL ? s->ram : NULL;
}

size_t kpu_soft_memory(const kpu_soft_t *s)
{
    return s != NULL ? sizeof(*s) + KPU_RAM_BYTES + s->scratch_size : 0;
}

/* Makes the scratch at least `size` bytes (the old contents are not kept). */
static kpu_status_t reserve_scratch(kpu_soft_t *s, size_t size)
{
    if (size <= s->scratch_size)
        return KPU_OK;
    if (s->scratch != NULL)
        s->alloc.free(s->alloc.ctx, s->scratch);
    s->scratch_size = 0;
    s->scratch = s->alloc.alloc(s->alloc.ctx, size, 64);
    if (s->scratch == NULL)
        return KPU_ERR_NO_MEMORY;
    s->scratch_size = size;
    return KPU_OK;
}

static kpu_status_t soft_submit(void *self, const kpu_conv_job_t *job, kpu_diag_t *diag)
{
    kpu_soft_t *s = self;
    if (s == NULL)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "soft KPU: NULL backend");
    kpu_conv_layer_t layer;
    kpu_conv_rounding_t r = s->rounding == KPU_ROUND_V01 ? KPU_CONV_ROUND_CS
                                                         : KPU_CONV_ROUND_RNE_BUGGY;
    kpu_status_t st = kpu_conv_prepare(&layer, job, r, diag);
    if (st != KPU_OK)
        return st;
    size_t need = kpu_conv_scratch_size(&layer);
    if (reserve_scratch(s, need) != KPU_OK)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1,
                            "soft KPU: no memory for %zu bytes of layer scratch", need);
    kpu_conv_run(&layer, s->ram, s->scratch, job->stream_out,
                 job->stream_out != NULL ? job->stream_size : 0);
    s->pending = 1;
    return KPU_OK;
}

static kpu_status_t soft_wait(void *self, uint32_t timeout_ms, kpu_diag_t *diag)
{
    kpu_soft_t *s = self;
    (void)timeout_ms;
    if (s == NULL)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "soft KPU: NULL backend");
    if (!s->pending)
        return kpu_diag_set(diag, KPU_ERR_STATE, -1, "soft KPU: wait without a submitted layer");
    s->pending = 0;
    return KPU_OK;
}

static kpu_status_t soft_ram_read(void *self, size_t offset, void *dst, size_t n)
{
    kpu_soft_t *s = self;
    if (s == NULL || (dst == NULL && n != 0))
        return KPU_ERR_ARGUMENT;
    if (offset > KPU_RAM_BYTES || n > KPU_RAM_BYTES - offset)
        return KPU_ERR_BOUNDS;
    if (n != 0)
        memcpy(dst, s->ram + offset, n);
    return KPU_OK;
}

static kpu_status_t soft_ram_write(void *self, size_t offset, const void *src, size_t n)
{
    kpu_soft_t *s = self;
    if (s == NULL || (src == NULL && n != 0))
        return KPU_ERR_ARGUMENT;
    if (offset > KPU_RAM_BYTES || n > KPU_RAM_BYTES - offset)
        return KPU_ERR_BOUNDS;
    if (n != 0)
        memcpy(s->ram + offset, src, n);
    return KPU_OK;
}
