/* Running a V3 model (spec section 7): the input goes in as kpu.c puts it (7.2), then layers
 * 0..last run in order: K210_CONV through the backend, K210_UPLOAD and K210_ADD_PADDING into
 * KPU RAM through the backend (section 6), every other layer on the CPU. Also reads layer
 * outputs back (feature maps). */
#include "kmodel_v3.h"

#include "cpu_layers_v3.h"
#include "kpu_layer_arg.h"
#include "kpu_ram_layout.h"

static const kpu_v3_state_t *state(const kpu_model_t *m) { return m->state; }

static void conv_arg(const kpu_model_t *m, const kpu_v3_body_t *b, kpu_layer_arg_t *a)
{
    kpu_layer_arg_decode(m->data + kpu_v3_word(b, 2), a);
}

kpu_status_t kpu_v3_input_info(const kpu_model_t *m, kpu_tensor_info_t *info, kpu_diag_t *diag)
{
    const kpu_v3_state_t *s = state(m);
    kpu_v3_body_t b = kpu_v3_body(m, 0);
    memset(info, 0, sizeof *info);
    if (s->layers[0].type == KL_K210_CONV) {
        kpu_layer_arg_t a;
        conv_arg(m, &b, &a);
        info->w = kpu_arg_iw(&a);
        info->h = kpu_arg_ih(&a);
        info->c = kpu_arg_ic(&a);
        info->dtype = KPU_DTYPE_UINT8;
        info->size = (size_t)info->w * info->h * info->c;
        return KPU_OK;
    }
    if (s->layers[0].type == KL_FULLY_CONNECTED) {
        info->w = kpu_v3_word(&b, 3);
        info->h = info->c = 1;
        info->dtype = KPU_DTYPE_FLOAT32;
        info->size = (size_t)info->w * 4u;
        return KPU_OK;
    }
    const char *name = kpu_layer_type_name(s->layers[0].type);
    return kpu_diag_set(diag, KPU_ERR_FIRST_LAYER, 0,
                        "first layer is %s: only K210_CONV (uint8 image) or FULLY_CONNECTED "
                        "(float vector) can take the input", name ? name : "?");
}

static kpu_status_t backend_failed(kpu_status_t st, const char *what, int32_t layer,
                                   kpu_diag_t *diag)
{
    /* keep the backend's own diagnosis when it wrote one */
    if (diag && diag->status == st && diag->text[0])
        return st;
    return kpu_diag_set(diag, st, layer, "layer %ld: KPU backend %s failed (%s)", (long)layer,
                        what, kpu_status_name(st));
}

static kpu_status_t put_input(kpu_model_t *m, const kpu_backend_t *be, const void *input,
                              size_t input_size, kpu_diag_t *diag)
{
    kpu_tensor_info_t info;
    kpu_status_t st = kpu_v3_input_info(m, &info, diag);
    if (st != KPU_OK)
        return st;
    if (input_size != info.size)
        return kpu_diag_set(diag, KPU_ERR_SIZE, 0, "input has %lu bytes, the model takes %lu "
                            "(%lux%lux%lu %s)", (unsigned long)input_size,
                            (unsigned long)info.size, (unsigned long)info.w,
                            (unsigned long)info.h, (unsigned long)info.c,
                            info.dtype == KPU_DTYPE_UINT8 ? "uint8" : "float32");
    kpu_v3_body_t b = kpu_v3_body(m, 0);
    if (state(m)->layers[0].type == KL_FULLY_CONNECTED) {
        memcpy(m->main_mem + kpu_v3_word(&b, 1), input, input_size);
        return KPU_OK;
    }
    kpu_layer_arg_t a;
    conv_arg(m, &b, &a);
    kpu_ram_layout_t l;
    kpu_ram_layout_init(&l, info.w, info.h, info.c);
    st = kpu_ram_layout_write(&l, be, a.image_src_addr, 0, info.c, input, input_size);
    return st == KPU_OK ? KPU_OK : backend_failed(st, "input upload", 0, diag);
}

