/* kmodel V4 quantized CPU nodes (spec A3): quantized_conv2d (NCHW, offsets added),
 * quantized_matmul, quantized_binary, and the NHWC cpu_quantized_conv2d /
 * cpu_quantized_depthwise_conv2d (offsets subtracted). Sums are int32 with wrap-around as on
 * the host runtime; requantisation is MCS = RHU((int64)x * mul, shift), round half up. */
#include "v4_internal.h"

/* Flooring right shift of a signed value, independent of how >> treats negatives. */
static int64_t floor_shift(int64_t v, unsigned s)
{
    if (v >= 0)
        return v >> s;
    return -(int64_t)((~(uint64_t)v) >> s) - 1;
}

/* (v + 2^(s-1)) >> s without the overflow of the addition. */
static int64_t rhu(int64_t v, unsigned s)
{
    if (s == 0)
        return v;
    return floor_shift(v, s) + (floor_shift(v, s - 1) & 1);
}

static int32_t wrap32(int64_t v) { return (int32_t)(uint32_t)(uint64_t)v; }

static int32_t mcs(int32_t x, int32_t mul, int32_t shift)
{
    return wrap32(rhu((int64_t)x * mul, (uint8_t)shift));
}

static uint8_t to_u8(int32_t v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* The shift is used as a u8; above 63 the 64-bit shift is undefined in nncase too. */
static kpu_status_t need_shift(v4_ctx_t *c, int32_t shift, const char *what)
{
    if ((uint8_t)shift > 63)
        return v4_fail(c, KPU_ERR_NOT_IMPLEMENTED, "%s %ld is not a usable shift (0..63)", what,
                       (long)shift);
    return KPU_OK;
}

static void read_q(v4_rd_t *r, v4_node_t *n, int count)
{
    for (int i = 0; i < count; i++)
        n->q[i] = v4_i32(r);
}

/* ---- quantized_conv2d (NCHW) ----------------------------------------------------------------- */

static kpu_status_t window_geometry(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n, int h_axis)
{
    v4_read_window(r, n);
    read_q(r, n, 5); /* input_offset, filter_offset, output_mul, output_shift, output_offset */
    if (r->short_read)
        return KPU_OK;
    const v4_shape_t *s = &n->in_shape;
    kpu_status_t st = v4_need_shape(c, s, "in_shape");
    if (st != KPU_OK || (st = need_shift(c, n->q[3], "output_shift")) != KPU_OK)
        return st;
    int32_t oh, ow;
    if ((st = v4_window_hw(c, n, s->d[h_axis], s->d[h_axis + 1], &oh, &ow)) != KPU_OK)
        return st;
    n->out_shape.d[0] = s->d[0];
    n->out_shape.d[h_axis] = oh;
    n->out_shape.d[h_axis + 1] = ow;
    return KPU_OK;
}

static kpu_status_t need_conv_io(v4_ctx_t *c, const v4_node_t *n)
{
    return v4_need_io(c, n, v4_shape_count(&n->in_shape), v4_shape_count(&n->out_shape), 1);
}

kpu_status_t v4_dec_quantized_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    n->groups = v4_i32(r);
    n->out_channels = v4_i32(r);
    if ((st = window_geometry(c, r, n, 2)) != KPU_OK || r->short_read)
        return st;
    const v4_shape_t *s = &n->in_shape;
    if (n->groups < 1 || n->out_channels < 1 || s->d[1] % n->groups || n->out_channels % n->groups)
        return v4_fail(c, KPU_ERR_FORMAT, "quantized_conv2d groups %ld do not divide the "
                       "channels", (long)n->groups);
    n->out_shape.d[1] = n->out_channels;
    n->bias = v4_bytes(r, 4ull * (uint32_t)n->out_channels); /* bias first here */
    n->weights = v4_bytes(r, v4_mul(v4_mul((uint32_t)n->out_channels,
                                           (uint32_t)(s->d[1] / n->groups)),
                                    (uint64_t)(uint32_t)n->filter_h * (uint32_t)n->filter_w));
    return r->short_read ? KPU_OK : need_conv_io(c, n);
}

