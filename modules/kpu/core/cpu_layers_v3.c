/* V3 CPU layers, semantics of SDK kpu.c as written down in spec section 2.7: each layer's body
 * is checked (size, fields, main-memory ranges) before the model may run, so the kernels below
 * can trust it. Floats in main memory are host floats; the file's floats are little-endian. */
#include "cpu_layers_v3.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ---- validation helpers ------------------------------------------------------------------ */

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

static uint64_t ceil8(uint64_t n) { return n > UINT64_MAX - 7 ? UINT64_MAX : (n + 7) & ~(uint64_t)7; }

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
    uint64_t elem = is_float ? 4 : 1;
    uint32_t iw = kpu_v3_word(b, 3), ih = kpu_v3_word(b, 4), ic = kpu_v3_word(b, 5);
    uint32_t ow = kpu_v3_word(b, 6), oh = kpu_v3_word(b, 7), oc = kpu_v3_word(b, 8);
    if (oc != ic)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                            "layer %ld (%s): %lu output channels for %lu input channels",
                            (long)layer, tname(type), (unsigned long)oc, (unsigned long)ic);
    if (is_float && kpu_v3_word(b, 15) > 2)
        return bad_field("activation", kpu_v3_word(b, 15), type, diag, layer);
    uint64_t in_bytes = kpu_v3_mul(kpu_v3_mul(kpu_v3_mul(iw, ih), ic), elem);
    st = need_main(kpu_v3_word(b, 1), in_bytes, main_size, "input", type, diag, layer);
    if (st != KPU_OK)
        return st;
    set_out(d, ow, oh, oc, is_float ? KPU_DTYPE_FLOAT32 : KPU_DTYPE_UINT8, kpu_v3_word(b, 2));
    d->wi = iw;
    d->hi = ih;
    d->chi = ic;
    return need_main(d->wr_main, d->wr_main_size, main_size, "output", type, diag, layer);
}

