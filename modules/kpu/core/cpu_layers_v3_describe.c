/* Validation of V3 CPU-layer bodies (spec section 2.7): body size, fields and every main-memory
 * range a layer reads or writes, with the description of its output. Checked at load time so
 * the kernels in cpu_layers_v3.c can trust the body. */
#include "cpu_layers_v3.h"

#include <string.h>

static const char *tname(uint32_t type)
{
    const char *n = kpu_layer_type_name(type);
    return n ? n : "?";
}

static kpu_status_t need_body(const kpu_v3_body_t *b, uint64_t bytes, uint32_t type,
                              kpu_diag_t *diag, int32_t layer)
{
    if (bytes <= b->size)
        return KPU_OK;
    return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                        "layer %ld (%s): body has %lu bytes, its fields need %llu", (long)layer,
                        tname(type), (unsigned long)b->size, (unsigned long long)bytes);
}

static kpu_status_t need_main(uint64_t off, uint64_t n, uint64_t main_size, const char *what,
                              uint32_t type, kpu_diag_t *diag, int32_t layer)
{
    if (n <= main_size && off <= main_size - n)
        return KPU_OK;
    return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                        "layer %ld (%s): %s (offset %llu, %llu bytes) outside main memory "
                        "(%llu bytes)", (long)layer, tname(type), what, (unsigned long long)off,
                        (unsigned long long)n, (unsigned long long)main_size);
}

static kpu_status_t bad_field(const char *what, uint32_t value, uint32_t type, kpu_diag_t *diag,
                              int32_t layer)
{
    return kpu_diag_set(diag, KPU_ERR_FORMAT, layer, "layer %ld (%s): %s %lu not allowed",
                        (long)layer, tname(type), what, (unsigned long)value);
}

static void set_out(kpu_v3_desc_t *d, uint32_t w, uint32_t h, uint32_t c, kpu_dtype_t dtype,
                    uint64_t main_off)
{
    uint64_t elem = dtype == KPU_DTYPE_FLOAT32 ? 4u : 1u;
    uint64_t bytes = kpu_v3_mul(kpu_v3_mul(kpu_v3_mul(w, h), c), elem);
    d->out.w = w;
    d->out.h = h;
    d->out.c = c;
    d->out.dtype = dtype;
    d->out.size = bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes;
    d->out_space = KPU_V3_SPACE_MAIN;
    d->out_main = main_off;
    d->wr_main = main_off;
    d->wr_main_size = bytes;
}

/* The input (word 1, in_bytes) and then the output set_out described, inside main memory. */
static kpu_status_t need_in_out(uint32_t type, const kpu_v3_body_t *b, uint64_t in_bytes,
                                uint64_t main_size, const kpu_v3_desc_t *d, kpu_diag_t *diag,
                                int32_t layer)
{
    kpu_status_t st = need_main(kpu_v3_word(b, 1), in_bytes, main_size, "input", type, diag,
                                layer);
    if (st != KPU_OK)
        return st;
    return need_main(d->wr_main, d->wr_main_size, main_size, "output", type, diag, layer);
}

/* Pool and resize bodies: an in{w,h,c} map (words 1, 3-5) to an out{w,h} map of the same
 * channels (words 2, 6, 7), both float32 or both uint8. */
static kpu_status_t describe_map(uint32_t type, const kpu_v3_body_t *b, uint64_t main_size,
                                 int is_float, kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer)
{
    uint32_t iw = kpu_v3_word(b, 3), ih = kpu_v3_word(b, 4), c = kpu_v3_word(b, 5);
    uint64_t in_bytes = kpu_v3_mul(kpu_v3_mul(kpu_v3_mul(iw, ih), c), is_float ? 4 : 1);
    set_out(d, kpu_v3_word(b, 6), kpu_v3_word(b, 7), c,
            is_float ? KPU_DTYPE_FLOAT32 : KPU_DTYPE_UINT8, kpu_v3_word(b, 2));
    d->wi = iw;
    d->hi = ih;
    d->chi = c;
    return need_in_out(type, b, in_bytes, main_size, d, diag, layer);
}

