/* kmodel V4 float convolutions and windows (spec A3): conv2d and reduce_window2d (NCHW),
 * conv2d_transpose, and the NHWC cpu nodes cpu_conv2d, cpu_depthwise_conv2d and
 * cpu_reduce_window2d. Taps that fall in the padding are skipped (zero padding); sums run in
 * the spec's order in binary32. */
#include "v4_internal.h"

#include <float.h>

static int nhwc(uint32_t opcode) { return opcode >= V4_OP_CPU_CONV2D; }

/* ---- conv2d (NCHW, groups) ------------------------------------------------------------------ */

kpu_status_t v4_dec_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    n->groups = v4_i32(r);
    n->out_channels = v4_i32(r);
    v4_read_window(r, n);
    v4_read_act(r, n);
    if (r->short_read)
        return KPU_OK;
    const v4_shape_t *s = &n->in_shape;
    if ((st = v4_need_shape(c, s, "in_shape")) != KPU_OK)
        return st;
    if (n->groups < 1 || n->out_channels < 1 || s->d[1] % n->groups || n->out_channels % n->groups)
        return v4_fail(c, KPU_ERR_FORMAT, "conv2d groups %ld do not divide %ld input / %ld "
                       "output channels", (long)n->groups, (long)s->d[1], (long)n->out_channels);
    int32_t oh, ow;
    if ((st = v4_window_hw(c, n, s->d[2], s->d[3], &oh, &ow)) != KPU_OK)
        return st;
    n->out_shape.d[0] = s->d[0];
    n->out_shape.d[1] = n->out_channels;
    n->out_shape.d[2] = oh;
    n->out_shape.d[3] = ow;
    uint64_t wcount = v4_mul(v4_mul((uint32_t)n->out_channels, (uint32_t)(s->d[1] / n->groups)),
                             (uint64_t)(uint32_t)n->filter_h * (uint32_t)n->filter_w);
    n->weights = v4_bytes(r, v4_mul(wcount, 4));
    n->bias = v4_bytes(r, 4ull * (uint32_t)n->out_channels);
    if (r->short_read)
        return KPU_OK;
    return v4_need_io(c, n, v4_shape_count(s), v4_shape_count(&n->out_shape), 4);
}

kpu_status_t v4_run_conv2d(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    int32_t ic_all = n->in_shape.d[1], ih = n->in_shape.d[2], iw = n->in_shape.d[3];
    int32_t icg = ic_all / n->groups, ocg = n->out_channels / n->groups;
    int32_t oh = n->out_shape.d[2], ow = n->out_shape.d[3];
    uint64_t out_i = 0;
    for (int32_t b = 0; b < n->in_shape.d[0]; b++)
        for (int32_t g = 0; g < n->groups; g++)
            for (int32_t oc = g * ocg; oc < (g + 1) * ocg; oc++)
                for (int32_t oy = 0; oy < oh; oy++)
                    for (int32_t ox = 0; ox < ow; ox++) {
                        int64_t y0 = (int64_t)oy * n->stride_h - n->pad_h[0];
                        int64_t x0 = (int64_t)ox * n->stride_w - n->pad_w[0];
                        float v = v4_ldf(n->bias, (uint32_t)oc);
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
                                    v += v4_ldf(in, (plane + (uint64_t)y) * iw + (uint64_t)x) *
                                         v4_ldf(n->weights, (wbase + ky) * n->filter_w + kx);
                                }
                            }
                        }
                        v4_stf(o, out_i++, v4_clamp(v, n->act_min, n->act_max));
                    }
    return KPU_OK;
}

/* ---- conv2d_transpose ------------------------------------------------------------------------ */

/* The field list of spec A2 (in, out, in_shape, out_shape, groups, paddings, six integers,
 * fused_activation) is 116 bytes; the table's "100+" does not match it. No file uses this node. */