/* Resize bodies: flags, in, out, in{w,h,c}, out_w, out_h, align_corners. */
static kpu_status_t describe_resize(uint32_t type, const kpu_v3_body_t *b, uint64_t main_size,
                                    kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer)
{
    kpu_status_t st = need_body(b, 36, type, diag, layer);
    if (st != KPU_OK)
        return st;
    int is_float = type == KL_RESIZE_NEAREST_NEIGHBOR;
    uint64_t elem = is_float ? 4 : 1;
    uint32_t iw = kpu_v3_word(b, 3), ih = kpu_v3_word(b, 4), c = kpu_v3_word(b, 5);
    uint32_t ow = kpu_v3_word(b, 6), oh = kpu_v3_word(b, 7);
    if ((iw == 0 || ih == 0) && (uint64_t)ow * oh * c != 0)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer, "layer %ld (%s): empty %lux%lu input",
                            (long)layer, tname(type), (unsigned long)iw, (unsigned long)ih);
    uint64_t in_bytes = kpu_v3_mul(kpu_v3_mul(kpu_v3_mul(iw, ih), c), elem);
    st = need_main(kpu_v3_word(b, 1), in_bytes, main_size, "input", type, diag, layer);
    if (st != KPU_OK)
        return st;
    set_out(d, ow, oh, c, is_float ? KPU_DTYPE_FLOAT32 : KPU_DTYPE_UINT8, kpu_v3_word(b, 2));
    d->wi = iw;
    d->hi = ih;
    d->chi = c;
    return need_main(d->wr_main, d->wr_main_size, main_size, "output", type, diag, layer);
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
    st = need_main(kpu_v3_word(b, 1), kpu_v3_mul(count, in_elem), main_size, "input", type,
                   diag, layer);
    if (st != KPU_OK)
        return st;
    set_out(d, count, 1, 1, out_dt, kpu_v3_word(b, 2));
    return need_main(d->wr_main, d->wr_main_size, main_size, "output", type, diag, layer);
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
        st = need_main(kpu_v3_word(b, 1), kpu_v3_mul(kpu_v3_mul(ks, ch), 4), main_size, "input",
                       type, diag, layer);
        if (st != KPU_OK)
            return st;
        set_out(d, 1, 1, ch, F, kpu_v3_word(b, 2));
        d->chi = ch;
        return need_main(d->wr_main, d->wr_main_size, main_size, "output", type, diag, layer);
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
        st = need_main(kpu_v3_word(b, 1), kpu_v3_mul(ic, 4), main_size, "input", type, diag, layer);
        if (st != KPU_OK)
            return st;
        set_out(d, oc, 1, 1, F, kpu_v3_word(b, 2));
        d->wi = ic;
        d->hi = d->chi = 1;
        return need_main(d->wr_main, d->wr_main_size, main_size, "output", type, diag, layer);
    }
    case KL_TENSORFLOW_FLATTEN: {
        st = need_body(b, 24, type, diag, layer);
        if (st != KPU_OK)
            return st;
        uint32_t w = kpu_v3_word(b, 3), h = kpu_v3_word(b, 4), c = kpu_v3_word(b, 5);
        uint64_t bytes = kpu_v3_mul(kpu_v3_mul(kpu_v3_mul(w, h), c), 4);
        st = need_main(kpu_v3_word(b, 1), bytes, main_size, "input", type, diag, layer);
        if (st != KPU_OK)
            return st;
        uint64_t n = bytes / 4;
        set_out(d, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n, 1, 1, F, kpu_v3_word(b, 2));
        d->wr_main_size = bytes;
        d->out.size = bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes;
        d->wi = w;
        d->hi = h;
        d->chi = c;
        return need_main(d->wr_main, d->wr_main_size, main_size, "output", type, diag, layer);
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
        st = need_main(kpu_v3_word(b, 1), kpu_v3_mul(ch, cs), main_size, "input", type, diag,
                       layer);
        if (st != KPU_OK)
            return st;
        set_out(d, cs, 1, ch, F, kpu_v3_word(b, 2));
        d->chi = ch;
        return need_main(d->wr_main, d->wr_main_size, main_size, "output", type, diag, layer);
    }
    case KL_K210_REMOVE_PADDING: {
        st = need_body(b, 16, type, diag, layer);
        if (st != KPU_OK)
            return st;
        uint32_t ch = kpu_v3_word(b, 3);
        st = need_main(kpu_v3_word(b, 1), kpu_v3_mul(ch, 16), main_size, "input", type, diag,
                       layer);
        if (st != KPU_OK)
            return st;
        set_out(d, ch, 1, 1, U, kpu_v3_word(b, 2));
        d->wi = d->hi = 4;
        d->chi = ch;
        return need_main(d->wr_main, d->wr_main_size, main_size, "output", type, diag, layer);
    }
    default:
        return kpu_diag_set(diag, KPU_ERR_LAYER_TYPE, layer, "layer %ld: type %lu (%s) is not a "
                            "CPU layer", (long)layer, (unsigned long)type, tname(type));
    }
}

/* ---- kernels ----------------------------------------------------------------------------- */

static float ldf(const uint8_t *p)
{
    float f;
    memcpy(&f, p, sizeof f);
    return f;
}

static void stf(uint8_t *p, float f) { memcpy(p, &f, sizeof f); }

/* Arithmetic (flooring) right shift without relying on implementation-defined behaviour. */
static int64_t asr(int64_t v, unsigned s)
{
    return v >= 0 ? (int64_t)((uint64_t)v >> s) : -1 - (int64_t)((uint64_t)(-1 - v) >> s);
}

/* Two's-complement wrap of 64-bit products and sums (what kpu.c's int64 code does on RV64). */
static int64_t wrap(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -1 - (int64_t)(~u);
}

static int64_t mulw(int64_t a, int64_t b) { return wrap((uint64_t)a * (uint64_t)b); }
static int64_t addw(int64_t a, int64_t b) { return wrap((uint64_t)a + (uint64_t)b); }

/* kpu_carry_shift (spec 4.7 "CS"), kept exactly, including its behaviour for negative v. */
static int64_t carry_shift(int64_t v, unsigned s)
{
    if (s == 0)
        return v;
    int64_t t = asr(v, s - 1);
    if ((t & 1) == 0)
        return asr(t, 1);
    return t >= 0 ? asr(t, 1) + 1 : asr(t, 1) - 1;
}

static uint8_t clamp_u8(int64_t v) { return v < 0 ? 0 : (v > 255 ? 255 : (uint8_t)v); }