/* kpu.c's groups of 8 elements; n is a u32 count, so no overflow */
static uint64_t ceil8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

int kpu_v3_is_cpu_layer(uint32_t type)
{
    switch (type) {
    case KL_ADD: case KL_QUANTIZED_ADD: case KL_GLOBAL_AVERAGE_POOL2D:
    case KL_QUANTIZED_MAX_POOL2D: case KL_AVERAGE_POOL2D: case KL_QUANTIZE: case KL_DEQUANTIZE:
    case KL_REQUANTIZE: case KL_L2_NORMALIZATION: case KL_SOFTMAX: case KL_CONCAT:
    case KL_QUANTIZED_CONCAT: case KL_FULLY_CONNECTED: case KL_TENSORFLOW_FLATTEN:
    case KL_RESIZE_NEAREST_NEIGHBOR: case KL_QUANTIZED_RESIZE_NEAREST_NEIGHBOR:
    case KL_CHANNELWISE_DEQUANTIZE: case KL_LOGISTIC: case KL_K210_REMOVE_PADDING:
        return 1;
    default:
        return 0;
    }
}

/* Pooling bodies: flags, in, out, in{w,h,c}, out{w,h,c}, kw, kh, sw, sh, pw, ph [, act]. */
static kpu_status_t describe_pool(uint32_t type, const kpu_v3_body_t *b, uint64_t main_size,
                                  kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer)
{
    int is_float = type == KL_AVERAGE_POOL2D;
    kpu_status_t st = need_body(b, is_float ? 64 : 60, type, diag, layer);
    if (st != KPU_OK)
        return st;
    uint32_t ic = kpu_v3_word(b, 5), oc = kpu_v3_word(b, 8);
    if (oc != ic)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                            "layer %ld (%s): %lu output channels for %lu input channels",
                            (long)layer, tname(type), (unsigned long)oc, (unsigned long)ic);
    if (is_float && kpu_v3_word(b, 15) > 2)
        return bad_field("activation", kpu_v3_word(b, 15), type, diag, layer);
    return describe_map(type, b, main_size, is_float, d, diag, layer);
}

/* Resize bodies: flags, in, out, in{w,h,c}, out_w, out_h, align_corners. */
static kpu_status_t describe_resize(uint32_t type, const kpu_v3_body_t *b, uint64_t main_size,
                                    kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer)
{
    kpu_status_t st = need_body(b, 36, type, diag, layer);
    if (st != KPU_OK)
        return st;
    uint32_t iw = kpu_v3_word(b, 3), ih = kpu_v3_word(b, 4), c = kpu_v3_word(b, 5);
    uint32_t ow = kpu_v3_word(b, 6), oh = kpu_v3_word(b, 7);
    if ((iw == 0 || ih == 0) && (uint64_t)ow * oh * c != 0)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer, "layer %ld (%s): empty %lux%lu input",
                            (long)layer, tname(type), (unsigned long)iw, (unsigned long)ih);
    return describe_map(type, b, main_size, type == KL_RESIZE_NEAREST_NEIGHBOR, d, diag, layer);
}