kpu_status_t v4_dec_conv2d_transpose(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    v4_shape(r, &n->out_shape);
    n->groups = v4_i32(r);
    v4_read_window(r, n);
    v4_read_act(r, n);
    if (r->short_read)
        return KPU_OK;
    const v4_shape_t *s = &n->in_shape, *os = &n->out_shape;
    if ((st = v4_need_shape(c, s, "in_shape")) != KPU_OK ||
        (st = v4_need_shape(c, os, "out_shape")) != KPU_OK)
        return st;
    if (n->groups < 1 || s->d[1] % n->groups || os->d[1] % n->groups || s->d[0] != os->d[0])
        return v4_fail(c, KPU_ERR_FORMAT, "conv2d_transpose shapes do not fit groups %ld",
                       (long)n->groups);
    if (n->filter_h < 1 || n->filter_w < 1 || n->stride_h < 1 || n->stride_w < 1 ||
        n->dil_h < 1 || n->dil_w < 1)
        return v4_fail(c, KPU_ERR_FORMAT, "conv2d_transpose window must be positive");
    uint64_t wcount = v4_mul(v4_mul((uint32_t)os->d[1], (uint32_t)(s->d[1] / n->groups)),
                             (uint64_t)(uint32_t)n->filter_h * (uint32_t)n->filter_w);
    n->weights = v4_bytes(r, v4_mul(wcount, 4));
    n->bias = v4_bytes(r, 4ull * (uint32_t)os->d[1]); /* read, never added (NC02) */
    if (r->short_read)
        return KPU_OK;
    return v4_need_io(c, n, v4_shape_count(s), v4_shape_count(os), 4);
}

kpu_status_t v4_run_conv2d_transpose(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    const v4_shape_t *s = &n->in_shape, *os = &n->out_shape;
    uint64_t total = v4_shape_count(os);
    for (uint64_t i = 0; i < total; i++)
        v4_stf(o, i, 0.0f);
    int32_t icg = s->d[1] / n->groups, ocg = os->d[1] / n->groups;
    int32_t oh = os->d[2], ow = os->d[3];
    uint64_t in_i = 0;
    for (int32_t b = 0; b < s->d[0]; b++)
        for (int32_t g = 0; g < n->groups; g++)
            for (int32_t ic = 0; ic < icg; ic++)
                for (int32_t iy = 0; iy < s->d[2]; iy++)
                    for (int32_t ix = 0; ix < s->d[3]; ix++) {
                        float x = v4_ldf(in, in_i++);
                        int64_t y0 = (int64_t)iy * n->stride_h - n->pad_h[0];
                        int64_t x0 = (int64_t)ix * n->stride_w - n->pad_w[0];
                        for (int32_t oc = g * ocg; oc < (g + 1) * ocg; oc++) {
                            uint64_t plane = ((uint64_t)b * os->d[1] + oc) * (uint64_t)oh;
                            uint64_t wbase = ((uint64_t)oc * icg + ic) * (uint64_t)n->filter_h;
                            for (int32_t ky = 0; ky < n->filter_h; ky++) {
                                int64_t y = y0 + (int64_t)n->dil_h * ky;
                                if (y < 0 || y >= oh)
                                    continue;
                                for (int32_t kx = 0; kx < n->filter_w; kx++) {
                                    int64_t xo = x0 + (int64_t)n->dil_w * kx;
                                    if (xo < 0 || xo >= ow)
                                        continue;
                                    uint64_t at = (plane + (uint64_t)y) * ow + (uint64_t)xo;
                                    float w = v4_ldf(n->weights, (wbase + ky) * n->filter_w + kx);
                                    v4_stf(o, at, v4_ldf(o, at) + x * w);
                                }
                            }
                        }
                    }
    if (n->act_min != -FLT_MAX || n->act_max != FLT_MAX)
        for (uint64_t i = 0; i < total; i++)
            v4_stf(o, i, v4_clamp(v4_ldf(o, i), n->act_min, n->act_max));
    return KPU_OK;
}

