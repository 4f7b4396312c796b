/* kmodel V4 nodes that move elements (spec A3): pad (growing or cropping), transpose,
 * strided_slice and resize_image. The element size (1 or 4 bytes) comes from the input range's
 * datatype; every index a kernel can form is proven inside its operand at load. */
#include "v4_internal.h"

#include <math.h>

static uint64_t offset4(const v4_shape_t *s, const int32_t idx[4])
{
    uint64_t off = 0;
    for (int i = 0; i < 4; i++)
        off = off * (uint64_t)s->d[i] + (uint64_t)idx[i];
    return off;
}

/* Element size from the input's datatype. */
static kpu_status_t need_in_out(v4_ctx_t *c, const v4_node_t *n, uint64_t in_count,
                                uint64_t out_count)
{
    return v4_need_io(c, n, in_count, out_count, v4_elem_size(n->in.dtype));
}

/* ---- pad ----------------------------------------------------------------------------------- */

static void pad_out_shape(const v4_node_t *n, v4_shape_t *o)
{
    for (int i = 0; i < 4; i++)
        o->d[i] = (int32_t)((int64_t)n->in_shape.d[i] + n->paddings[i][0] + n->paddings[i][1]);
}

kpu_status_t v4_dec_pad(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    for (int i = 0; i < 4; i++) {
        n->paddings[i][0] = v4_i32(r);
        n->paddings[i][1] = v4_i32(r);
    }
    v4_skip(r, 4); /* the scalar's datatype: the input's decides */
    const uint8_t *value = v4_bytes(r, 4);
    if (r->short_read)
        return KPU_OK;
    memcpy(n->pad_value, value, 4);
    if ((st = v4_need_shape(c, &n->in_shape, "in_shape")) != KPU_OK)
        return st;
    for (int i = 0; i < 4; i++) {
        int64_t d = (int64_t)n->in_shape.d[i] + n->paddings[i][0] + n->paddings[i][1];
        if (d < 0 || d > INT32_MAX)
            return v4_fail(c, KPU_ERR_FORMAT, "pad gives dimension %d the size %lld", i,
                           (long long)d);
    }
    pad_out_shape(n, &n->out_shape);
    return need_in_out(c, n, v4_shape_count(&n->in_shape), v4_shape_count(&n->out_shape));
}

kpu_status_t v4_run_pad(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    uint32_t es = v4_elem_size(n->in.dtype);
    const v4_shape_t *s = &n->out_shape;
    int32_t idx[4] = {0, 0, 0, 0}, src[4];
    if (v4_shape_count(s) == 0) /* an empty dimension: no work (the others may be huge) */
        return KPU_OK;
    do {
        int inside = 1;
        for (int i = 0; i < 4; i++) {
            int64_t v = (int64_t)idx[i] - n->paddings[i][0];
            int on_axis = v >= 0 && v < n->in_shape.d[i];
            inside &= on_axis;
            src[i] = on_axis ? (int32_t)v : 0;
        }
        const uint8_t *from = inside ? in + offset4(&n->in_shape, src) * es : n->pad_value;
        memmove(o, from, es); /* operands may overlap */
        o += es;
    } while (v4_next_index(s, idx));
    return KPU_OK;
}

/* ---- transpose ----------------------------------------------------------------------------- */

kpu_status_t v4_dec_transpose(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    for (int i = 0; i < 4; i++)
        n->perm[i] = v4_i32(r);
    if (r->short_read)
        return KPU_OK;
    if ((st = v4_need_shape(c, &n->in_shape, "in_shape")) != KPU_OK)
        return st;
    unsigned seen = 0;
    for (int i = 0; i < 4; i++) {
        if (n->perm[i] < 0 || n->perm[i] > 3 || (seen & (1u << n->perm[i])))
            return v4_fail(c, KPU_ERR_FORMAT, "transpose perm (%ld,%ld,%ld,%ld) is not a "
                           "permutation of 0..3", (long)n->perm[0], (long)n->perm[1],
                           (long)n->perm[2], (long)n->perm[3]);
        seen |= 1u << n->perm[i];
        n->out_shape.d[i] = n->in_shape.d[n->perm[i]];
    }
    uint64_t count = v4_shape_count(&n->in_shape);
    return need_in_out(c, n, count, count);
}

