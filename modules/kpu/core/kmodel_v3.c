/* The V3 container: parses and validates the whole file (header, outputs, layer headers, every
 * body, every offset and address) before a model can exist, and answers the descriptive
 * queries. Running is in kmodel_v3_run.c, the CPU layers in cpu_layers_v3.c. */
#include "kmodel_v3.h"

#include "cpu_layers_v3.h"
#include "kpu_layer_arg.h"

/* The whole-file walk shared by validation (no allocation) and open (fills a layer table). */
/* Bounds: every main-memory range must lie in main_mem_usage rounded up to 8 bytes, the memory
 * the model allocates (nncase pads each buffer to 8; QUANTIZED_ADD relies on it). */
typedef struct v3_file {
    const uint8_t *data;
    size_t size;
    int swap;
    kpu_v3_header_t hdr;
    uint64_t main_size;      /* main memory the model gets: main_mem_usage rounded up to 8 */
    uint64_t layers_offset;  /* first layer header */
    uint64_t bodies_offset;  /* first body */
    int allow_external;      /* compact load_flash image: external K210_CONV bodies allowed */
} v3_file_t;

static uint64_t main_size_of(uint32_t usage) { return ((uint64_t)usage + 7u) & ~(uint64_t)7u; }

static kpu_status_t parse_header(v3_file_t *f, kpu_diag_t *diag)
{
    if (f->size < KPU_V3_HEADER_BYTES)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1,
                            "kmodel V3 header needs 28 bytes, the file has %lu",
                            (unsigned long)f->size);
    uint32_t w[7];
    for (int i = 0; i < 7; i++)
        w[i] = kpu_rd32(f->data + 4 * i, f->swap);
    f->hdr.version = w[0];
    f->hdr.flags = w[1];
    f->hdr.arch = w[2];
    f->hdr.layers_length = w[3];
    f->hdr.max_start_address = w[4];
    f->hdr.main_mem_usage = w[5];
    f->hdr.output_count = w[6];
    if (f->hdr.arch != 0)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "kmodel V3 arch %lu is not K210 (0)",
                            (unsigned long)f->hdr.arch);
    if (f->hdr.layers_length == 0)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "kmodel V3 without layers");
    f->main_size = main_size_of(f->hdr.main_mem_usage);
    f->layers_offset = KPU_V3_HEADER_BYTES + 8ull * f->hdr.output_count;
    f->bodies_offset = f->layers_offset + 8ull * f->hdr.layers_length;
    if (f->bodies_offset > f->size)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1,
                            "%lu output descriptors and %lu layer headers need %llu bytes, the "
                            "file has %lu", (unsigned long)f->hdr.output_count,
                            (unsigned long)f->hdr.layers_length,
                            (unsigned long long)f->bodies_offset, (unsigned long)f->size);
    return KPU_OK;
}

/* Section 5: KPU RAM lines of a W x H x C map (sizes already known to be small). */
static uint64_t map_lines(uint64_t w, uint64_t h, uint64_t c)
{
    uint64_t groups = w <= 16 ? 4 : (w <= 32 ? 2 : 1);
    uint64_t row_len = w <= 32 ? 1 : (w + 63) / 64;
    return row_len * h * ((c + groups - 1) / groups);
}

static void set_kpu_out(kpu_v3_desc_t *d, uint32_t w, uint32_t h, uint32_t c, uint32_t line)
{
    d->out.w = w;
    d->out.h = h;
    d->out.c = c;
    d->out.dtype = KPU_DTYPE_UINT8;
    d->out.size = (size_t)w * h * c;
    d->out_space = KPU_V3_SPACE_KPU;
    d->out_line = line;
    d->wr_kpu = (uint64_t)line * KPU_RAM_LINE_BYTES;
    d->wr_kpu_size = map_lines(w, h, c) * KPU_RAM_LINE_BYTES;
}

static kpu_status_t short_body(const char *name, uint32_t size, uint32_t need, kpu_diag_t *diag,
                               int32_t layer)
{
    return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                        "layer %ld (%s): body has %lu bytes, its fields need %lu", (long)layer,
                        name, (unsigned long)size, (unsigned long)need);
}

/* A block [off, off + n) of a K210_CONV body, given as an absolute file offset. */
static kpu_status_t conv_block(const kpu_v3_body_t *b, uint32_t off, uint64_t n, const char *what,
                               kpu_diag_t *diag, int32_t layer)
{
    uint64_t end = b->offset + b->size;
    if (off >= b->offset && off <= end && n <= end - off)
        return KPU_OK;
    return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                        "layer %ld (K210_CONV): %s at file offset %lu (%llu bytes) outside its "
                        "body (%llu..%llu)", (long)layer, what, (unsigned long)off,
                        (unsigned long long)n, (unsigned long long)b->offset,
                        (unsigned long long)end);
}