static void run_quantized_add(const kpu_v3_body_t *b, uint8_t *mm)
{
    const uint8_t *a = mm + kpu_v3_word(b, 1), *bb = mm + kpu_v3_word(b, 2);
    uint8_t *out = mm + kpu_v3_word(b, 3);
    uint64_t n = ceil8(kpu_v3_word(b, 4));
    int64_t a_off = (int32_t)kpu_v3_word(b, 5), a_mul = (int32_t)kpu_v3_word(b, 6);
    unsigned a_sh = kpu_v3_word(b, 7);
    int64_t b_off = (int32_t)kpu_v3_word(b, 8), b_mul = (int32_t)kpu_v3_word(b, 9);
    unsigned b_sh = kpu_v3_word(b, 10);
    int64_t o_off = (int32_t)kpu_v3_word(b, 11), o_mul = (int32_t)kpu_v3_word(b, 12);
    unsigned o_sh = kpu_v3_word(b, 13);
    for (uint64_t i = 0; i < n; i++) {
        int64_t ta = mulw(a[i] + a_off, a_mul), tb = mulw(bb[i] + b_off, b_mul), v;
        if (a_sh == b_sh)
            v = asr(addw(ta, tb), a_sh);
        else
            v = addw(asr(ta, a_sh), asr(tb, b_sh));
        v = addw(carry_shift(mulw(v, o_mul), o_sh), o_off);
        out[i] = clamp_u8(v);
    }
}

static void run_quantized_max_pool(const kpu_v3_body_t *b, uint8_t *mm, int is_float)
{
    const uint8_t *in = mm + kpu_v3_word(b, 1);
    uint8_t *out = mm + kpu_v3_word(b, 2);
    int64_t iw = kpu_v3_word(b, 3), ih = kpu_v3_word(b, 4);
    uint32_t ow = kpu_v3_word(b, 6), oh = kpu_v3_word(b, 7), oc = kpu_v3_word(b, 8);
    int64_t kw = kpu_v3_word(b, 9), kh = kpu_v3_word(b, 10);
    int64_t sw = kpu_v3_word(b, 11), sh = kpu_v3_word(b, 12);
    int64_t pw = kpu_v3_word(b, 13), ph = kpu_v3_word(b, 14);
    uint64_t o = 0;
    for (uint32_t c = 0; c < oc; c++) {
        for (uint32_t oy = 0; oy < oh; oy++) {
            int64_t y0 = (int64_t)oy * sh - ph;
            int64_t ys = y0 < 0 ? 0 : y0, ye = y0 + kh < ih ? y0 + kh : ih;
            for (uint32_t ox = 0; ox < ow; ox++, o++) {
                int64_t x0 = (int64_t)ox * sw - pw;
                int64_t xs = x0 < 0 ? 0 : x0, xe = x0 + kw < iw ? x0 + kw : iw;
                uint8_t best = 0;
                float sum = 0.0f;
                int64_t valid = 0;
                for (int64_t y = ys; y < ye; y++) {
                    uint64_t row = ((uint64_t)c * (uint64_t)ih + (uint64_t)y) * (uint64_t)iw;
                    for (int64_t x = xs; x < xe; x++) {
                        if (is_float) {
                            sum += ldf(in + 4 * (row + (uint64_t)x));
                            valid++;
                        } else if (in[row + (uint64_t)x] > best) {
                            best = in[row + (uint64_t)x];
                        }
                    }
                }
                if (is_float)
                    stf(out + 4 * o, valid ? sum / (float)valid : NAN);
                else
                    out[o] = best;
            }
        }
    }
}