kpu_status_t v4_run_transpose(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    uint32_t es = v4_elem_size(n->in.dtype);
    const v4_shape_t *s = &n->in_shape;
    int32_t idx[4] = {0, 0, 0, 0}, to[4];
    if (v4_shape_count(s) == 0)
        return KPU_OK;
    do {
        for (int i = 0; i < 4; i++)
            to[i] = idx[n->perm[i]];
        memmove(o + offset4(&n->out_shape, to) * es, in + offset4(s, idx) * es, es);
    } while (v4_next_index(s, idx));
    return KPU_OK;
}

/* ---- strided_slice ------------------------------------------------------------------------- */

/* Number of indices begin, begin + stride, ... before end (i < end, or i > end for stride < 0). */
static int64_t slice_len(int32_t begin, int32_t end, int32_t stride)
{
    if (stride > 0)
        return begin < end ? ((int64_t)end - begin + stride - 1) / stride : 0;
    return begin > end ? ((int64_t)begin - end - stride - 1) / -(int64_t)stride : 0;
}

kpu_status_t v4_dec_strided_slice(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    for (int i = 0; i < 4; i++)
        n->begin[i] = v4_i32(r);
    for (int i = 0; i < 4; i++)
        n->end[i] = v4_i32(r);
    for (int i = 0; i < 4; i++)
        n->strides[i] = v4_i32(r);
    v4_skip(r, 20); /* the five masks: resolved by the compiler, unused at run time */
    if (r->short_read)
        return KPU_OK;
    if ((st = v4_need_shape(c, &n->in_shape, "in_shape")) != KPU_OK)
        return st;
    for (int i = 0; i < 4; i++) {
        if (n->strides[i] == 0)
            return v4_fail(c, KPU_ERR_FORMAT, "strided_slice stride %d is 0", i);
        int64_t len = slice_len(n->begin[i], n->end[i], n->strides[i]);
        int64_t last = n->begin[i] + (len - 1) * (int64_t)n->strides[i];
        if (len > 0 && (n->begin[i] < 0 || n->begin[i] >= n->in_shape.d[i] || last < 0 ||
                        last >= n->in_shape.d[i]))
            return v4_fail(c, KPU_ERR_BOUNDS, "strided_slice axis %d reads indices %ld..%lld "
                           "of %ld", i, (long)n->begin[i], (long long)last,
                           (long)n->in_shape.d[i]);
        n->out_shape.d[i] = (int32_t)len;
    }
    return need_in_out(c, n, v4_shape_count(&n->in_shape), v4_shape_count(&n->out_shape));
}

kpu_status_t v4_run_strided_slice(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    uint32_t es = v4_elem_size(n->in.dtype);
    const v4_shape_t *s = &n->out_shape;
    int32_t k[4] = {0, 0, 0, 0}, idx[4];
    if (v4_shape_count(s) == 0)
        return KPU_OK;
    do {
        for (int i = 0; i < 4; i++) /* proven inside the input at load */
            idx[i] = (int32_t)(n->begin[i] + (int64_t)k[i] * n->strides[i]);
        memmove(o, in + offset4(&n->in_shape, idx) * es, es);
        o += es;
    } while (v4_next_index(s, k));
    return KPU_OK;
}

/* ---- resize_image -------------------------------------------------------------------------- */

