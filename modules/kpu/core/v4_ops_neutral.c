/* kmodel V4 neutral nodes that compute values (spec A3): binary, concat, dequantize, quantize,
 * matmul, memory_copy, softmax, unary, table_lookup1d, reduce. Float arithmetic is binary32 in
 * the order the spec gives (the build has no FMA contraction), as nncase's host runtime. */
#include "v4_internal.h"

#include <math.h>

uint64_t v4_bcast_offset(const v4_shape_t *s, const int32_t idx[4])
{
    uint64_t off = 0;
    for (int i = 0; i < 4; i++) {
        int32_t v = idx[i] >= s->d[i] ? 0 : idx[i];
        off = off * (uint64_t)s->d[i] + (uint64_t)v;
    }
    return off;
}

kpu_status_t v4_need_bcast(v4_ctx_t *c, const v4_shape_t *s, uint64_t out_count,
                               const char *what)
{
    kpu_status_t st = v4_need_shape(c, s, what);
    if (st != KPU_OK)
        return st;
    for (int i = 0; i < 4 && out_count; i++)
        if (s->d[i] < 1)
            return v4_fail(c, KPU_ERR_FORMAT, "%s has an empty dimension", what);
    return KPU_OK;
}

static int same_shape(const v4_shape_t *a, const v4_shape_t *b)
{
    return memcmp(a->d, b->d, sizeof a->d) == 0;
}

kpu_status_t v4_need_binary(v4_ctx_t *c, const v4_node_t *n, uint32_t elem_size)
{
    kpu_status_t st;
    uint64_t count = v4_shape_count(&n->out_shape);
    if (same_shape(&n->in_shape, &n->b_shape))
        count = v4_shape_count(&n->in_shape);
    else if ((st = v4_need_shape(c, &n->out_shape, "out_shape")) != KPU_OK)
        return st;
    uint64_t a_bytes = v4_mul(v4_shape_count(&n->in_shape), elem_size);
    uint64_t b_bytes = v4_mul(v4_shape_count(&n->b_shape), elem_size);
    if ((st = v4_need_bcast(c, &n->in_shape, count, "a_shape")) != KPU_OK ||
        (st = v4_need_bcast(c, &n->b_shape, count, "b_shape")) != KPU_OK ||
        (st = v4_need_read(c, &n->in, -1, a_bytes, "input a")) != KPU_OK ||
        (st = v4_need_read(c, &n->in_b, -1, b_bytes, "input b")) != KPU_OK)
        return st;
    return v4_need_write(c, &n->out, -1, v4_mul(count, elem_size), "output");
}

/* ---- binary ------------------------------------------------------------------------------ */

kpu_status_t v4_dec_binary(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_ab_out(c, r, n)) != KPU_OK)
        return st;
    n->op = v4_u32(r);
    v4_shape(r, &n->in_shape);
    v4_shape(r, &n->b_shape);
    v4_shape(r, &n->out_shape);
    v4_read_act(r, n);
    if (r->short_read)
        return KPU_OK;
    if (n->op > 5)
        return v4_fail(c, KPU_ERR_FORMAT, "binary op %lu (0..5)", (unsigned long)n->op);
    return v4_need_binary(c, n, 4);
}

float v4_binary_f32(uint32_t op, float a, float b)
{
    switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return b < a ? b : a; /* std::min */
    default: return a < b ? b : a; /* std::max */
    }
}

kpu_status_t v4_run_binary(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *a = v4_src(c, &n->in), *b = v4_src(c, &n->in_b);
    uint8_t *o = v4_dst(c, &n->out);
    if (same_shape(&n->in_shape, &n->b_shape)) {
        uint64_t count = v4_shape_count(&n->in_shape);
        for (uint64_t i = 0; i < count; i++)
            v4_stf(o, i, v4_clamp(v4_binary_f32(n->op, v4_ldf(a, i), v4_ldf(b, i)), n->act_min,
                                  n->act_max));
        return KPU_OK;
    }
    uint64_t i = 0;
    int32_t idx[4] = {0, 0, 0, 0};
    /* an empty dimension: no work (the others may be huge) */
    if (v4_shape_count(&n->out_shape) == 0)
        return KPU_OK;
    do {
        float va = v4_ldf(a, v4_bcast_offset(&n->in_shape, idx));
        float vb = v4_ldf(b, v4_bcast_offset(&n->b_shape, idx));
        v4_stf(o, i++, v4_clamp(v4_binary_f32(n->op, va, vb), n->act_min, n->act_max));
    } while (v4_next_index(&n->out_shape, idx));
    return KPU_OK;
}

