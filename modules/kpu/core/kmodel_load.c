/* Version detection, word-swap conversion, loading and the public kpu_model_* functions, which
 * check their arguments and dispatch to the container of the model's version. */
#include "kmodel_internal.h"
#include "kmodel_v3.h"
#include "kmodel_v4.h"
#include "kmodel_v5.h"

#define KMDL_MAGIC 0x4B4D444Cu      /* 'KMDL' as a little-endian u32: bytes "LDMK" */
#define SMODEL_V3_MAGIC 0x2713u     /* encrypted V3 (.smodel), maixpy-kpu-api.md 6.1 */

/* Every container this build can run. A V4 or V5 container is one more entry here. */
static const kpu_container_t *const containers[] = {
    &kpu_container_v3,
    &kpu_container_v4,
    &kpu_container_v5,
};

static const kpu_container_t *find_container(uint32_t version)
{
    for (size_t i = 0; i < sizeof containers / sizeof containers[0]; i++)
        if (containers[i]->version == version)
            return containers[i];
    return NULL;
}

static const char *const layer_names[26] = {
    "INVALID", "ADD", "QUANTIZED_ADD", "GLOBAL_MAX_POOL2D", "QUANTIZED_GLOBAL_MAX_POOL2D",
    "GLOBAL_AVERAGE_POOL2D", "QUANTIZED_GLOBAL_AVERAGE_POOL2D", "MAX_POOL2D",
    "QUANTIZED_MAX_POOL2D", "AVERAGE_POOL2D", "QUANTIZED_AVERAGE_POOL2D", "QUANTIZE",
    "DEQUANTIZE", "REQUANTIZE", "L2_NORMALIZATION", "SOFTMAX", "CONCAT", "QUANTIZED_CONCAT",
    "FULLY_CONNECTED", "QUANTIZED_FULLY_CONNECTED", "TENSORFLOW_FLATTEN",
    "QUANTIZED_TENSORFLOW_FLATTEN", "RESIZE_NEAREST_NEIGHBOR",
    "QUANTIZED_RESIZE_NEAREST_NEIGHBOR", "CHANNELWISE_DEQUANTIZE", "LOGISTIC",
};

const char *kpu_layer_type_name(uint32_t type)
{
    if (type < 26)
        return layer_names[type];
    switch (type) {
    case KL_K210_CONV: return "K210_CONV";
    case KL_K210_ADD_PADDING: return "K210_ADD_PADDING";
    case KL_K210_REMOVE_PADDING: return "K210_REMOVE_PADDING";
    case KL_K210_UPLOAD: return "K210_UPLOAD";
    case KPU_V5_PROGRAM_LAYER: return kpu_v5_layer_type_name(type);
    default: return kpu_v4_layer_type_name(type); /* V4 nodes, or NULL */
    }
}

uint32_t kpu_kmodel_version(const uint8_t *data, size_t size, int *big_endian)
{
    if (big_endian)
        *big_endian = 0;
    if (!data || size < 8)
        return 0;
    if (kpu_rd32(data, 0) == 3)
        return 3;
    if (kpu_rd32(data, 1) == 3) {
        if (big_endian)
            *big_endian = 1;
        return 3;
    }
    if (kpu_rd32(data, 0) == KMDL_MAGIC) {
        uint32_t v = kpu_rd32(data + 4, 0);
        return (v == 4 || v == 5) ? v : 0;
    }
    return 0;
}

void kpu_kmodel_swap_words(uint8_t *data, size_t size)
{
    if (!data)
        return;
    for (size_t i = 0; i + 4 <= size; i += 4) {
        uint8_t a = data[i], b = data[i + 1];
        data[i] = data[i + 3];
        data[i + 1] = data[i + 2];
        data[i + 2] = b;
        data[i + 3] = a;
    }
}