static kpu_status_t describe_conv(const kpu_v3_body_t *b, uint32_t header_flags,
                                  uint64_t main_size, kpu_v3_desc_t *d, kpu_diag_t *diag,
                                  int32_t layer)
{
    if (b->size < 24)
        return short_body("K210_CONV", b->size, 24, diag, layer);
    uint32_t flags = kpu_v3_word(b, 0), main_out = kpu_v3_word(b, 1);
    uint32_t arg_off = kpu_v3_word(b, 2), w_off = kpu_v3_word(b, 3);
    uint32_t bn_off = kpu_v3_word(b, 4), act_off = kpu_v3_word(b, 5);
    uint64_t end = b->offset + b->size;
    size_t weights_size, bn_size;
    kpu_status_t st = conv_block(b, arg_off, KPU_LAYER_ARG_BYTES, "layer argument", diag, layer);
    if (flags & KPU_V3_CONV_EXTERNAL) {
        /* load_flash: the blocks stay in flash; their sizes were checked against the original
         * body when the compact image was built */
        if (b->size < KPU_V3_CONV_EXTERNAL_BODY)
            return short_body("K210_CONV", b->size, KPU_V3_CONV_EXTERNAL_BODY, diag, layer);
        weights_size = kpu_v3_word(b, 6);
        bn_size = kpu_v3_word(b, 7);
    } else {
        if (st == KPU_OK)
            st = conv_block(b, w_off, 0, "weights", diag, layer);
        if (st == KPU_OK)
            st = conv_block(b, bn_off, 0, "batch-norm table", diag, layer);
        if (st == KPU_OK)
            st = conv_block(b, act_off, 144, "activation table", diag, layer);
        weights_size = (size_t)(end - w_off);
        bn_size = (size_t)(end - bn_off);
    }
    if (st != KPU_OK)
        return st;
    uint8_t raw[KPU_LAYER_ARG_BYTES];
    for (int i = 0; i < KPU_LAYER_ARG_BYTES; i += 4) {
        uint32_t v = kpu_rd32_at(b->file, b->file_size, (uint64_t)arg_off + (uint64_t)i, b->swap);
        raw[i] = (uint8_t)v;
        raw[i + 1] = (uint8_t)(v >> 8);
        raw[i + 2] = (uint8_t)(v >> 16);
        raw[i + 3] = (uint8_t)(v >> 24);
    }
    kpu_layer_arg_t a;
    kpu_layer_arg_decode(raw, &a);
    st = kpu_layer_arg_validate(&a, (int)(header_flags & 1u), weights_size, bn_size, diag,
                                layer);
    if (st != KPU_OK)
        return st;
    uint32_t ow = kpu_arg_ow(&a), oh = kpu_arg_oh(&a), oc = kpu_arg_oc(&a);
    set_kpu_out(d, ow, oh, oc, a.image_dst_addr);
    d->wi = kpu_arg_iw(&a);
    d->hi = kpu_arg_ih(&a);
    d->chi = kpu_arg_ic(&a);
    if (flags & 1u) {
        uint64_t stream = (uint64_t)a.dma_total_byte + 1;
        if (stream > (uint64_t)d->out.size)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                                "layer %ld (K210_CONV): dma_total_byte %lu beyond the %lu-byte "
                                "output", (long)layer, (unsigned long)a.dma_total_byte,
                                (unsigned long)d->out.size);
        /* kpu.c's DMA moves whole 8-byte words */
        uint64_t moved = (stream + 7) & ~(uint64_t)7;
        if (moved > main_size || main_out > main_size - moved)
            return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                                "layer %ld (K210_CONV): main-memory output (offset %lu, %llu "
                                "bytes) outside main memory (%llu bytes)", (long)layer,
                                (unsigned long)main_out, (unsigned long long)moved,
                                (unsigned long long)main_size);
        d->wr_main = main_out;
        d->wr_main_size = moved;
        if (stream == (uint64_t)d->out.size) {
            d->out_space = KPU_V3_SPACE_MAIN;
            d->out_main = main_out;
        }
    }
    return KPU_OK;
}