/* ---- concat (bytes) ------------------------------------------------------------------------ */

kpu_status_t v4_dec_concat(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st = v4_range(c, r, &n->out, "output");
    if (st != KPU_OK)
        return st;
    n->inner = v4_i32(r);
    n->outer = v4_i32(r);
    n->count = v4_i32(r);
    if (r->short_read)
        return KPU_OK;
    if (n->inner < 0 || n->outer < 0 || n->count < 0)
        return v4_fail(c, KPU_ERR_FORMAT, "concat sizes must not be negative");
    n->list = v4_bytes(r, 20ull * (uint32_t)n->count);
    if (!n->list)
        return KPU_OK;
    uint64_t total = 0;
    v4_rd_t dims = {n->list + 16u * (uint32_t)n->count, 4u * (uint32_t)n->count, 0, 0};
    for (int32_t i = 0; i < n->count; i++) {
        v4_rd_t one = {n->list + 16u * (uint32_t)i, 16, 0, 0};
        v4_range_t in;
        if ((st = v4_range(c, &one, &in, "concat input")) != KPU_OK)
            return st;
        int32_t d = v4_i32(&dims);
        if (d < 0)
            return v4_fail(c, KPU_ERR_FORMAT, "concat input %ld has dimension %ld", (long)i,
                           (long)d);
        uint64_t bytes = v4_mul(v4_mul((uint32_t)n->outer, (uint32_t)n->inner), (uint32_t)d);
        if ((st = v4_need_read(c, &in, -1, bytes, "concat input")) != KPU_OK)
            return st;
        total += (uint64_t)(uint32_t)d;
    }
    return v4_need_write(c, &n->out, -1,
                         v4_mul(v4_mul((uint32_t)n->outer, (uint32_t)n->inner), total),
                         "output");
}

kpu_status_t v4_run_concat(v4_ctx_t *c, const v4_node_t *n)
{
    uint8_t *o = v4_dst(c, &n->out);
    const uint8_t *dims = n->list + 16u * (uint32_t)n->count;
    if (n->inner == 0 || n->count == 0)
        return KPU_OK;
    for (int32_t k = 0; k < n->outer; k++)
        for (int32_t i = 0; i < n->count; i++) {
            v4_range_t in;
            in.type = kpu_rd32(n->list + 16u * (uint32_t)i, 0);
            in.start = kpu_rd32(n->list + 16u * (uint32_t)i + 8, 0);
            size_t part = (size_t)(uint32_t)n->inner * (uint32_t)v4_ldi(dims, (uint32_t)i);
            memmove(o, v4_src(c, &in) + (size_t)(uint32_t)k * part, part);
            o += part;
        }
    return KPU_OK;
}

/* ---- dequantize / quantize ----------------------------------------------------------------- */

static kpu_status_t dec_quant_param(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    n->zero_point = v4_i32(r);
    n->scale = v4_f32(r);
    return KPU_OK;
}

kpu_status_t v4_dec_dequantize(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st = dec_quant_param(c, r, n);
    if (st != KPU_OK || r->short_read)
        return st;
    if ((st = v4_need_read(c, &n->in, -1, n->in.size, "input")) != KPU_OK)
        return st;
    return v4_need_write(c, &n->out, -1, 4ull * n->in.size, "output");
}

kpu_status_t v4_run_dequantize(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    float inv = 1.0f / n->scale; /* once, in binary32 (host runtime) */
    for (uint32_t i = 0; i < n->in.size; i++) {
        int32_t q = (int32_t)((uint32_t)in[i] - (uint32_t)n->zero_point); /* wraps as int */
        v4_stf(o, i, (float)q * inv);
    }
    return KPU_OK;
}

kpu_status_t v4_dec_quantize(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st = dec_quant_param(c, r, n);
    if (st != KPU_OK || r->short_read)
        return st;
    if ((st = v4_need_read(c, &n->in, -1, n->in.size, "input")) != KPU_OK)
        return st;
    return v4_need_write(c, &n->out, -1, n->in.size / 4u, "output");
}

kpu_status_t v4_run_quantize(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    float zp = (float)n->zero_point;
    for (uint32_t i = 0; i < n->in.size / 4u; i++) {
        int32_t q = v4_to_int(roundf(v4_ldf(in, i) * n->scale + zp)); /* halves away from 0 */
        o[i] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
    }
    return KPU_OK;
}

/* ---- matmul -------------------------------------------------------------------------------- */