static kpu_status_t run_conv(kpu_model_t *m, const kpu_backend_t *be, uint32_t i,
                             kpu_diag_t *diag)
{
    const kpu_v3_state_t *s = state(m);
    kpu_v3_body_t b = kpu_v3_body(m, i);
    uint32_t flags = kpu_v3_word(&b, 0), main_out = kpu_v3_word(&b, 1);
    uint32_t arg_off = kpu_v3_word(&b, 2), w_off = kpu_v3_word(&b, 3);
    uint64_t end = b.offset + b.size;
    kpu_conv_job_t job;
    memset(&job, 0, sizeof job);
    kpu_layer_arg_words(m->data + arg_off, job.arg);
    /* as kpu.c: stream the result to main memory exactly when the body asks for it */
    job.arg[11] &= ~1ull;
    if (flags & 1u) {
        uint64_t dma_total = job.arg[11] >> 32;
        job.arg[11] |= 1ull;
        job.stream_out = m->main_mem + main_out;
        job.stream_size = (size_t)dma_total + 1;
    }
    if (flags & KPU_V3_CONV_EXTERNAL) {
        /* load_flash: the blocks are read from flash into the stream buffer now */
        if (!m->stream)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, (int32_t)i,
                                "layer %lu: external K210_CONV blocks without a stream",
                                (unsigned long)i);
        kpu_conv_blocks_t blk;
        memset(&blk, 0, sizeof blk);
        blk.weights_off = w_off;
        blk.weights_size = kpu_v3_word(&b, 6);
        blk.bn_off = kpu_v3_word(&b, 4);
        blk.bn_size = kpu_v3_word(&b, 7);
        blk.act_off = kpu_v3_word(&b, 5);
        kpu_status_t fst = m->stream->fetch(m->stream->ctx, i, &blk, diag);
        if (fst != KPU_OK)
            return fst;
        job.weights = blk.weights;
        job.weights_size = blk.weights_size;
        job.bn = blk.bn;
        job.act = blk.act;
    } else {
        job.weights = m->data + w_off;
        job.weights_size = (size_t)(end - w_off);
        job.bn = m->data + kpu_v3_word(&b, 4);
        job.act = m->data + kpu_v3_word(&b, 5);
    }
    job.eight_bit = (int)(s->hdr.flags & 1u);
    kpu_status_t st = be->ops->submit(be->self, &job, diag);
    if (st != KPU_OK)
        return backend_failed(st, "submit", (int32_t)i, diag);
    st = be->ops->wait(be->self, KPU_V3_CONV_TIMEOUT_MS, diag);
    if (st != KPU_OK)
        return backend_failed(st, "wait", (int32_t)i, diag);
    return KPU_OK;
}

static kpu_status_t run_upload(kpu_model_t *m, const kpu_backend_t *be, uint32_t i,
                               kpu_diag_t *diag)
{
    kpu_v3_body_t b = kpu_v3_body(m, i);
    uint32_t in = kpu_v3_word(&b, 1), line = kpu_v3_word(&b, 2);
    uint32_t w = kpu_v3_word(&b, 3), h = kpu_v3_word(&b, 4), c = kpu_v3_word(&b, 5);
    kpu_ram_layout_t l;
    kpu_ram_layout_init(&l, w, h, c);
    size_t n = (size_t)w * h * c;
    kpu_status_t st = kpu_ram_layout_write(&l, be, line, 0, c, m->main_mem + in, n);
    return st == KPU_OK ? KPU_OK : backend_failed(st, "RAM write", (int32_t)i, diag);
}

/* Writes only pixel (0,0) of each channel of a 4x4 map (spec section 6): the other 15 bytes
 * keep what KPU RAM held, as on the chip. */
static kpu_status_t run_add_padding(kpu_model_t *m, const kpu_backend_t *be, uint32_t i,
                                    kpu_diag_t *diag)
{
    kpu_v3_body_t b = kpu_v3_body(m, i);
    uint32_t in = kpu_v3_word(&b, 1), line = kpu_v3_word(&b, 2), ch = kpu_v3_word(&b, 3);
    size_t base = (size_t)line * KPU_RAM_LINE_BYTES;
    for (uint32_t c = 0; c < ch; c++) {
        size_t at = base + (size_t)(c / 4) * 256u + (size_t)(c % 4) * 16u;
        kpu_status_t st = be->ops->ram_write(be->self, at, m->main_mem + in + c, 1);
        if (st != KPU_OK)
            return backend_failed(st, "RAM write", (int32_t)i, diag);
    }
    return KPU_OK;
}

kpu_status_t kpu_v3_run(kpu_model_t *m, const kpu_backend_t *be, const void *input,
                        size_t input_size, uint32_t last, kpu_diag_t *diag)
{
    const kpu_v3_state_t *s = state(m);
    if (!be) {
        /* CPU-only models (iris) may run without a backend */
        for (uint32_t i = 0; i <= last; i++)
            if (!kpu_v3_is_cpu_layer(s->layers[i].type))
                return kpu_diag_set(diag, KPU_ERR_ARGUMENT, (int32_t)i,
                                    "layer %lu (%s) needs a KPU backend", (unsigned long)i,
                                    kpu_layer_type_name(s->layers[i].type));
    }
    kpu_status_t st = put_input(m, be, input, input_size, diag);
    if (st != KPU_OK)
        return st;
    for (uint32_t i = 0; i <= last; i++) {
        uint32_t type = s->layers[i].type;
        switch (type) {
        case KL_K210_CONV:
            st = run_conv(m, be, i, diag);
            break;
        case KL_K210_UPLOAD:
            st = run_upload(m, be, i, diag);
            break;
        case KL_K210_ADD_PADDING:
            st = run_add_padding(m, be, i, diag);
            break;
        default: {
            kpu_v3_body_t b = kpu_v3_body(m, i);
            kpu_v3_cpu_run(type, &b, m->main_mem);
            break;
        }
        }
        if (st != KPU_OK)
            return st;
    }
    return KPU_OK;
}