kpu_status_t v4_dec_resize_image(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    n->out_h = v4_i32(r);
    n->out_w = v4_i32(r);
    n->op = v4_u32(r);
    const uint8_t *ac = v4_bytes(r, 4); /* bool + struct padding */
    if (r->short_read)
        return KPU_OK;
    n->align_corners = ac[0] != 0;
    if (n->op > 1)
        return v4_fail(c, KPU_ERR_FORMAT, "resize mode %lu (0 bilinear, 1 nearest)",
                       (unsigned long)n->op);
    if ((st = v4_need_shape(c, &n->in_shape, "in_shape")) != KPU_OK)
        return st;
    if (n->out_h < 0 || n->out_w < 0)
        return v4_fail(c, KPU_ERR_FORMAT, "resize output %ldx%ld", (long)n->out_w,
                       (long)n->out_h);
    n->out_shape = n->in_shape;
    n->out_shape.d[2] = n->out_h;
    n->out_shape.d[3] = n->out_w;
    uint64_t out_count = v4_shape_count(&n->out_shape);
    if (out_count && (n->in_shape.d[2] < 1 || n->in_shape.d[3] < 1))
        return v4_fail(c, KPU_ERR_FORMAT, "resize of an empty image");
    return need_in_out(c, n, v4_shape_count(&n->in_shape), out_count);
}

static float load_elem(const uint8_t *p, uint64_t i, int f32)
{
    return f32 ? v4_ldf(p, i) : (float)p[i];
}

static void store_elem(uint8_t *p, uint64_t i, int f32, float v)
{
    if (f32)
        v4_stf(p, i, v);
    else
        p[i] = (uint8_t)(uint32_t)v4_to_int(v); /* truncation, low byte as x86 */
}

static float axis_scale(int32_t in, int32_t out, int bilinear_ac)
{
    if (bilinear_ac && out > 1)
        return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

kpu_status_t v4_run_resize_image(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    if (v4_shape_count(&n->out_shape) == 0)
        return KPU_OK;
    int f32 = n->in.dtype == V4_DT_F32, nearest = n->op == 1;
    int32_t ih = n->in_shape.d[2], iw = n->in_shape.d[3];
    float sh = axis_scale(ih, n->out_h, !nearest && n->align_corners);
    float sw = axis_scale(iw, n->out_w, !nearest && n->align_corners);
    uint64_t plane = (uint64_t)ih * (uint64_t)iw, out_i = 0;
    uint64_t planes = (uint64_t)n->in_shape.d[0] * (uint64_t)n->in_shape.d[1];
    for (uint64_t p = 0; p < planes; p++) {
        uint64_t base = p * plane;
        for (int32_t oy = 0; oy < n->out_h; oy++)
            for (int32_t ox = 0; ox < n->out_w; ox++) {
                float fy = (float)oy * sh, fx = (float)ox * sw;
                int32_t y0 = v4_to_int(floorf(fy)), x0 = v4_to_int(floorf(fx));
                y0 = y0 < 0 ? 0 : y0 > ih - 1 ? ih - 1 : y0; /* no-ops for sane scales */
                x0 = x0 < 0 ? 0 : x0 > iw - 1 ? iw - 1 : x0;
                if (nearest) {
                    float v = load_elem(in, base + (uint64_t)y0 * iw + x0, f32);
                    store_elem(o, out_i++, f32, v);
                    continue;
                }
                int32_t y1 = y0 + 1 < ih ? y0 + 1 : ih - 1, x1 = x0 + 1 < iw ? x0 + 1 : iw - 1;
                float dy = fy - (float)y0, dx = fx - (float)x0;
                float a0 = (1.0f - dy) * (1.0f - dx), a1 = dy * (1.0f - dx);
                float a2 = (1.0f - dy) * dx, a3 = dy * dx;
                float v = load_elem(in, base + (uint64_t)y0 * iw + x0, f32) * a0 +
                          load_elem(in, base + (uint64_t)y1 * iw + x0, f32) * a1 +
                          load_elem(in, base + (uint64_t)y0 * iw + x1, f32) * a2 +
                          load_elem(in, base + (uint64_t)y1 * iw + x1, f32) * a3;
                store_elem(o, out_i++, f32, v);
            }
    }
    return KPU_OK;
}