kpu_status_t v4_dec_matmul(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_ab_out(c, r, n)) != KPU_OK)
        return st;
    n->rows = v4_i32(r);
    n->cols = v4_i32(r);
    n->bcols = v4_i32(r);
    v4_read_act(r, n);
    if (r->short_read)
        return KPU_OK;
    if (n->rows < 0 || n->cols < 0 || n->bcols < 0)
        return v4_fail(c, KPU_ERR_FORMAT, "matmul sizes must not be negative");
    n->bias = v4_bytes(r, 4ull * (uint32_t)n->bcols);
    uint64_t m = (uint32_t)n->rows, k = (uint32_t)n->cols, nc = (uint32_t)n->bcols;
    if ((st = v4_need_read(c, &n->in, -1, v4_mul(m * k, 4), "input a")) != KPU_OK ||
        (st = v4_need_read(c, &n->in_b, -1, v4_mul(k * nc, 4), "input b")) != KPU_OK)
        return st;
    return v4_need_write(c, &n->out, -1, v4_mul(m * nc, 4), "output");
}

kpu_status_t v4_run_matmul(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *a = v4_src(c, &n->in), *b = v4_src(c, &n->in_b);
    uint8_t *o = v4_dst(c, &n->out);
    uint32_t m = (uint32_t)n->rows, k = (uint32_t)n->cols, nc = (uint32_t)n->bcols;
    if (nc == 0)
        return KPU_OK;
    for (uint32_t y = 0; y < m; y++)
        for (uint32_t x = 0; x < nc; x++) {
            float v = v4_ldf(n->bias, x);
            for (uint32_t i = 0; i < k; i++)
                v += v4_ldf(a, (uint64_t)y * k + i) * v4_ldf(b, (uint64_t)i * nc + x);
            v4_stf(o, (uint64_t)y * nc + x, v4_clamp(v, n->act_min, n->act_max));
        }
    return KPU_OK;
}

/* ---- memory_copy, unary, table_lookup1d ----------------------------------------------------- */

kpu_status_t v4_dec_memory_copy(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st = v4_range_in_out(c, r, n);
    if (st != KPU_OK || (st = v4_need_read(c, &n->in, -1, n->in.size, "input")) != KPU_OK)
        return st;
    return v4_need_write(c, &n->out, -1, n->in.size / 4u * 4u, "output");
}

kpu_status_t v4_run_memory_copy(v4_ctx_t *c, const v4_node_t *n)
{
    /* whole floats only: a trailing 1-3 bytes of the range are not copied */
    memmove(v4_dst(c, &n->out), v4_src(c, &n->in), n->in.size / 4u * 4u);
    return KPU_OK;
}

kpu_status_t v4_dec_unary(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st = v4_range_in_out(c, r, n);
    if (st != KPU_OK)
        return st;
    n->op = v4_u32(r);
    if (r->short_read)
        return KPU_OK;
    if (n->op > 9)
        return v4_fail(c, KPU_ERR_FORMAT, "unary op %lu (0..9)", (unsigned long)n->op);
    if ((st = v4_need_read(c, &n->in, -1, n->in.size, "input")) != KPU_OK)
        return st;
    return v4_need_write(c, &n->out, -1, n->in.size / 4u * 4u, "output");
}

float v4_unary_f32(uint32_t op, float x)
{
    switch (op) {
    case 0: return fabsf(x);
    case 1: return ceilf(x);
    case 2: return cosf(x);
    case 3: return expf(x);
    case 4: return floorf(x);
    case 5: return logf(x);
    case 6: return -x;
    case 7: return 1.0f / sqrtf(x);
    case 8: return sinf(x);
    default: return x * x;
    }
}

kpu_status_t v4_run_unary(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    for (uint32_t i = 0; i < n->in.size / 4u; i++)
        v4_stf(o, i, v4_unary_f32(n->op, v4_ldf(in, i)));
    return KPU_OK;
}

kpu_status_t v4_dec_table_lookup1d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range(c, r, &n->in, "input")) != KPU_OK ||
        (st = v4_range(c, r, &n->in_b, "table")) != KPU_OK ||
        (st = v4_range(c, r, &n->out, "output")) != KPU_OK)
        return st;
    if ((st = v4_need_read(c, &n->in, V4_DT_U8, n->in.size, "input")) != KPU_OK ||
        (st = v4_need_read(c, &n->in_b, -1, n->in_b.size, "table")) != KPU_OK)
        return st;
    return v4_need_write(c, &n->out, -1, n->in.size, "output");
}

