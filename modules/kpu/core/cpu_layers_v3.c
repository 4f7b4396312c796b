/* The V3 CPU-layer kernels, with the semantics of SDK kpu.c as spec section 2.7 writes them
 * down. Bodies were validated at load (cpu_layers_v3_describe.c), so the kernels trust them.
 * Floats in main memory are host floats; the file's floats are little-endian. */
#include "cpu_layers_v3.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* QUANTIZED_ADD's element count rounded up to kpu.c's groups of 8 */
static uint64_t ceil8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

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
    /* an empty output is valid; without this, an empty row of 2^32 x 2^32 would spin */
    if (ow == 0 || oh == 0 || oc == 0)
        return;
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
        if (w == 0 || c == 0) /* nothing to copy: do not walk up to 2^32 empty rows */
            break;
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