static void run_resize(const kpu_v3_body_t *b, uint8_t *mm, int is_float)
{
    const uint8_t *in = mm + kpu_v3_word(b, 1);
    uint8_t *out = mm + kpu_v3_word(b, 2);
    uint32_t iw = kpu_v3_word(b, 3), ih = kpu_v3_word(b, 4), ch = kpu_v3_word(b, 5);
    uint32_t ow = kpu_v3_word(b, 6), oh = kpu_v3_word(b, 7);
    if (ow == 0 || oh == 0 || ch == 0)
        return;
    float hs = (float)ih / (float)oh, ws = (float)iw / (float)ow;
    uint64_t o = 0;
    for (uint32_t c = 0; c < ch; c++) {
        for (uint32_t oy = 0; oy < oh; oy++) {
            float fy = floorf((float)oy * hs);
            uint64_t iy = fy >= (float)(ih - 1) ? ih - 1 : (uint64_t)fy;
            uint64_t row = ((uint64_t)c * ih + iy) * iw;
            for (uint32_t ox = 0; ox < ow; ox++, o++) {
                float fx = floorf((float)ox * ws);
                uint64_t ix = fx >= (float)(iw - 1) ? iw - 1 : (uint64_t)fx;
                if (is_float)
                    memcpy(out + 4 * o, in + 4 * (row + ix), 4);
                else
                    out[o] = in[row + ix];
            }
        }
    }
}

static void run_fully_connected(const kpu_v3_body_t *b, uint8_t *mm)
{
    const uint8_t *in = mm + kpu_v3_word(b, 1);
    uint8_t *out = mm + kpu_v3_word(b, 2);
    uint32_t ic = kpu_v3_word(b, 3), oc = kpu_v3_word(b, 4), act = kpu_v3_word(b, 5);
    const uint8_t *w = b->file + b->offset + 24;
    const uint8_t *bias = w + 4 * (uint64_t)oc * ic;
    for (uint32_t o = 0; o < oc; o++) {
        float sum = 0.0f;
        const uint8_t *row = w + 4 * (uint64_t)o * ic;
        for (uint32_t i = 0; i < ic; i++) {
            float p = ldf(in + 4 * (uint64_t)i) * kpu_rdf32(row + 4 * (uint64_t)i, 0);
            sum += p;
        }
        float y = sum + kpu_rdf32(bias + 4 * (uint64_t)o, 0);
        if (act == 1 || act == 2)
            y = y < 0.0f ? 0.0f : y;
        if (act == 2)
            y = y > 6.0f ? 6.0f : y;
        stf(out + 4 * (uint64_t)o, y);
    }
}