kpu_status_t v4_run_quantized_conv2d(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    int32_t ic_all = n->in_shape.d[1], ih = n->in_shape.d[2], iw = n->in_shape.d[3];
    int32_t icg = ic_all / n->groups, ocg = n->out_channels / n->groups;
    uint64_t out_i = 0;
    for (int32_t b = 0; b < n->in_shape.d[0]; b++)
        for (int32_t g = 0; g < n->groups; g++)
            for (int32_t oc = g * ocg; oc < (g + 1) * ocg; oc++)
                for (int32_t oy = 0; oy < n->out_shape.d[2]; oy++)
                    for (int32_t ox = 0; ox < n->out_shape.d[3]; ox++) {
                        int64_t y0 = (int64_t)oy * n->stride_h - n->pad_h[0];
                        int64_t x0 = (int64_t)ox * n->stride_w - n->pad_w[0];
                        uint32_t acc = (uint32_t)v4_ldi(n->bias, (uint32_t)oc);
                        for (int32_t ic = 0; ic < icg; ic++) {
                            uint64_t plane = ((uint64_t)b * ic_all + (uint64_t)g * icg + ic) *
                                             (uint64_t)ih;
                            uint64_t wbase = ((uint64_t)oc * icg + ic) * (uint64_t)n->filter_h;
                            for (int32_t ky = 0; ky < n->filter_h; ky++) {
                                int64_t y = y0 + (int64_t)ky * n->dil_h;
                                if (y < 0 || y >= ih)
                                    continue;
                                for (int32_t kx = 0; kx < n->filter_w; kx++) {
                                    int64_t x = x0 + (int64_t)kx * n->dil_w;
                                    if (x < 0 || x >= iw)
                                        continue;
                                    uint32_t xv = in[(plane + (uint64_t)y) * iw + (uint64_t)x];
                                    uint32_t wv = n->weights[(wbase + ky) * n->filter_w + kx];
                                    acc += (xv + (uint32_t)n->q[0]) * (wv + (uint32_t)n->q[1]);
                                }
                            }
                        }
                        int32_t v = mcs((int32_t)acc, n->q[2], n->q[3]);
                        o[out_i++] = to_u8(wrap32((int64_t)v + n->q[4]));
                    }
    return KPU_OK;
}

/* ---- cpu_quantized_conv2d / _depthwise (NHWC) ------------------------------------------------ */

kpu_status_t v4_dec_cpu_quantized_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    int dw = n->opcode == V4_OP_CPU_QUANTIZED_DEPTHWISE_CONV2D;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    n->out_channels = dw ? n->in_shape.d[3] : v4_i32(r);
    if ((st = window_geometry(c, r, n, 1)) != KPU_OK || r->short_read)
        return st;
    if (n->out_channels < 1)
        return v4_fail(c, KPU_ERR_FORMAT, "%ld output channels", (long)n->out_channels);
    n->out_shape.d[3] = n->out_channels;
    uint64_t taps = (uint64_t)(uint32_t)n->filter_h * (uint32_t)n->filter_w;
    n->weights = v4_bytes(r, v4_mul(v4_mul((uint32_t)n->out_channels, taps),
                                    dw ? 1u : (uint32_t)n->in_shape.d[3]));
    n->bias = v4_bytes(r, 4ull * (uint32_t)n->out_channels); /* bias last here */
    return r->short_read ? KPU_OK : need_conv_io(c, n);
}