static int overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

/* A layer's output can be read if it is the last computed layer, or if no layer computed
 * after it wrote over the memory that holds it. */
static kpu_status_t still_held(const kpu_model_t *m, uint32_t layer, const kpu_v3_desc_t *d,
                               kpu_diag_t *diag)
{
    const kpu_v3_state_t *s = state(m);
    uint64_t at = d->out_space == KPU_V3_SPACE_MAIN ? d->out_main : d->wr_kpu;
    uint64_t n = d->out_space == KPU_V3_SPACE_MAIN ? d->out.size : d->wr_kpu_size;
    for (uint32_t j = layer + 1; j <= (uint32_t)m->last_run; j++) {
        kpu_v3_body_t b = kpu_v3_body(m, j);
        kpu_v3_desc_t later;
        kpu_status_t st = kpu_v3_describe(s->layers[j].type, &b, s->hdr.flags, m->main_size,
                                          &later, diag, (int32_t)j);
        if (st != KPU_OK)
            return st;
        int hit = d->out_space == KPU_V3_SPACE_MAIN
                      ? overlaps(at, n, later.wr_main, later.wr_main_size)
                      : overlaps(at, n, later.wr_kpu, later.wr_kpu_size);
        if (hit)
            return kpu_diag_set(diag, KPU_ERR_STATE, (int32_t)layer,
                                "layer %lu's output was overwritten by layer %lu; run up to "
                                "layer %lu to read it", (unsigned long)layer, (unsigned long)j,
                                (unsigned long)layer);
    }
    return KPU_OK;
}

kpu_status_t kpu_v3_read_layer_output(const kpu_model_t *m, const kpu_backend_t *be,
                                      uint32_t layer, int32_t channel, void *dst,
                                      size_t dst_size, size_t *copied, kpu_diag_t *diag)
{
    const kpu_v3_state_t *s = state(m);
    kpu_v3_body_t b = kpu_v3_body(m, layer);
    kpu_v3_desc_t d;
    kpu_status_t st = kpu_v3_describe(s->layers[layer].type, &b, s->hdr.flags, m->main_size, &d,
                                      diag, (int32_t)layer);
    if (st != KPU_OK)
        return st;
    st = still_held(m, layer, &d, diag);
    if (st != KPU_OK)
        return st;
    size_t elem = d.out.dtype == KPU_DTYPE_FLOAT32 ? 4u : 1u;
    size_t plane = (size_t)d.out.w * d.out.h * elem;
    size_t first = 0, n = d.out.size;
    uint32_t count = d.out.c;
    if (channel >= 0) {
        if ((uint32_t)channel >= d.out.c)
            return kpu_diag_set(diag, KPU_ERR_INDEX, (int32_t)layer,
                                "channel %ld out of range (layer %lu has %lu)", (long)channel,
                                (unsigned long)layer, (unsigned long)d.out.c);
        first = (size_t)channel * plane;
        n = plane;
        count = 1;
    }
    if (dst_size < n)
        return kpu_diag_set(diag, KPU_ERR_SIZE, (int32_t)layer,
                            "destination has %lu bytes, layer %lu needs %lu",
                            (unsigned long)dst_size, (unsigned long)layer, (unsigned long)n);
    if (d.out_space == KPU_V3_SPACE_MAIN) {
        memcpy(dst, m->main_mem + d.out_main + first, n);
    } else {
        if (!be || !be->ops)
            return kpu_diag_set(diag, KPU_ERR_ARGUMENT, (int32_t)layer,
                                "layer %lu's output is in KPU RAM: a backend is needed",
                                (unsigned long)layer);
        kpu_ram_layout_t l;
        kpu_ram_layout_init(&l, d.out.w, d.out.h, d.out.c);
        st = kpu_ram_layout_read(&l, be, d.out_line, channel >= 0 ? (uint32_t)channel : 0, count,
                                 dst, n);
        if (st != KPU_OK)
            return backend_failed(st, "RAM read", (int32_t)layer, diag);
    }
    *copied = n;
    return KPU_OK;
}