void kpu_v3_cpu_run(uint32_t type, const kpu_v3_body_t *b, uint8_t *mm)
{
    switch (type) {
    case KL_ADD: {
        const uint8_t *a = mm + kpu_v3_word(b, 1), *bb = mm + kpu_v3_word(b, 2);
        uint8_t *out = mm + kpu_v3_word(b, 3);
        uint32_t n = kpu_v3_word(b, 4);
        for (uint64_t i = 0; i < n; i++)
            stf(out + 4 * i, ldf(a + 4 * i) + ldf(bb + 4 * i));
        break;
    }
    case KL_QUANTIZED_ADD:
        run_quantized_add(b, mm);
        break;
    case KL_GLOBAL_AVERAGE_POOL2D: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint32_t ks = kpu_v3_word(b, 3), ch = kpu_v3_word(b, 4);
        for (uint64_t c = 0; c < ch; c++) {
            float sum = 0.0f;
            for (uint64_t k = 0; k < ks; k++)
                sum += ldf(in + 4 * (c * ks + k));
            stf(out + 4 * c, sum / (float)ks);
        }
        break;
    }
    case KL_QUANTIZED_MAX_POOL2D:
        run_quantized_max_pool(b, mm, 0);
        break;
    case KL_AVERAGE_POOL2D: /* kpu.c ignores the act field */
        run_quantized_max_pool(b, mm, 1);
        break;
    case KL_QUANTIZE: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint32_t n = kpu_v3_word(b, 3);
        float scale = kpu_rdf32(b->file + b->offset + 16, 0);
        float bias = kpu_rdf32(b->file + b->offset + 20, 0);
        float inv = 1.0f / scale;
        for (uint64_t i = 0; i < n; i++) {
            float r = roundf((ldf(in + 4 * i) - bias) * inv);
            /* clamp before converting: NaN and out-of-range floats have no integer value */
            out[i] = r >= 255.0f ? 255 : (r > 0.0f ? (uint8_t)r : 0);
        }
        break;
    }
    case KL_DEQUANTIZE: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint32_t n = kpu_v3_word(b, 3);
        float scale = kpu_rdf32(b->file + b->offset + 16, 0);
        float bias = kpu_rdf32(b->file + b->offset + 20, 0);
        for (uint64_t i = 0; i < n; i++) {
            float t = (float)in[i] * scale;
            stf(out + 4 * i, t + bias);
        }
        break;
    }
    case KL_REQUANTIZE: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint32_t n = kpu_v3_word(b, 3);
        const uint8_t *table = b->file + b->offset + 16;
        for (uint64_t i = 0; i < n; i++)
            out[i] = table[in[i]];
        break;
    }
    case KL_L2_NORMALIZATION: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint32_t n = kpu_v3_word(b, 3);
        float s = 0.0f;
        for (uint64_t i = 0; i < n; i++) {
            float x = ldf(in + 4 * i);
            s += x * x;
        }
        if (s < 1e-10f)
            s = 1e-10f;
        float inv = 1.0f / sqrtf(s);
        for (uint64_t i = 0; i < n; i++)
            stf(out + 4 * i, ldf(in + 4 * i) * inv);
        break;
    }
    case KL_SOFTMAX: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint32_t n = kpu_v3_word(b, 3);
        float max = FLT_MIN; /* kpu.c starts at the smallest positive normal, not -inf */
        for (uint64_t i = 0; i < n; i++)
            if (ldf(in + 4 * i) > max)
                max = ldf(in + 4 * i);
        float sum = 0.0f;
        for (uint64_t i = 0; i < n; i++) {
            float e = expf(ldf(in + 4 * i) - max);
            sum += e;
            stf(out + 4 * i, e);
        }
        for (uint64_t i = 0; i < n; i++)
            stf(out + 4 * i, ldf(out + 4 * i) / sum);
        break;
    }
    case KL_CONCAT:
    case KL_QUANTIZED_CONCAT: {
        uint8_t *out = mm + kpu_v3_word(b, 1);
        uint32_t n = kpu_v3_word(b, 2);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t start = kpu_v3_word(b, 3 + 2 * i), size = kpu_v3_word(b, 4 + 2 * i);
            memmove(out, mm + start, size); /* memmove: overlapping ranges stay defined */
            out += size;
        }
        break;
    }
    case KL_FULLY_CONNECTED:
        run_fully_connected(b, mm);
        break;
    case KL_TENSORFLOW_FLATTEN: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint64_t w = kpu_v3_word(b, 3), h = kpu_v3_word(b, 4), c = kpu_v3_word(b, 5);
        uint64_t o = 0;
        for (uint64_t y = 0; y < h; y++)
            for (uint64_t x = 0; x < w; x++)
                for (uint64_t k = 0; k < c; k++, o++)
                    memcpy(out + 4 * o, in + 4 * ((k * h + y) * w + x), 4);
        break;
    }
    case KL_RESIZE_NEAREST_NEIGHBOR:
        run_resize(b, mm, 1);
        break;
    case KL_QUANTIZED_RESIZE_NEAREST_NEIGHBOR:
        run_resize(b, mm, 0);
        break;
    case KL_CHANNELWISE_DEQUANTIZE: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint32_t ch = kpu_v3_word(b, 3), cs = kpu_v3_word(b, 4);
        const uint8_t *params = b->file + b->offset + 20;
        uint64_t i = 0;
        for (uint64_t c = 0; c < ch; c++) {
            float scale = kpu_rdf32(params + 8 * c, 0), bias = kpu_rdf32(params + 8 * c + 4, 0);
            for (uint32_t k = 0; k < cs; k++, i++) {
                float t = (float)in[i] * scale;
                stf(out + 4 * i, t + bias);
            }
        }
        break;
    }
    case KL_LOGISTIC: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint32_t n = kpu_v3_word(b, 3);
        for (uint64_t i = 0; i < n; i++)
            stf(out + 4 * i, 1.0f / (1.0f + expf(-ldf(in + 4 * i))));
        break;
    }
    case KL_K210_REMOVE_PADDING: {
        const uint8_t *in = mm + kpu_v3_word(b, 1);
        uint8_t *out = mm + kpu_v3_word(b, 2);
        uint32_t ch = kpu_v3_word(b, 3);
        for (uint64_t c = 0; c < ch; c++)
            out[c] = in[16 * c];
        break;
    }
    default:
        break;
    }
}