/* Finds the container for a file, or says precisely why there is none. */
static kpu_status_t detect(const uint8_t *data, size_t size, uint32_t flags,
                           const kpu_container_t **out, int *swapped, kpu_diag_t *diag)
{
    if (!data)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no model data");
    if (size < 8)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1,
                            "%lu bytes is too short for a kmodel header", (unsigned long)size);
    int be = 0;
    uint32_t version = kpu_kmodel_version(data, size, &be);
    uint32_t first = kpu_rd32(data, 0);
    if (version == 0) {
        if (first == KMDL_MAGIC)
            return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                                "unknown kmodel version %lu in a 'KMDL' container",
                                (unsigned long)kpu_rd32(data + 4, 0));
        if (first == SMODEL_V3_MAGIC)
            return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                                "encrypted kmodel (.smodel) not supported");
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                            "not a kmodel: first word 0x%08lx (V3 starts with 3, V4/V5 with 'KMDL')",
                            (unsigned long)first);
    }
    if (be && !(flags & KPU_LOAD_CONVERT_BIG_ENDIAN))
        return kpu_diag_set(diag, KPU_ERR_BIG_ENDIAN, -1,
                            "big-endian (word-swapped) kmodel V3: convert it (swap every 32-bit "
                            "word) or load with KPU_LOAD_CONVERT_BIG_ENDIAN");
    const kpu_container_t *c = find_container(version);
    if (!c)
        return kpu_diag_set(diag, (version == 4 || version == 5) ? KPU_ERR_VERSION_V4V5
                                                                 : KPU_ERR_VERSION,
                            -1, "kmodel V4/V5 not supported yet");
    *out = c;
    *swapped = be;
    return KPU_OK;
}

kpu_status_t kpu_model_validate(const uint8_t *data, size_t size, uint32_t flags, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    const kpu_container_t *c = NULL;
    int swapped = 0;
    kpu_status_t st = detect(data, size, flags, &c, &swapped, diag);
    if (st != KPU_OK)
        return st;
    return c->validate(data, size, swapped, diag);
}

void *kpu_model_alloc(kpu_model_t *m, size_t size, size_t align)
{
    if (size == 0)
        size = 1;
    void *p = m->alloc.alloc(m->alloc.ctx, size, align);
    if (p)
        m->held += size;
    return p;
}

void kpu_model_release(kpu_model_t *m, void *ptr, size_t size)
{
    if (!ptr)
        return;
    m->alloc.free(m->alloc.ctx, ptr);
    m->held -= size ? size : 1;
}

kpu_status_t kpu_model_load(kpu_model_t **out, const uint8_t *data, size_t size, uint32_t flags,
                            const kpu_allocator_t *alloc, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!out || !alloc || !alloc->alloc || !alloc->free)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "kpu_model_load needs out and an allocator");
    *out = NULL;
    const kpu_container_t *c = NULL;
    int swapped = 0;
    kpu_status_t st = detect(data, size, flags, &c, &swapped, diag);
    if (st != KPU_OK)
        return st;
    st = c->validate(data, size, swapped, diag);
    if (st != KPU_OK)
        return st;

    kpu_model_t *m = alloc->alloc(alloc->ctx, sizeof *m, 8);
    if (!m)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the model (%lu bytes)",
                            (unsigned long)sizeof *m);
    memset(m, 0, sizeof *m);
    m->container = c;
    m->alloc = *alloc;
    m->held = sizeof *m;
    m->last_run = -1;
    m->data = data;
    m->size = size;
    if (swapped || (flags & KPU_LOAD_COPY)) {
        /* 256-byte alignment keeps the file's table alignments absolute (spec 3.4) */
        m->copy = kpu_model_alloc(m, size, 256);
        if (!m->copy) {
            kpu_model_free(m);
            return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1,
                                "no memory for a copy of the model (%lu bytes)", (unsigned long)size);
        }
        memcpy(m->copy, data, size);
        if (swapped)
            kpu_kmodel_swap_words(m->copy, size);
        m->data = m->copy;
    }
    st = c->open(m, diag);
    if (st != KPU_OK) {
        kpu_model_free(m);
        return st;
    }
    *out = m;
    return KPU_OK;
}

kpu_status_t kpu_model_load_stream(kpu_model_t **out, const uint8_t *data, size_t size,
                                   const kpu_conv_stream_t *stream, const kpu_allocator_t *alloc,
                                   kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!out || !data || !stream || !stream->fetch || !alloc || !alloc->alloc || !alloc->free)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "kpu_model_load_stream needs out, data, a stream and an allocator");
    *out = NULL;
    int swapped = 0;
    uint32_t version = size >= 8 ? kpu_kmodel_version(data, size, &swapped) : 0;
    if ((version != 3 && version != 4) || swapped)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1, "a load_flash image must be kmodel V3 or "
                            "V4 in host word order");
    kpu_status_t st = version == 3 ? kpu_v3_validate_stream(data, size, diag)
                                   : kpu_v4_validate_stream(data, size, diag);
    if (st != KPU_OK)
        return st;
    kpu_model_t *m = alloc->alloc(alloc->ctx, sizeof *m, 8);
    if (!m)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the model (%lu bytes)",
                            (unsigned long)sizeof *m);
    memset(m, 0, sizeof *m);
    m->container = version == 3 ? &kpu_container_v3 : &kpu_container_v4;
    m->alloc = *alloc;
    m->held = sizeof *m;
    m->last_run = -1;
    m->data = data;
    m->size = size;
    m->stream = stream;
    st = m->container->open(m, diag);
    if (st != KPU_OK) {
        kpu_model_free(m);
        return st;
    }
    *out = m;
    return KPU_OK;
}