/* ---- reduce_window2d (NCHW) and cpu_reduce_window2d (NHWC) ---------------------------------- */

kpu_status_t v4_dec_reduce_window2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    n->op = v4_u32(r);
    v4_shape(r, &n->in_shape);
    v4_read_window(r, n);
    n->init_value = v4_f32(r);
    v4_read_act(r, n);
    if (r->short_read)
        return KPU_OK;
    if (n->op > (nhwc(n->opcode) ? 2u : 3u))
        return v4_fail(c, KPU_ERR_FORMAT, "reduce_window2d op %lu (%s)", (unsigned long)n->op,
                       nhwc(n->opcode) ? "mean, min, max" : "0..3");
    const v4_shape_t *s = &n->in_shape;
    if ((st = v4_need_shape(c, s, "in_shape")) != KPU_OK)
        return st;
    int h_axis = nhwc(n->opcode) ? 1 : 2;
    int32_t oh, ow;
    if ((st = v4_window_hw(c, n, s->d[h_axis], s->d[h_axis + 1], &oh, &ow)) != KPU_OK)
        return st;
    /* no weights bound this window: keep its work per output sane */
    if ((uint64_t)(uint32_t)n->filter_h * (uint32_t)n->filter_w > V4_MAX_WINDOW_TAPS)
        return v4_fail(c, KPU_ERR_NOT_IMPLEMENTED, "window %ldx%ld has more than %lu taps",
                       (long)n->filter_h, (long)n->filter_w, (unsigned long)V4_MAX_WINDOW_TAPS);
    n->out_shape = *s;
    n->out_shape.d[h_axis] = oh;
    n->out_shape.d[h_axis + 1] = ow;
    return v4_need_io(c, n, v4_shape_count(s), v4_shape_count(&n->out_shape), 4);
}

/* One window at (oy, ox) of channel ch; in_at(y, x) is the element offset of a tap. */
static float window_value(const v4_node_t *n, const uint8_t *in, int32_t ih, int32_t iw,
                          int32_t oy, int32_t ox, uint64_t base, uint64_t ystep, uint64_t xstep)
{
    int64_t y0 = (int64_t)oy * n->stride_h - n->pad_h[0];
    int64_t x0 = (int64_t)ox * n->stride_w - n->pad_w[0];
    float v = n->init_value;
    int32_t k = 0;
    for (int32_t ky = 0; ky < n->filter_h; ky++) {
        int64_t y = y0 + (int64_t)ky * n->dil_h;
        if (y < 0 || y >= ih)
            continue;
        for (int32_t kx = 0; kx < n->filter_w; kx++) {
            int64_t x = x0 + (int64_t)kx * n->dil_w;
            if (x < 0 || x >= iw)
                continue;
            float t = v4_ldf(in, base + (uint64_t)y * ystep + (uint64_t)x * xstep);
            if (n->op == 1)
                v = t < v ? t : v;
            else if (n->op == 2)
                v = v < t ? t : v;
            else
                v = v + t;
            k++;
        }
    }
    if (n->op == 0)
        v = v / (float)k;
    return v4_clamp(v, n->act_min, n->act_max);
}

kpu_status_t v4_run_reduce_window2d(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    const v4_shape_t *s = &n->in_shape;
    uint64_t out_i = 0;
    if (!nhwc(n->opcode)) {
        int32_t ih = s->d[2], iw = s->d[3];
        for (int32_t b = 0; b < s->d[0]; b++)
            for (int32_t ch = 0; ch < s->d[1]; ch++) {
                uint64_t base = ((uint64_t)b * s->d[1] + ch) * ih * (uint64_t)iw;
                for (int32_t oy = 0; oy < n->out_shape.d[2]; oy++)
                    for (int32_t ox = 0; ox < n->out_shape.d[3]; ox++)
                        v4_stf(o, out_i++, window_value(n, in, ih, iw, oy, ox, base,
                                                        (uint64_t)iw, 1));
            }
        return KPU_OK;
    }
    int32_t ih = s->d[1], iw = s->d[2], nc = s->d[3];
    for (int32_t b = 0; b < s->d[0]; b++)
        for (int32_t oy = 0; oy < n->out_shape.d[1]; oy++)
            for (int32_t ox = 0; ox < n->out_shape.d[2]; ox++)
                for (int32_t ch = 0; ch < nc; ch++) {
                    uint64_t base = (uint64_t)b * ih * iw * nc + (uint64_t)ch;
                    v4_stf(o, out_i++, window_value(n, in, ih, iw, oy, ox, base,
                                                    (uint64_t)iw * nc, (uint64_t)nc));
                }
    return KPU_OK;
}