kpu_status_t kpu_v3_describe(uint32_t type, const kpu_v3_body_t *b, uint32_t header_flags,
                             uint64_t main_size, kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer)
{
    memset(d, 0, sizeof *d);
    if (kpu_v3_is_cpu_layer(type))
        return kpu_v3_cpu_describe(type, b, main_size, d, diag, layer);
    switch (type) {
    case KL_K210_CONV:
        return describe_conv(b, header_flags, main_size, d, diag, layer);
    case KL_K210_ADD_PADDING: {
        if (b->size < 16)
            return short_body("K210_ADD_PADDING", b->size, 16, diag, layer);
        uint32_t in = kpu_v3_word(b, 1), line = kpu_v3_word(b, 2), ch = kpu_v3_word(b, 3);
        if (ch == 0 || ch > 0xFFFF)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                                "layer %ld (K210_ADD_PADDING): %lu channels", (long)layer,
                                (unsigned long)ch);
        if (in > main_size || ch > main_size - in)
            return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                                "layer %ld (K210_ADD_PADDING): input (offset %lu, %lu bytes) "
                                "outside main memory (%llu bytes)", (long)layer,
                                (unsigned long)in, (unsigned long)ch,
                                (unsigned long long)main_size);
        if ((uint64_t)line + map_lines(4, 4, ch) > KPU_RAM_LINES)
            return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                                "layer %ld (K210_ADD_PADDING): 4x4x%lu map at line %lu outside "
                                "the 2 MiB KPU RAM", (long)layer, (unsigned long)ch,
                                (unsigned long)line);
        set_kpu_out(d, 4, 4, ch, line);
        d->wi = d->hi = 1;
        d->chi = ch;
        return KPU_OK;
    }
    case KL_K210_UPLOAD: {
        if (b->size < 24)
            return short_body("K210_UPLOAD", b->size, 24, diag, layer);
        uint32_t in = kpu_v3_word(b, 1), line = kpu_v3_word(b, 2);
        uint32_t w = kpu_v3_word(b, 3), h = kpu_v3_word(b, 4), c = kpu_v3_word(b, 5);
        if (w == 0 || h == 0 || c == 0 || w > 0xFFFF || h > 0xFFFF || c > 0xFFFF)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                                "layer %ld (K210_UPLOAD): shape %lux%lux%lu", (long)layer,
                                (unsigned long)w, (unsigned long)h, (unsigned long)c);
        uint64_t bytes = (uint64_t)w * h * c;
        if (in > main_size || bytes > main_size - in)
            return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                                "layer %ld (K210_UPLOAD): input (offset %lu, %llu bytes) outside "
                                "main memory (%llu bytes)", (long)layer, (unsigned long)in,
                                (unsigned long long)bytes, (unsigned long long)main_size);
        if ((uint64_t)line + map_lines(w, h, c) > KPU_RAM_LINES)
            return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                                "layer %ld (K210_UPLOAD): %lux%lux%lu map at line %lu outside the "
                                "2 MiB KPU RAM", (long)layer, (unsigned long)w, (unsigned long)h,
                                (unsigned long)c, (unsigned long)line);
        set_kpu_out(d, w, h, c, line);
        d->wi = w;
        d->hi = h;
        d->chi = c;
        return KPU_OK;
    }
    default: {
        const char *name = kpu_layer_type_name(type);
        return kpu_diag_set(diag, KPU_ERR_LAYER_TYPE, layer,
                            "layer %ld: type %lu (%s) is not supported", (long)layer,
                            (unsigned long)type, name ? name : "unknown type");
    }
    }
}

/* Walks every layer header and body. table (may be NULL) receives the layer entries. */
static kpu_status_t walk_layers(const v3_file_t *f, kpu_v3_layer_t *table, kpu_diag_t *diag)
{
    uint64_t off = f->bodies_offset;
    uint32_t n = f->hdr.layers_length;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *h = f->data + f->layers_offset + 8ull * i;
        uint32_t type = kpu_rd32(h, f->swap), body_size = kpu_rd32(h + 4, f->swap);
        int32_t li = (int32_t)(i > INT32_MAX ? INT32_MAX : i);
        if (body_size == 0)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, li, "layer %ld: body_size 0", (long)li);
        uint64_t end = off + body_size;
        /* the writer never writes the final body's padding: up to 7 bytes may be missing */
        uint64_t slack = (i + 1 == n) ? 7 : 0;
        if (end > (uint64_t)f->size + slack)
            return kpu_diag_set(diag, KPU_ERR_TRUNCATED, li,
                                "layer %ld: body ends at byte %llu, the file has %lu", (long)li,
                                (unsigned long long)end, (unsigned long)f->size);
        uint32_t avail = body_size;
        if (end > f->size)
            avail = off >= f->size ? 0 : (uint32_t)(f->size - off);
        kpu_v3_body_t b = {f->data, off, avail, f->swap, f->size};
        if (type == KL_K210_CONV && !f->allow_external && avail >= 4 &&
            (kpu_v3_word(&b, 0) & KPU_V3_CONV_EXTERNAL))
            return kpu_diag_set(diag, KPU_ERR_FORMAT, li,
                                "layer %ld (K210_CONV): reserved flag bit 31 set", (long)li);
        kpu_v3_desc_t d;
        kpu_status_t st = kpu_v3_describe(type, &b, f->hdr.flags, f->main_size, &d, diag, li);
        if (st != KPU_OK)
            return st;
        if (table) {
            table[i].type = type;
            table[i].body_size = body_size;
            table[i].body_offset = off;
            table[i].body_avail = b.size;
        }
        off = end;
    }
    return KPU_OK;
}