static kpu_status_t describe_concat(uint32_t type, const kpu_v3_body_t *b, uint64_t main_size,
                                    kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer)
{
    kpu_status_t st = need_body(b, 12, type, diag, layer);
    if (st != KPU_OK)
        return st;
    uint32_t n = kpu_v3_word(b, 2);
    st = need_body(b, 12 + 8 * (uint64_t)n, type, diag, layer);
    if (st != KPU_OK)
        return st;
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t start = kpu_v3_word(b, 3 + 2 * i), size = kpu_v3_word(b, 4 + 2 * i);
        st = need_main(start, size, main_size, "input range", type, diag, layer);
        if (st != KPU_OK)
            return st;
        total += size; /* at most 2^32 inputs of 2^32 bytes: no overflow */
    }
    kpu_dtype_t dt = type == KL_CONCAT ? KPU_DTYPE_FLOAT32 : KPU_DTYPE_UINT8;
    uint64_t elem = dt == KPU_DTYPE_FLOAT32 ? 4 : 1;
    st = need_main(kpu_v3_word(b, 1), total, main_size, "output", type, diag, layer);
    if (st != KPU_OK)
        return st;
    set_out(d, (uint32_t)(total / elem), 1, 1, dt, kpu_v3_word(b, 1));
    d->out.size = (size_t)total; /* the packed bytes, padding quirk included (spec 2.7) */
    d->wr_main_size = total;
    return KPU_OK;
}

/* Layers whose body is flags, in, out, count [, more]: element sizes of input and output. */
static kpu_status_t describe_vector(uint32_t type, const kpu_v3_body_t *b, uint64_t main_size,
                                    uint64_t body_bytes, uint64_t in_elem, kpu_dtype_t out_dt,
                                    kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer)
{
    kpu_status_t st = need_body(b, body_bytes, type, diag, layer);
    if (st != KPU_OK)
        return st;
    uint32_t count = kpu_v3_word(b, 3);
    set_out(d, count, 1, 1, out_dt, kpu_v3_word(b, 2));
    return need_in_out(type, b, kpu_v3_mul(count, in_elem), main_size, d, diag, layer);
}

