/* The MaixPy-level net: counting allocator, lifetime (deinit / destroy), memory loads, input
 * checks, set_layers, forward, feature-map descriptors and netinfo rows. yolo2 and the flash
 * loads are in kpu_net_yolo2.c and kpu_flash_load.c. */
#include "kpu_net_internal.h"

#include "kmodel_v3.h"
#include "kmodel_v4.h"
#include "kmodel_v5.h"

/* ----- counting allocator ------------------------------------------------------------------ */

/* Each block carries its size and the header length just below the returned pointer, so free
 * can count without help from the caller. */
#define HDR_MIN 16u

static size_t header_for(size_t align) { return align > HDR_MIN ? align : HDR_MIN; }

static void count(kpu_net_t *net, size_t add, size_t sub)
{
    net->held = net->held + add - sub;
    kpu_api_t *api = net->api;
    api->held = api->held + add - sub;
    if (api->held > api->peak)
        api->peak = api->held;
}

static void *counting_alloc(void *ctx, size_t size, size_t align)
{
    kpu_net_t *net = ctx;
    if (align == 0)
        align = 1;
    size_t hdr = header_for(align);
    if (hdr > 256 || size > SIZE_MAX - hdr)
        return NULL;
    uint8_t *raw = net->api->alloc.alloc(net->api->alloc.ctx, size + hdr, hdr);
    if (!raw)
        return NULL;
    uint8_t *user = raw + hdr;
    size_t meta[2] = {size, hdr};
    memcpy(user - sizeof meta, meta, sizeof meta);
    count(net, size, 0);
    return user;
}

static void counting_free(void *ctx, void *ptr)
{
    kpu_net_t *net = ctx;
    if (!ptr)
        return;
    uint8_t *user = ptr;
    size_t meta[2];
    memcpy(meta, user - sizeof meta, sizeof meta);
    count(net, 0, meta[0]);
    net->api->alloc.free(net->api->alloc.ctx, user - meta[1]);
}

void *kpu_net_alloc(kpu_net_t *net, size_t size, size_t align)
{
    return counting_alloc(net, size ? size : 1, align);
}

void kpu_net_release(kpu_net_t *net, void *ptr) { counting_free(net, ptr); }

/* ----- api -------------------------------------------------------------------------------- */

void kpu_api_init(kpu_api_t *api, const kpu_allocator_t *alloc)
{
    if (!api)
        return;
    memset(api, 0, sizeof *api);
    if (alloc)
        api->alloc = *alloc;
    api->max_model_size = KPU_API_MAX_MODEL_SIZE;
}

int kpu_api_v4_build(void)
{
    /* a V4 header without a body: only a build without a V4 container names the version */
    static const uint8_t probe[8] = {'L', 'D', 'M', 'K', 4, 0, 0, 0};
    return kpu_model_validate(probe, sizeof probe, 0, NULL) != KPU_ERR_VERSION_V4V5;
}

const char *kpu_api_error_text(kpu_status_t st)
{
    return kpu_maixpy_code_text(kpu_status_maixpy_code(st), kpu_api_v4_build());
}

/* ----- lifetime --------------------------------------------------------------------------- */

kpu_status_t kpu_net_create(kpu_api_t *api, kpu_net_source_t source, kpu_net_t **out,
                            kpu_diag_t *diag)
{
    if (!out)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no result pointer");
    *out = NULL;
    if (!api || !api->alloc.alloc || !api->alloc.free)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "kpu_api_t without an allocator");
    kpu_net_t boot;
    memset(&boot, 0, sizeof boot);
    boot.api = api;
    kpu_net_t *net = counting_alloc(&boot, sizeof *net, 8);
    if (!net)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for a net (%lu bytes)",
                            (unsigned long)sizeof *net);
    memset(net, 0, sizeof *net);
    net->api = api;
    net->held = boot.held;
    net->alloc.alloc = counting_alloc;
    net->alloc.free = counting_free;
    net->alloc.ctx = net;
    net->source = source;
    net->last_layer = -1;
    api->nets++;
    *out = net;
    return KPU_OK;
}

void kpu_net_loaded_model(kpu_net_t *net)
{
    net->layer_count = kpu_model_layer_count(net->model);
}