kpu_status_t v4_run_cpu_quantized_conv2d(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    int dw = n->opcode == V4_OP_CPU_QUANTIZED_DEPTHWISE_CONV2D;
    int32_t ih = n->in_shape.d[1], iw = n->in_shape.d[2], ic = n->in_shape.d[3];
    int32_t kh = n->filter_h, kw = n->filter_w;
    uint64_t out_i = 0;
    for (int32_t b = 0; b < n->in_shape.d[0]; b++)
        for (int32_t oy = 0; oy < n->out_shape.d[1]; oy++)
            for (int32_t ox = 0; ox < n->out_shape.d[2]; ox++)
                for (int32_t oc = 0; oc < n->out_channels; oc++) {
                    int64_t y0 = (int64_t)oy * n->stride_h - n->pad_h[0];
                    int64_t x0 = (int64_t)ox * n->stride_w - n->pad_w[0];
                    uint32_t acc = (uint32_t)v4_ldi(n->bias, (uint32_t)oc);
                    for (int32_t ky = 0; ky < kh; ky++) {
                        int64_t y = y0 + (int64_t)ky * n->dil_h;
                        if (y < 0 || y >= ih)
                            continue;
                        for (int32_t kx = 0; kx < kw; kx++) {
                            int64_t x = x0 + (int64_t)kx * n->dil_w;
                            if (x < 0 || x >= iw)
                                continue;
                            uint64_t px = (((uint64_t)b * ih + (uint64_t)y) * iw + (uint64_t)x) *
                                          (uint64_t)ic;
                            uint64_t tap = ((uint64_t)oc * kh + ky) * kw + kx;
                            for (int32_t i = dw ? oc : 0; i < (dw ? oc + 1 : ic); i++) {
                                uint32_t xv = in[px + (uint64_t)i];
                                uint32_t wv = n->weights[dw ? tap : tap * (uint64_t)ic + i];
                                acc += (xv - (uint32_t)n->q[0]) * (wv - (uint32_t)n->q[1]);
                            }
                        }
                    }
                    int32_t v = mcs((int32_t)acc, n->q[2], n->q[3]);
                    o[out_i++] = to_u8(wrap32((int64_t)v + n->q[4]));
                }
    return KPU_OK;
}

/* ---- quantized_matmul ------------------------------------------------------------------------ */

kpu_status_t v4_dec_quantized_matmul(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_ab_out(c, r, n)) != KPU_OK)
        return st;
    n->rows = v4_i32(r);
    n->cols = v4_i32(r);
    n->bcols = v4_i32(r);
    read_q(r, n, 5); /* input_a_offset, input_b_offset, output_mul, output_shift, output_offset */
    if (r->short_read)
        return KPU_OK;
    if (n->rows < 0 || n->cols < 0 || n->bcols < 0)
        return v4_fail(c, KPU_ERR_FORMAT, "quantized_matmul sizes must not be negative");
    if ((st = need_shift(c, n->q[3], "output_shift")) != KPU_OK)
        return st;
    n->bias = v4_bytes(r, 4ull * (uint32_t)n->bcols);
    uint64_t m = (uint32_t)n->rows, k = (uint32_t)n->cols, nc = (uint32_t)n->bcols;
    if ((st = v4_need_read(c, &n->in, -1, m * k, "input a")) != KPU_OK ||
        (st = v4_need_read(c, &n->in_b, -1, k * nc, "input b")) != KPU_OK)
        return st;
    return v4_need_write(c, &n->out, -1, m * nc, "output");
}

kpu_status_t v4_run_quantized_matmul(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *a = v4_src(c, &n->in), *b = v4_src(c, &n->in_b);
    uint8_t *o = v4_dst(c, &n->out);
    uint32_t m = (uint32_t)n->rows, k = (uint32_t)n->cols, nc = (uint32_t)n->bcols;
    if (nc == 0)
        return KPU_OK;
    for (uint32_t y = 0; y < m; y++)
        for (uint32_t x = 0; x < nc; x++) {
            uint32_t acc = (uint32_t)v4_ldi(n->bias, x);
            for (uint32_t i = 0; i < k; i++)
                acc += ((uint32_t)a[(uint64_t)y * k + i] + (uint32_t)n->q[0]) *
                       ((uint32_t)b[(uint64_t)i * nc + x] + (uint32_t)n->q[1]);
            int32_t v = mcs((int32_t)acc, n->q[2], n->q[3]);
            o[(uint64_t)y * nc + x] = to_u8(wrap32((int64_t)v + n->q[4]));
        }
    return KPU_OK;
}