kpu_status_t kpu_v3_cpu_describe(uint32_t type, const kpu_v3_body_t *b, uint64_t main_size,
                                 kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer)
{
    const kpu_dtype_t F = KPU_DTYPE_FLOAT32, U = KPU_DTYPE_UINT8;
    kpu_status_t st;
    memset(d, 0, sizeof *d);
    switch (type) {
    case KL_ADD:
    case KL_QUANTIZED_ADD: {
        int q = type == KL_QUANTIZED_ADD;
        st = need_body(b, q ? 56 : 20, type, diag, layer);
        if (st != KPU_OK)
            return st;
        uint32_t count = kpu_v3_word(b, 4);
        /* kpu.c works on groups of 8 bytes: it reads and writes up to 7 bytes past count */
        uint64_t bytes = q ? ceil8(count) : kpu_v3_mul(count, 4);
        if ((st = need_main(kpu_v3_word(b, 1), bytes, main_size, "input A", type, diag, layer)) ||
            (st = need_main(kpu_v3_word(b, 2), bytes, main_size, "input B", type, diag, layer)) ||
            (st = need_main(kpu_v3_word(b, 3), bytes, main_size, "output", type, diag, layer)))
            return st;
        if (q) {
            static const uint32_t shift_words[3] = {7, 10, 13};
            for (int i = 0; i < 3; i++)
                if (kpu_v3_word(b, shift_words[i]) > 63)
                    return bad_field("shift", kpu_v3_word(b, shift_words[i]), type, diag, layer);
        }
        set_out(d, count, 1, 1, q ? U : F, kpu_v3_word(b, 3));
        d->wr_main_size = bytes;
        return KPU_OK;
    }
    case KL_GLOBAL_AVERAGE_POOL2D: {
        st = need_body(b, 20, type, diag, layer);
        if (st != KPU_OK)
            return st;
        uint32_t ks = kpu_v3_word(b, 3), ch = kpu_v3_word(b, 4);
        if (ks == 0)
            return bad_field("kernel_size", ks, type, diag, layer);
        set_out(d, 1, 1, ch, F, kpu_v3_word(b, 2));
        d->chi = ch;
        return need_in_out(type, b, kpu_v3_mul(kpu_v3_mul(ks, ch), 4), main_size, d, diag,
                           layer);
    }
    case KL_QUANTIZED_MAX_POOL2D:
    case KL_AVERAGE_POOL2D:
        return describe_pool(type, b, main_size, d, diag, layer);
    case KL_QUANTIZE:
        return describe_vector(type, b, main_size, 24, 4, U, d, diag, layer);
    case KL_DEQUANTIZE:
        return describe_vector(type, b, main_size, 24, 1, F, d, diag, layer);
    case KL_REQUANTIZE:
        return describe_vector(type, b, main_size, 16 + 256, 1, U, d, diag, layer);
    case KL_L2_NORMALIZATION:
    case KL_SOFTMAX:
    case KL_LOGISTIC:
        return describe_vector(type, b, main_size, 16, 4, F, d, diag, layer);
    case KL_CONCAT:
    case KL_QUANTIZED_CONCAT:
        return describe_concat(type, b, main_size, d, diag, layer);
    case KL_FULLY_CONNECTED: {
        st = need_body(b, 24, type, diag, layer);
        if (st != KPU_OK)
            return st;
        uint32_t ic = kpu_v3_word(b, 3), oc = kpu_v3_word(b, 4);
        uint64_t params = kpu_v3_mul(kpu_v3_add(kpu_v3_mul(oc, ic), oc), 4);
        if ((st = need_body(b, kpu_v3_add(24, params), type, diag, layer)))
            return st;
        if (kpu_v3_word(b, 5) > 2)
            return bad_field("activation", kpu_v3_word(b, 5), type, diag, layer);
        set_out(d, oc, 1, 1, F, kpu_v3_word(b, 2));
        d->wi = ic;
        d->hi = d->chi = 1;
        return need_in_out(type, b, kpu_v3_mul(ic, 4), main_size, d, diag, layer);
    }
    case KL_TENSORFLOW_FLATTEN: {
        st = need_body(b, 24, type, diag, layer);
        if (st != KPU_OK)
            return st;
        uint32_t w = kpu_v3_word(b, 3), h = kpu_v3_word(b, 4), c = kpu_v3_word(b, 5);
        uint64_t bytes = kpu_v3_mul(kpu_v3_mul(kpu_v3_mul(w, h), c), 4);
        uint64_t n = bytes / 4;
        set_out(d, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n, 1, 1, F, kpu_v3_word(b, 2));
        d->wr_main_size = bytes;
        d->out.size = bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes;
        d->wi = w;
        d->hi = h;
        d->chi = c;
        return need_in_out(type, b, bytes, main_size, d, diag, layer);
    }
    case KL_RESIZE_NEAREST_NEIGHBOR:
    case KL_QUANTIZED_RESIZE_NEAREST_NEIGHBOR:
        return describe_resize(type, b, main_size, d, diag, layer);
    case KL_CHANNELWISE_DEQUANTIZE: {
        st = need_body(b, 20, type, diag, layer);
        if (st != KPU_OK)
            return st;
        uint32_t ch = kpu_v3_word(b, 3), cs = kpu_v3_word(b, 4);
        if ((st = need_body(b, 20 + 8 * (uint64_t)ch, type, diag, layer)))
            return st;
        set_out(d, cs, 1, ch, F, kpu_v3_word(b, 2));
        d->chi = ch;
        return need_in_out(type, b, kpu_v3_mul(ch, cs), main_size, d, diag, layer);
    }
    case KL_K210_REMOVE_PADDING: {
        st = need_body(b, 16, type, diag, layer);
        if (st != KPU_OK)
            return st;
        uint32_t ch = kpu_v3_word(b, 3);
        set_out(d, ch, 1, 1, U, kpu_v3_word(b, 2));
        d->wi = d->hi = 4;
        d->chi = ch;
        return need_in_out(type, b, kpu_v3_mul(ch, 16), main_size, d, diag, layer);
    }
    default:
        return kpu_diag_set(diag, KPU_ERR_LAYER_TYPE, layer, "layer %ld: type %lu (%s) is not a "
                            "CPU layer", (long)layer, (unsigned long)type, tname(type));
    }
}