void kpu_net_deinit(kpu_net_t *net)
{
    if (!net)
        return;
    if (net->model)
        kpu_model_free(net->model);
    net->model = NULL;
    void **owned[] = {(void **)&net->file, (void **)&net->map, (void **)&net->anchors,
                      (void **)&net->dets, (void **)&net->body_sizes,
                      (void **)&net->stream_buf[0], (void **)&net->stream_buf[1]};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        kpu_net_release(net, *owned[i]);
        *owned[i] = NULL;
    }
    net->file_size = net->map_cap = net->map_size = net->dets_cap = net->stream_cap = 0;
    net->has_yolo2 = 0;
    net->last_layer = -1;
    net->generation++;
}

void kpu_net_destroy(kpu_net_t *net)
{
    if (!net)
        return;
    kpu_net_deinit(net);
    kpu_api_t *api = net->api;
    api->nets--;
    counting_free(net, net);
}

static kpu_status_t need_model(const kpu_net_t *net, kpu_diag_t *diag)
{
    if (!net)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no net");
    if (!net->model)
        return kpu_diag_set(diag, KPU_ERR_STATE, -1,
                            "the net was released by deinit: load the model again");
    return KPU_OK;
}

/* ----- loading from memory ------------------------------------------------------------------ */

kpu_status_t kpu_net_load_memory(kpu_api_t *api, kpu_net_t **out, const uint8_t *data,
                                 size_t size, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (out)
        *out = NULL;
    if (!data || size == 0)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "empty model file");
    uint32_t max = api && api->max_model_size ? api->max_model_size : KPU_API_MAX_MODEL_SIZE;
    if (size > max)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "model size err: %lu bytes (at most %lu)",
                            (unsigned long)size, (unsigned long)max);
    int be = 0;
    if (kpu_kmodel_version(data, size, &be) == 3 && be)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                            "word-swapped (big-endian) kmodel: KPU.load needs the original "
                            "file; the swapped copy is for KPU.load_flash");
    kpu_net_t *net;
    kpu_status_t st = kpu_net_create(api, KPU_NET_FROM_MEMORY, &net, diag);
    if (st != KPU_OK)
        return st;
    net->file = kpu_net_alloc(net, size, 256);
    if (!net->file) {
        kpu_net_destroy(net);
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the model (%lu bytes)",
                            (unsigned long)size);
    }
    memcpy(net->file, data, size);
    net->file_size = size;
    net->model_size = (uint32_t)size;
    st = kpu_model_load(&net->model, net->file, size, 0, &net->alloc, diag);
    if (st != KPU_OK) {
        kpu_net_destroy(net);
        return st;
    }
    kpu_net_loaded_model(net);
    *out = net;
    return KPU_OK;
}

/* ----- queries ---------------------------------------------------------------------------- */

int kpu_net_loaded(const kpu_net_t *net) { return net && net->model; }
kpu_net_source_t kpu_net_source(const kpu_net_t *net) { return net ? net->source : 0; }
uint32_t kpu_net_model_addr(const kpu_net_t *net) { return net ? net->addr : 0; }
uint32_t kpu_net_model_size(const kpu_net_t *net) { return net ? net->model_size : 0; }
uint32_t kpu_net_version(const kpu_net_t *net)
{
    return kpu_net_loaded(net) ? kpu_model_version(net->model) : 0;
}
uint32_t kpu_net_layer_count(const kpu_net_t *net) { return net ? net->layer_count : 0; }
uint32_t kpu_net_output_count(const kpu_net_t *net)
{
    return kpu_net_loaded(net) ? kpu_model_output_count(net->model) : 0;
}
size_t kpu_net_memory(const kpu_net_t *net) { return net ? net->held : 0; }
int32_t kpu_net_active_layers(const kpu_net_t *net) { return net ? net->active_layers : 0; }
int32_t kpu_net_last_layer(const kpu_net_t *net) { return net ? net->last_layer : -1; }
uint32_t kpu_net_generation(const kpu_net_t *net) { return net ? net->generation : 0; }