void kpu_model_free(kpu_model_t *m)
{
    if (!m)
        return;
    m->container->close(m);
    if (m->copy)
        kpu_model_release(m, m->copy, m->size);
    kpu_allocator_t alloc = m->alloc;
    alloc.free(alloc.ctx, m);
}

uint32_t kpu_model_version(const kpu_model_t *m) { return m ? m->container->version : 0; }

uint32_t kpu_model_layer_count(const kpu_model_t *m)
{
    return m ? m->container->layer_count(m) : 0;
}

size_t kpu_model_memory(const kpu_model_t *m) { return m ? m->held : 0; }

size_t kpu_model_main_memory(const kpu_model_t *m) { return m ? m->main_size : 0; }

kpu_status_t kpu_model_input_info(const kpu_model_t *m, kpu_tensor_info_t *info, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!m || !info)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no model or info");
    return m->container->input_info(m, info, diag);
}

kpu_status_t kpu_model_run(kpu_model_t *m, const kpu_backend_t *backend, const void *input,
                           size_t input_size, int32_t last_layer, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!m || !input || (backend && !backend->ops))
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "kpu_model_run needs a model and an input");
    uint32_t count = m->container->layer_count(m);
    if (last_layer >= 0 && (uint32_t)last_layer >= count)
        return kpu_diag_set(diag, KPU_ERR_INDEX, last_layer, "layer %ld out of range (0..%lu)",
                            (long)last_layer, (unsigned long)count - 1);
    uint32_t last = last_layer < 0 ? count - 1 : (uint32_t)last_layer;
    m->last_run = -1;
    kpu_status_t st = m->container->run(m, backend, input, input_size, last, diag);
    if (st == KPU_OK)
        m->last_run = (int32_t)last;
    return st;
}

int32_t kpu_model_last_run_layer(const kpu_model_t *m) { return m ? m->last_run : -1; }

uint32_t kpu_model_output_count(const kpu_model_t *m)
{
    return m ? m->container->output_count(m) : 0;
}

kpu_status_t kpu_model_output(const kpu_model_t *m, uint32_t i, const uint8_t **data, size_t *size,
                              kpu_dtype_t *dtype, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!m || !data || !size || !dtype)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no model or result pointers");
    uint32_t n = m->container->output_count(m);
    if (i >= n)
        return kpu_diag_set(diag, KPU_ERR_INDEX, -1, "output %lu out of range (the model has %lu)",
                            (unsigned long)i, (unsigned long)n);
    return m->container->output(m, i, data, size, dtype, diag);
}

static kpu_status_t check_layer(const kpu_model_t *m, uint32_t layer, kpu_diag_t *diag)
{
    uint32_t n = m->container->layer_count(m);
    if (layer >= n)
        return kpu_diag_set(diag, KPU_ERR_INDEX, -1, "layer %lu out of range (the model has %lu)",
                            (unsigned long)layer, (unsigned long)n);
    return KPU_OK;
}

kpu_status_t kpu_model_layer_info(const kpu_model_t *m, uint32_t layer, kpu_layer_info_t *info,
                                  kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!m || !info)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no model or info");
    kpu_status_t st = check_layer(m, layer, diag);
    return st != KPU_OK ? st : m->container->layer_info(m, layer, info, diag);
}

kpu_status_t kpu_model_layer_output_info(const kpu_model_t *m, uint32_t layer,
                                         kpu_tensor_info_t *info, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!m || !info)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no model or info");
    kpu_status_t st = check_layer(m, layer, diag);
    return st != KPU_OK ? st : m->container->layer_output_info(m, layer, info, diag);
}

kpu_status_t kpu_model_read_layer_output(const kpu_model_t *m, const kpu_backend_t *backend,
                                         uint32_t layer, int32_t channel, void *dst,
                                         size_t dst_size, size_t *copied, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (copied)
        *copied = 0;
    if (!m || !dst || !copied)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no model, destination or copied pointer");
    kpu_status_t st = check_layer(m, layer, diag);
    if (st != KPU_OK)
        return st;
    if (m->last_run < 0 || layer > (uint32_t)m->last_run)
        return kpu_diag_set(diag, KPU_ERR_STATE, (int32_t)layer,
                            "layer %lu has not been computed by the previous run", (unsigned long)layer);
    return m->container->read_layer_output(m, backend, layer, channel, dst, dst_size, copied, diag);
}