static kpu_status_t check_outputs(const v3_file_t *f, kpu_diag_t *diag)
{
    for (uint32_t i = 0; i < f->hdr.output_count; i++) {
        const uint8_t *p = f->data + KPU_V3_HEADER_BYTES + 8ull * i;
        uint64_t addr = kpu_rd32(p, f->swap), size = kpu_rd32(p + 4, f->swap);
        if (addr + size > f->main_size)
            return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                                "output %lu (offset %llu, %llu bytes) outside main memory (%llu "
                                "bytes)", (unsigned long)i, (unsigned long long)addr,
                                (unsigned long long)size, (unsigned long long)f->main_size);
    }
    return KPU_OK;
}

static kpu_status_t v3_validate(const uint8_t *data, size_t size, int swapped, kpu_diag_t *diag)
{
    v3_file_t f = {data, size, swapped, {0}, 0, 0, 0, 0};
    kpu_status_t st = parse_header(&f, diag);
    if (st == KPU_OK)
        st = walk_layers(&f, NULL, diag);
    if (st == KPU_OK)
        st = check_outputs(&f, diag);
    return st;
}

kpu_status_t kpu_v3_validate_stream(const uint8_t *data, size_t size, kpu_diag_t *diag)
{
    v3_file_t f = {data, size, 0, {0}, 0, 0, 0, 1};
    kpu_status_t st = parse_header(&f, diag);
    if (st == KPU_OK)
        st = walk_layers(&f, NULL, diag);
    if (st == KPU_OK)
        st = check_outputs(&f, diag);
    return st;
}

static kpu_status_t v3_open(kpu_model_t *m, kpu_diag_t *diag)
{
    v3_file_t f = {m->data, m->size, 0, {0}, 0, 0, 0, m->stream != NULL};
    kpu_status_t st = parse_header(&f, diag);
    if (st != KPU_OK)
        return st;
    kpu_v3_state_t *s = kpu_model_alloc(m, sizeof *s, 8);
    if (!s)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the model state");
    memset(s, 0, sizeof *s);
    m->state = s;
    s->hdr = f.hdr;
    size_t table_bytes = (size_t)f.hdr.layers_length * sizeof(kpu_v3_layer_t);
    s->layers = kpu_model_alloc(m, table_bytes, 8);
    if (!s->layers)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the layer table (%lu "
                            "bytes)", (unsigned long)table_bytes);
    st = walk_layers(&f, s->layers, diag);
    if (st != KPU_OK)
        return st;
    if (f.main_size > SIZE_MAX)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "main memory too large");
    m->main_mem = kpu_model_alloc(m, (size_t)f.main_size, 8);
    if (!m->main_mem)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for main memory (%llu bytes)",
                            (unsigned long long)f.main_size);
    m->main_size = (size_t)f.main_size;
    memset(m->main_mem, 0, m->main_size);
    return KPU_OK;
}

static void v3_close(kpu_model_t *m)
{
    kpu_v3_state_t *s = m->state;
    if (m->main_mem)
        kpu_model_release(m, m->main_mem, m->main_size);
    m->main_mem = NULL;
    if (s) {
        if (s->layers)
            kpu_model_release(m, s->layers, (size_t)s->hdr.layers_length * sizeof(kpu_v3_layer_t));
        kpu_model_release(m, s, sizeof *s);
    }
    m->state = NULL;
}

kpu_v3_body_t kpu_v3_body(const kpu_model_t *m, uint32_t i)
{
    const kpu_v3_state_t *s = m->state;
    kpu_v3_body_t b = {m->data, s->layers[i].body_offset, s->layers[i].body_avail, 0, 0};
    return b;
}