/* ---- quantized_binary ------------------------------------------------------------------------ */

kpu_status_t v4_dec_quantized_binary(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_ab_out(c, r, n)) != KPU_OK)
        return st;
    n->op = v4_u32(r);
    v4_shape(r, &n->in_shape);
    v4_shape(r, &n->b_shape);
    v4_shape(r, &n->out_shape);
    /* a: offset, mul, shift; b: offset, mul, shift; output: offset, mul, shift */
    read_q(r, n, 9);
    if (r->short_read)
        return KPU_OK;
    if (n->op > 5)
        return v4_fail(c, KPU_ERR_FORMAT, "binary op %lu (0..5)", (unsigned long)n->op);
    if ((st = need_shift(c, n->q[2], "input_a_shift")) != KPU_OK ||
        (st = need_shift(c, n->q[5], "input_b_shift")) != KPU_OK ||
        (st = need_shift(c, n->q[8], "output_shift")) != KPU_OK)
        return st;
    return v4_need_binary(c, n, 1);
}

/* One element; 0 on success, -1 for a division by zero. */
static int qbinary(const v4_node_t *n, uint8_t a, uint8_t b, uint8_t *out)
{
    int32_t av = mcs(wrap32((int64_t)a + n->q[0]), n->q[1], n->q[2]);
    int32_t bv = mcs(wrap32((int64_t)b + n->q[3]), n->q[4], n->q[5]);
    int64_t rv;
    switch (n->op) {
    case 0: rv = (int64_t)av + bv; break;
    case 1: rv = (int64_t)av - bv; break;
    case 2: rv = (int64_t)av * bv; break;
    case 3: {
        if (bv == 0)
            return -1;
        int32_t num = wrap32((int64_t)av + bv / 2); /* rounded division, C truncation */
        rv = (num == INT32_MIN && bv == -1) ? (int64_t)INT32_MIN : (int64_t)(num / bv);
        break;
    }
    case 4: rv = bv < av ? bv : av; break;
    default: rv = av < bv ? bv : av; break;
    }
    int32_t ov = mcs(wrap32(rv), n->q[7], n->q[8]);
    *out = to_u8(wrap32((int64_t)ov + n->q[6]));
    return 0;
}

kpu_status_t v4_run_quantized_binary(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *a = v4_src(c, &n->in), *b = v4_src(c, &n->in_b);
    uint8_t *o = v4_dst(c, &n->out);
    if (memcmp(&n->in_shape, &n->b_shape, sizeof n->in_shape) == 0) {
        uint64_t count = v4_shape_count(&n->in_shape);
        for (uint64_t i = 0; i < count; i++)
            if (qbinary(n, a[i], b[i], &o[i]))
                return v4_fail(c, KPU_ERR_RUN, "quantized_binary: division by zero");
        return KPU_OK;
    }
    uint64_t i = 0;
    int32_t idx[4] = {0, 0, 0, 0};
    /* an empty dimension: no work (the others may be huge) */
    if (v4_shape_count(&n->out_shape) == 0)
        return KPU_OK;
    do {
        if (qbinary(n, a[v4_bcast_offset(&n->in_shape, idx)],
                    b[v4_bcast_offset(&n->b_shape, idx)], &o[i++]))
            return v4_fail(c, KPU_ERR_RUN, "quantized_binary: division by zero");
    } while (v4_next_index(&n->out_shape, idx));
    return KPU_OK;
}