kpu_status_t v4_run_table_lookup1d(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in), *table = v4_src(c, &n->in_b);
    uint8_t *o = v4_dst(c, &n->out);
    for (uint32_t i = 0; i < n->in.size; i++) {
        if (in[i] >= n->in_b.size) /* a short table: never read past it */
            return v4_fail(c, KPU_ERR_RUN, "table_lookup1d: value %u past the %lu-entry table",
                           in[i], (unsigned long)n->in_b.size);
        o[i] = table[in[i]];
    }
    return KPU_OK;
}

/* ---- softmax ------------------------------------------------------------------------------- */

kpu_status_t v4_dec_softmax(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st = v4_range_in_out(c, r, n);
    if (st != KPU_OK)
        return st;
    n->inner = v4_i32(r);
    n->outer = v4_i32(r);
    n->beta = v4_f32(r);
    if (r->short_read)
        return KPU_OK;
    if (n->inner < 0 || n->outer < 0)
        return v4_fail(c, KPU_ERR_FORMAT, "softmax sizes must not be negative");
    uint64_t bytes = v4_mul(v4_mul((uint32_t)n->inner, (uint32_t)n->outer), 4);
    if ((st = v4_need_read(c, &n->in, -1, bytes, "input")) != KPU_OK)
        return st;
    return v4_need_write(c, &n->out, -1, bytes, "output");
}

kpu_status_t v4_run_softmax(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    uint64_t inner = (uint32_t)n->inner;
    if (inner == 0)
        return KPU_OK;
    for (uint64_t row = 0; row < (uint32_t)n->outer; row++) {
        uint64_t base = row * inner;
        float max = v4_ldf(in, base);
        for (uint64_t i = 1; i < inner; i++) {
            float v = v4_ldf(in, base + i);
            max = max < v ? v : max; /* the first maximum */
        }
        float sum = 0.0f;
        for (uint64_t i = 0; i < inner; i++) {
            float e = expf((v4_ldf(in, base + i) - max) * n->beta);
            v4_stf(o, base + i, e);
            sum += e;
        }
        for (uint64_t i = 0; i < inner; i++)
            v4_stf(o, base + i, v4_ldf(o, base + i) / sum);
    }
    return KPU_OK;
}

/* ---- reduce -------------------------------------------------------------------------------- */

kpu_status_t v4_dec_reduce(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st = v4_range_in_out(c, r, n);
    if (st != KPU_OK)
        return st;
    n->op = v4_u32(r);
    v4_shape(r, &n->in_shape);
    v4_shape(r, &n->out_shape);
    n->init_value = v4_f32(r);
    if (r->short_read)
        return KPU_OK;
    if (n->op > 3)
        return v4_fail(c, KPU_ERR_FORMAT, "reduce op %lu (0..3)", (unsigned long)n->op);
    uint64_t in_count = v4_shape_count(&n->in_shape);
    if ((st = v4_need_shape(c, &n->in_shape, "in_shape")) != KPU_OK ||
        (st = v4_need_bcast(c, &n->out_shape, in_count, "out_shape")) != KPU_OK ||
        (st = v4_need_read(c, &n->in, -1, v4_mul(in_count, 4), "input")) != KPU_OK)
        return st;
    /* the whole output range is filled (and scaled for mean), not only out_shape */
    uint64_t out_bytes = v4_mul(v4_shape_count(&n->out_shape), 4);
    return v4_need_write(c, &n->out, -1, out_bytes > n->out.size ? out_bytes : n->out.size,
                         "output");
}

kpu_status_t v4_run_reduce(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    uint32_t out_count = n->out.size / 4u;
    for (uint32_t i = 0; i < out_count; i++)
        v4_stf(o, i, n->init_value);
    uint64_t i = 0;
    int32_t idx[4] = {0, 0, 0, 0};
    /* an empty dimension means no input element (the other dimensions may be huge) */
    if (v4_shape_count(&n->in_shape) != 0)
        do {
            uint64_t at = v4_bcast_offset(&n->out_shape, idx);
            float acc = v4_ldf(o, at), x = v4_ldf(in, i++);
            if (n->op == 1)
                acc = x < acc ? x : acc;
            else if (n->op == 2)
                acc = acc < x ? x : acc;
            else
                acc = acc + x;
            v4_stf(o, at, acc);
        } while (v4_next_index(&n->in_shape, idx));
    if (n->op == 0) {
        /* counts from the range sizes, as the host runtime */
        float scale = (float)out_count / (float)(n->in.size / 4u);
        for (uint32_t k = 0; k < out_count; k++)
            v4_stf(o, k, v4_ldf(o, k) * scale);
    }
    return KPU_OK;
}