static uint32_t v3_layer_count(const kpu_model_t *m)
{
    const kpu_v3_state_t *s = m->state;
    return s->hdr.layers_length;
}

static uint32_t v3_output_count(const kpu_model_t *m)
{
    const kpu_v3_state_t *s = m->state;
    return s->hdr.output_count;
}

static kpu_status_t describe_layer(const kpu_model_t *m, uint32_t i, kpu_v3_desc_t *d,
                                   kpu_diag_t *diag)
{
    const kpu_v3_state_t *s = m->state;
    kpu_v3_body_t b = kpu_v3_body(m, i);
    return kpu_v3_describe(s->layers[i].type, &b, s->hdr.flags, m->main_size, d, diag,
                           (int32_t)i);
}

static kpu_status_t v3_output(const kpu_model_t *m, uint32_t i, const uint8_t **data,
                              size_t *size, kpu_dtype_t *dtype, kpu_diag_t *diag)
{
    const kpu_v3_state_t *s = m->state;
    const uint8_t *p = m->data + KPU_V3_HEADER_BYTES + 8ull * i;
    uint32_t addr = kpu_rd32(p, 0);
    *data = m->main_mem + addr;
    *size = kpu_rd32(p + 4, 0);
    /* the element type is that of the last layer writing a tensor at this address; nncase
     * v0.1 assumes f32 outputs otherwise */
    *dtype = KPU_DTYPE_FLOAT32;
    for (uint32_t l = s->hdr.layers_length; l-- > 0;) {
        kpu_v3_desc_t d;
        if (describe_layer(m, l, &d, diag) == KPU_OK && d.out_space == KPU_V3_SPACE_MAIN &&
            d.out_main == addr) {
            *dtype = d.out.dtype;
            break;
        }
    }
    kpu_diag_clear(diag);
    return KPU_OK;
}

static kpu_status_t v3_layer_info(const kpu_model_t *m, uint32_t layer, kpu_layer_info_t *info,
                                  kpu_diag_t *diag)
{
    const kpu_v3_state_t *s = m->state;
    const kpu_v3_layer_t *l = &s->layers[layer];
    kpu_v3_body_t b = kpu_v3_body(m, layer);
    memset(info, 0, sizeof *info);
    info->index = layer;
    info->type = l->type;
    info->body_offset = (uint32_t)l->body_offset;
    info->body_size = l->body_size;
    info->flags = kpu_v3_word(&b, 0);
    if (l->type == KL_K210_CONV) {
        uint8_t raw[KPU_LAYER_ARG_BYTES];
        memcpy(raw, m->data + kpu_v3_word(&b, 2), sizeof raw);
        kpu_layer_arg_t a;
        kpu_layer_arg_decode(raw, &a);
        info->wi = kpu_arg_iw(&a);
        info->hi = kpu_arg_ih(&a);
        info->chi = kpu_arg_ic(&a);
        info->wo = kpu_arg_ow(&a);
        info->ho = kpu_arg_oh(&a);
        info->cho = kpu_arg_oc(&a);
        info->dw = a.depth_wise_layer;
        info->kernel_type = a.kernel_type;
        info->pool_type = a.pool_type;
        info->para_size = a.para_size;
        return KPU_OK;
    }
    kpu_v3_desc_t d;
    kpu_status_t st = describe_layer(m, layer, &d, diag);
    if (st != KPU_OK)
        return st;
    info->wi = d.wi;
    info->hi = d.hi;
    info->chi = d.chi;
    info->wo = d.out.w;
    info->ho = d.out.h;
    info->cho = d.out.c;
    info->para_size = l->body_size; /* what MaixPy's netinfo reports for non-conv layers */
    return KPU_OK;
}

static kpu_status_t v3_layer_output_info(const kpu_model_t *m, uint32_t layer,
                                         kpu_tensor_info_t *info, kpu_diag_t *diag)
{
    kpu_v3_desc_t d;
    kpu_status_t st = describe_layer(m, layer, &d, diag);
    if (st == KPU_OK)
        *info = d.out;
    return st;
}

const kpu_container_t kpu_container_v3 = {
    3,
    v3_validate,
    v3_open,
    v3_close,
    v3_layer_count,
    v3_output_count,
    kpu_v3_input_info,
    kpu_v3_run,
    v3_output,
    v3_layer_info,
    v3_layer_output_info,
    kpu_v3_read_layer_output,
};