kpu_status_t kpu_net_input_info(const kpu_net_t *net, kpu_tensor_info_t *info, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    kpu_status_t st = need_model(net, diag);
    return st != KPU_OK ? st : kpu_model_input_info(net->model, info, diag);
}

kpu_status_t kpu_net_check_image(const kpu_net_t *net, int has_ai, uint32_t w, uint32_t h,
                                 int format, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    kpu_status_t st = need_model(net, diag);
    if (st != KPU_OK)
        return st;
    kpu_tensor_info_t in;
    st = kpu_model_input_info(net->model, &in, diag);
    if (st == KPU_OK && in.dtype != KPU_DTYPE_UINT8)
        st = kpu_diag_set(diag, KPU_ERR_FIRST_LAYER, 0,
                          "the model takes %lu float values, not an image", (unsigned long)in.w);
    if (st != KPU_OK)
        return st;
    if (!has_ai)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "[MAIXPY]kpu: pix_ai is NULL!");
    if (w != in.w || h != in.h)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "[MAIXPY]kpu: img w=%lu,h=%lu, but model w=%lu,h=%lu",
                            (unsigned long)w, (unsigned long)h, (unsigned long)in.w,
                            (unsigned long)in.h);
    if (format == KPU_IMAGE_GRAYSCALE && in.c != 1)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "[MAIXPY]kpu: grayscale img, but model channel=%lu",
                            (unsigned long)in.c);
    if (format == KPU_IMAGE_RGB565 && in.c != 3)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "[MAIXPY]kpu: RGB img, but model channel=%lu", (unsigned long)in.c);
    if (format != KPU_IMAGE_GRAYSCALE && format != KPU_IMAGE_RGB565)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "[MAIXPY]kpu: img bpp not support yet!");
    return KPU_OK;
}

/* ----- set_layers / set_outputs ------------------------------------------------------------- */

kpu_status_t kpu_net_set_layers(kpu_net_t *net, int32_t n, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    kpu_status_t st = need_model(net, diag);
    if (st != KPU_OK)
        return st;
    if (n > 0 && (uint32_t)n > net->layer_count)
        return kpu_diag_set(diag, KPU_ERR_INDEX, -1, "err: set layers_length to %ld, but max %lu",
                            (long)n, (unsigned long)net->layer_count);
    net->active_layers = n > 0 ? n : 0;
    return KPU_OK;
}

kpu_status_t kpu_net_set_output_shape(kpu_net_t *net, uint32_t index, uint32_t w, uint32_t h,
                                      uint32_t ch, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    kpu_status_t st = need_model(net, diag);
    if (st != KPU_OK)
        return st;
    if (kpu_model_version(net->model) != 4)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                            "set_outputs is for kmodel V4 only (this net is V%lu)",
                            (unsigned long)kpu_model_version(net->model));
    uint32_t n = kpu_model_output_count(net->model);
    if (index >= n || index >= KPU_API_OUTPUT_SLOTS)
        return kpu_diag_set(diag, KPU_ERR_INDEX, -1, "kmodel output idx %lu out of range",
                            (unsigned long)index);
    const uint8_t *data;
    size_t size;
    kpu_dtype_t dtype;
    st = kpu_model_output(net->model, index, &data, &size, &dtype, diag);
    if (st != KPU_OK)
        return st;
    uint64_t want = (uint64_t)w * h * ch * 4u;
    if (w > 0xFFFF || h > 0xFFFF || ch > 0xFFFF || want != size)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1, "w*h*ch!=%lu", (unsigned long)size);
    net->out_shape[index][0] = (uint16_t)w;
    net->out_shape[index][1] = (uint16_t)h;
    net->out_shape[index][2] = (uint16_t)ch;
    return KPU_OK;
}

/* ----- forward and maps --------------------------------------------------------------------- */