/* ---- cpu_conv2d / cpu_depthwise_conv2d (NHWC) ------------------------------------------------ */

kpu_status_t v4_dec_cpu_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    int dw = n->opcode == V4_OP_CPU_DEPTHWISE_CONV2D;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    n->out_channels = dw ? n->in_shape.d[3] : v4_i32(r);
    v4_read_window(r, n);
    v4_read_act(r, n);
    if (r->short_read)
        return KPU_OK;
    const v4_shape_t *s = &n->in_shape;
    if ((st = v4_need_shape(c, s, "in_shape")) != KPU_OK)
        return st;
    if (n->out_channels < 1)
        return v4_fail(c, KPU_ERR_FORMAT, "%ld output channels", (long)n->out_channels);
    int32_t oh, ow;
    if ((st = v4_window_hw(c, n, s->d[1], s->d[2], &oh, &ow)) != KPU_OK)
        return st;
    n->out_shape.d[0] = s->d[0];
    n->out_shape.d[1] = oh;
    n->out_shape.d[2] = ow;
    n->out_shape.d[3] = n->out_channels;
    uint64_t taps = (uint64_t)(uint32_t)n->filter_h * (uint32_t)n->filter_w;
    uint64_t wcount = v4_mul(v4_mul((uint32_t)n->out_channels, taps),
                             dw ? 1u : (uint32_t)s->d[3]);
    n->weights = v4_bytes(r, v4_mul(wcount, 4));
    n->bias = v4_bytes(r, 4ull * (uint32_t)n->out_channels);
    if (r->short_read)
        return KPU_OK;
    return v4_need_io(c, n, v4_shape_count(s), v4_shape_count(&n->out_shape), 4);
}

kpu_status_t v4_run_cpu_conv2d(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    int dw = n->opcode == V4_OP_CPU_DEPTHWISE_CONV2D;
    int32_t ih = n->in_shape.d[1], iw = n->in_shape.d[2], ic = n->in_shape.d[3];
    int32_t kh = n->filter_h, kw = n->filter_w;
    uint64_t out_i = 0;
    for (int32_t b = 0; b < n->in_shape.d[0]; b++)
        for (int32_t oy = 0; oy < n->out_shape.d[1]; oy++)
            for (int32_t ox = 0; ox < n->out_shape.d[2]; ox++)
                for (int32_t oc = 0; oc < n->out_channels; oc++) {
                    int64_t y0 = (int64_t)oy * n->stride_h - n->pad_h[0];
                    int64_t x0 = (int64_t)ox * n->stride_w - n->pad_w[0];
                    float v = v4_ldf(n->bias, (uint32_t)oc);
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
                            if (dw) {
                                v += v4_ldf(in, px + (uint64_t)oc) * v4_ldf(n->weights, tap);
                                continue;
                            }
                            for (int32_t i = 0; i < ic; i++)
                                v += v4_ldf(in, px + (uint64_t)i) *
                                     v4_ldf(n->weights, tap * (uint64_t)ic + (uint64_t)i);
                        }
                    }
                    v4_stf(o, out_i++, v4_clamp(v, n->act_min, n->act_max));
                }
    return KPU_OK;
}