/* Copies the map of a partial run's last layer now: KPU RAM belongs to the next run. */
static kpu_status_t keep_map(kpu_net_t *net, const kpu_backend_t *backend, uint32_t layer,
                             kpu_diag_t *diag)
{
    kpu_tensor_info_t info;
    kpu_status_t st = kpu_model_layer_output_info(net->model, layer, &info, diag);
    if (st != KPU_OK)
        return st;
    size_t elem = info.dtype == KPU_DTYPE_FLOAT32 ? 4u : 1u;
    size_t need = (size_t)info.w * info.h * info.c * elem;
    if (info.size > need)
        need = info.size;
    if (need > net->map_cap) {
        kpu_net_release(net, net->map);
        net->map_cap = net->map_size = 0;
        net->map = kpu_net_alloc(net, need, 8);
        if (!net->map)
            return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, (int32_t)layer,
                                "no memory for layer %lu's map (%lu bytes)",
                                (unsigned long)layer, (unsigned long)need);
        net->map_cap = need;
    }
    return kpu_model_read_layer_output(net->model, backend, layer, -1, net->map, net->map_cap,
                                       &net->map_size, diag);
}

kpu_status_t kpu_net_forward(kpu_net_t *net, const kpu_backend_t *backend, const void *input,
                             size_t input_size, int32_t end_layer, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    kpu_status_t st = need_model(net, diag);
    if (st != KPU_OK)
        return st;
    int32_t last = (int32_t)net->layer_count - 1;
    if (end_layer >= 0) {
        if ((uint32_t)end_layer >= net->layer_count)
            return kpu_diag_set(diag, KPU_ERR_INDEX, end_layer,
                                "end layer %ld out of range: the model has layers 0..%ld",
                                (long)end_layer, (long)last);
        last = end_layer;
    } else if (net->active_layers > 0) {
        last = net->active_layers - 1;
    }
    net->generation++;
    net->last_layer = -1;
    net->map_size = 0;
    st = kpu_model_run(net->model, backend, input, input_size, last, diag);
    if (st != KPU_OK)
        return st;
    if ((uint32_t)last + 1 < net->layer_count) {
        st = keep_map(net, backend, (uint32_t)last, diag);
        if (st != KPU_OK)
            return st;
    }
    net->last_layer = last;
    return KPU_OK;
}

char kpu_layer_typecode(uint32_t type)
{
    switch (type) {
    case KL_ADD: case KL_GLOBAL_AVERAGE_POOL2D: case KL_AVERAGE_POOL2D: case KL_DEQUANTIZE:
    case KL_L2_NORMALIZATION: case KL_SOFTMAX: case KL_CONCAT: case KL_FULLY_CONNECTED:
    case KL_TENSORFLOW_FLATTEN: case KL_RESIZE_NEAREST_NEIGHBOR: case KL_CHANNELWISE_DEQUANTIZE:
    case KL_LOGISTIC:
        return 'f';
    case KL_QUANTIZED_ADD: case KL_QUANTIZED_MAX_POOL2D: case KL_QUANTIZED_AVERAGE_POOL2D:
    case KL_QUANTIZE: case KL_REQUANTIZE: case KL_QUANTIZED_CONCAT:
    case KL_QUANTIZED_FULLY_CONNECTED: case KL_QUANTIZED_TENSORFLOW_FLATTEN:
    case KL_QUANTIZED_RESIZE_NEAREST_NEIGHBOR: case KL_K210_CONV: case KL_K210_ADD_PADDING:
    case KL_K210_REMOVE_PADDING: case KL_K210_UPLOAD:
        return 'B';
    default:
        return '\0';
    }
}

/* Shape and element type of a V4 / V5 map (fmap->data, size, index already set):
 *  - a partial run: the last computed layer as the model describes it;
 *  - V4 output i: the shape set_outputs gave (float32, as MaixPy), else the graph's
 *    (kpu_v4_output_info);
 *  - V5 output i: the shape the model records for it (kpu_v5_output_info). */
static kpu_status_t describe_graph_map(const kpu_net_t *net, uint32_t index, int partial,
                                       kpu_fmap_t *fmap, kpu_diag_t *diag)
{
    kpu_layer_info_t li;
    kpu_status_t st = kpu_model_layer_info(net->model, fmap->index, &li, diag);
    if (st != KPU_OK)
        return st;
    fmap->layer_type = li.type;
    uint32_t version = kpu_model_version(net->model);
    if (!partial && version == 4 && index < KPU_API_OUTPUT_SLOTS &&
        net->out_shape[index][0] && net->out_shape[index][1] && net->out_shape[index][2]) {
        fmap->w = net->out_shape[index][0];
        fmap->h = net->out_shape[index][1];
        fmap->ch = net->out_shape[index][2];
        fmap->typecode = 'f';
        return KPU_OK;
    }
    kpu_tensor_info_t ti;
    memset(&ti, 0, sizeof ti);
    if (partial)
        st = kpu_model_layer_output_info(net->model, fmap->index, &ti, diag);
    else if (version == 4)
        st = kpu_v4_output_info(net->model, index, &ti, diag);
    else
        st = kpu_v5_output_info(net->model, index, &ti, diag);
    if (st != KPU_OK)
        return st;
    size_t es = ti.dtype == KPU_DTYPE_FLOAT32 ? 4u : 1u;
    fmap->typecode = ti.dtype == KPU_DTYPE_FLOAT32 ? 'f' : 'B';
    if ((uint64_t)ti.w * ti.h * ti.c * es == fmap->size) {
        fmap->w = ti.w;
        fmap->h = ti.h;
        fmap->ch = ti.c;
    } else { /* a shape that does not cover the bytes: describe them flat */
        fmap->w = (uint32_t)(fmap->size / es);
        fmap->h = fmap->ch = 1;
    }
    return KPU_OK;
}

kpu_status_t kpu_net_get_output(const kpu_net_t *net, uint32_t index, kpu_fmap_t *fmap,
                                kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    kpu_status_t st = need_model(net, diag);
    if (st != KPU_OK)
        return st;
    if (!fmap)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no fmap");
    if (net->last_layer < 0)
        return kpu_diag_set(diag, KPU_ERR_STATE, -1, "the net has not run: call forward first");
    uint32_t last = (uint32_t)net->last_layer;
    memset(fmap, 0, sizeof *fmap);
    if (last + 1 < net->layer_count) {
        if (index != 0)
            return kpu_diag_set(diag, KPU_ERR_INDEX, -1,
                                "output %lu: a run that stopped at layer %lu has only output 0 "
                                "(that layer's map)", (unsigned long)index, (unsigned long)last);
        fmap->data = net->map;
        fmap->size = net->map_size;
    } else {
        kpu_dtype_t dtype;
        st = kpu_model_output(net->model, index, &fmap->data, &fmap->size, &dtype, diag);
        if (st != KPU_OK)
            return st;
    }
    fmap->index = last;
    fmap->generation = net->generation;
    if (kpu_model_version(net->model) != 3)
        return describe_graph_map(net, index, last + 1 < net->layer_count, fmap, diag);
    kpu_layer_info_t li;
    st = kpu_model_layer_info(net->model, last, &li, diag);
    if (st != KPU_OK)
        return st;
    fmap->layer_type = li.type;
    if (li.type == KL_K210_CONV) {
        fmap->w = li.wo;
        fmap->h = li.ho;
        fmap->ch = li.cho;
        fmap->typecode = 'B';
    } else {
        fmap->typecode = kpu_layer_typecode(li.type);
        fmap->w = (uint32_t)(fmap->size / (fmap->typecode == 'f' ? 4u : 1u));
        fmap->h = fmap->ch = 1;
    }
    return KPU_OK;
}

kpu_status_t kpu_net_layer_info(const kpu_net_t *net, uint32_t layer, kpu_layer_info_t *info,
                                kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    kpu_status_t st = need_model(net, diag);
    if (st != KPU_OK)
        return st;
    if (!info)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no info");
    st = kpu_model_layer_info(net->model, layer, info, diag);
    if (st != KPU_OK)
        return st;
    info->flags &= ~KPU_V3_CONV_EXTERNAL;
    if (net->body_sizes)
        info->body_size = net->body_sizes[layer];
    if (info->type != KL_K210_CONV) {
        uint32_t index = info->index, type = info->type, off = info->body_offset;
        uint32_t size = info->body_size, flags = info->flags;
        memset(info, 0, sizeof *info);
        info->index = index;
        info->type = type;
        info->para_size = size;
        info->body_offset = off;
        info->body_size = size;
        info->flags = flags;
    }
    return KPU_OK;
}
