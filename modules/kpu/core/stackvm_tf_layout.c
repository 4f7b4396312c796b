/* Data-movement tensor functions of the stackvm (spec C6): pad, transpose, slice, broadcast
 * and resize_image (nearest for any element type, bilinear for float32 / uint8 / int8). */
#include "stackvm.h"

#include <math.h>
#include "stackvm_elem.h"

static kpu_status_t out_view(sv_ctx_t *c, uint64_t va, uint32_t dt, const uint64_t *shape,
                             uint32_t rank, uint32_t rstrides, sv_tensor_t *t)
{
    const uint64_t *strides;
    uint32_t srank;
    kpu_status_t st = sv_shape_reg(c, rstrides, &strides, &srank);
    return st == KPU_OK ? sv_view(c, va, dt, shape, rank, strides, srank, 1, t) : st;
}

static kpu_status_t pad(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    uint32_t dt = (uint32_t)in->v[0];
    sv_tensor_t src, dst;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], dt, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &src);
    const int32_t *pads;
    uint32_t prank;
    if (st == KPU_OK)
        st = sv_pad_reg(c, (uint32_t)in->v[4], &pads, &prank);
    if (st != KPU_OK)
        return st;
    int mode = (int)in->v[5];
    uint64_t shape[V5_MAX_RANK];
    for (uint32_t d = 0; d < src.rank; d++) {
        int64_t before = d < prank ? pads[3 * d] : 0, after = d < prank ? pads[3 * d + 1] : 0;
        int64_t inner = d < prank ? pads[3 * d + 2] : 0;
        int64_t n = (int64_t)src.shape[d];
        int64_t e = n + before + after + (n > 0 ? (n - 1) * inner : 0);
        if (e < 1 || e > ((int64_t)1 << 32) || inner < 0 || (inner && mode != 0) || n == 0)
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: pad gives extent %lld",
                                (long long)e);
        shape[d] = (uint64_t)e;
    }
    st = out_view(c, (uint64_t)a->i[1], dt, shape, src.rank, (uint32_t)in->v[3], &dst);
    if (st != KPU_OK)
        return st;
    uint8_t value[8] = {0};
    if (dt == V5_DT_F32)
        sv_put_f32(value, a->is_real[2] ? a->f[2] : (float)a->i[2]);
    else
        sv_put_i(value, dt, a->is_real[2] ? sv_f32_to_i64(a->f[2]) : a->i[2]);
    sv_iter_t it;
    sv_iter_init(&it, dst.shape, dst.rank);
    sv_iter_add(&it, &dst);
    for (; !it.done; sv_iter_next(&it)) {
        uint64_t off = 0;
        int use_pad = 0;
        for (uint32_t d = 0; d < src.rank && !use_pad; d++) {
            int64_t n = (int64_t)src.shape[d];
            int64_t before = d < prank ? pads[3 * d] : 0;
            int64_t inner = d < prank ? pads[3 * d + 2] : 0;
            int64_t p = (int64_t)it.idx[d] - before;
            if (inner) {
                if (p < 0 || p % (inner + 1) != 0 || p / (inner + 1) >= n)
                    use_pad = 1;
                p /= inner + 1;
            } else if (p < 0 || p >= n) {
                if (mode == 0)
                    use_pad = 1;
                else if (mode == 1)
                    p = p < 0 ? -p : 2 * (n - 1) - p;
                else if (mode == 2)
                    p = p < 0 ? -p - 1 : 2 * n - 1 - p;
                else
                    p = p < 0 ? 0 : n - 1;
                p = p < 0 ? 0 : (p >= n ? n - 1 : p); /* pads wider than the input */
            }
            off += (uint64_t)p * src.strides[d];
        }
        memcpy(dst.p + it.off[0], use_pad ? value : src.p + off * src.esize, src.esize);
    }
    return KPU_OK;
}

static kpu_status_t transpose(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    uint32_t dt = (uint32_t)in->v[0];
    sv_tensor_t src, dst;
    const uint64_t *perm;
    uint32_t n;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], dt, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &src);
    if (st == KPU_OK)
        st = sv_shape_reg(c, (uint32_t)in->v[4], &perm, &n);
    if (st != KPU_OK)
        return st;
    sv_tensor_t pv = src;
    uint8_t seen[V5_MAX_RANK] = {0};
    if (n != src.rank)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: transpose permutation rank");
    for (uint32_t i = 0; i < n; i++) {
        if (perm[i] >= n || seen[perm[i]]++)
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: bad transpose permutation");
        pv.shape[i] = src.shape[perm[i]];
        pv.strides[i] = src.strides[perm[i]];
    }
    st = out_view(c, (uint64_t)a->i[1], dt, pv.shape, n, (uint32_t)in->v[3], &dst);
    if (st != KPU_OK)
        return st;
    sv_iter_t it;
    sv_iter_init(&it, pv.shape, n);
    sv_iter_add(&it, &pv);
    sv_iter_add(&it, &dst);
    for (; !it.done; sv_iter_next(&it))
        memmove(dst.p + it.off[1], pv.p + it.off[0], pv.esize);
    return KPU_OK;
}

static kpu_status_t slice(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    uint32_t dt = (uint32_t)in->v[0];
    sv_tensor_t src, dst;
    const uint64_t *b, *e, *s;
    uint32_t nb, ne, ns;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], dt, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &src);
    if (st == KPU_OK)
        st = sv_shape_reg(c, (uint32_t)in->v[4], &b, &nb);
    if (st == KPU_OK)
        st = sv_shape_reg(c, (uint32_t)in->v[5], &e, &ne);
    if (st == KPU_OK)
        st = sv_shape_reg(c, (uint32_t)in->v[6], &s, &ns);
    if (st != KPU_OK)
        return st;
    if (nb != src.rank || ne != src.rank || ns != src.rank)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: slice registers' ranks");
    int64_t begin[V5_MAX_RANK], step[V5_MAX_RANK];
    uint64_t shape[V5_MAX_RANK];
    for (uint32_t d = 0; d < src.rank; d++) {
        int64_t n = (int64_t)src.shape[d], bg = (int64_t)b[d];
        int64_t en = (int32_t)(uint32_t)e[d], sp = (int32_t)(uint32_t)s[d];
        if (c->s->gen == SV_GEN_BETA || c->s->gen == SV_GEN_V10) /* ends were unsigned */
            en = e[d] > (uint64_t)n ? n : (int64_t)e[d];
        uint64_t count = 0;
        if (sp > 0) {
            en = en > n ? n : en;
            if (bg < 0 || (bg >= n && bg < en))
                sp = 0;
            else if (bg < en)
                count = (uint64_t)((en - bg + sp - 1) / sp);
        } else if (sp < 0) {
            en = en < -1 ? -1 : en;
            if (bg >= n || (bg < 0 && bg > en))
                sp = 0;
            else if (bg > en)
                count = (uint64_t)((bg - en - sp - 1) / -sp);
        }
        if (sp == 0)
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: slice with step 0 or a "
                                "begin outside the input");
        begin[d] = bg;
        step[d] = sp;
        shape[d] = count;
    }
    st = out_view(c, (uint64_t)a->i[1], dt, shape, src.rank, (uint32_t)in->v[3], &dst);
    if (st != KPU_OK)
        return st;
    sv_iter_t it;
    sv_iter_init(&it, shape, src.rank);
    sv_iter_add(&it, &dst);
    for (; !it.done; sv_iter_next(&it)) {
        uint64_t off = 0;
        for (uint32_t d = 0; d < src.rank; d++)
            off += (uint64_t)(begin[d] + (int64_t)it.idx[d] * step[d]) * src.strides[d];
        memmove(dst.p + it.off[0], src.p + off * src.esize, src.esize);
    }
    return KPU_OK;
}

static kpu_status_t broadcast(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    uint32_t dt = (uint32_t)in->v[0];
    sv_tensor_t src, dst;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], dt, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &src);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[1], dt, (uint32_t)in->v[3], (uint32_t)in->v[4], 1,
                          &dst);
    if (st != KPU_OK)
        return st;
    if (src.rank > dst.rank)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: broadcast to a lower rank");
    for (uint32_t d = 0; d < src.rank; d++)
        if (src.shape[d] != 1 && src.shape[d] != dst.shape[dst.rank - src.rank + d])
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: shapes do not broadcast");
    sv_iter_t it;
    sv_iter_init(&it, dst.shape, dst.rank);
    sv_iter_add(&it, &src);
    sv_iter_add(&it, &dst);
    for (; !it.done; sv_iter_next(&it))
        memmove(dst.p + it.off[1], src.p + it.off[0], src.esize);
    return KPU_OK;
}

/* Source coordinate of output index i along one axis (nearest mode). */
static uint64_t nearest(uint64_t i, float scale, uint64_t n, int align, int half)
{
    float s = ((float)i + (half ? 0.5f : 0.0f)) * scale;
    float v = align ? roundf(s) : floorf(s);
    int64_t idx = v >= (float)n ? (int64_t)n - 1 : (int64_t)v;
    if (idx > (int64_t)n - 1)
        idx = (int64_t)n - 1;
    if (idx < 0)
        idx = 0; /* nncase only clamps this with half_pixel; others cannot go below 0 */
    return (uint64_t)idx;
}

static void bilinear_axis(uint64_t i, float scale, uint64_t n, int half, int64_t *i0,
                          int64_t *i1, float *frac)
{
    float s = half ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
    float f = floorf(s), cl = ceilf(s);
    *i0 = f < 0.0f ? 0 : (f >= (float)n ? (int64_t)n - 1 : (int64_t)f);
    *i1 = cl >= (float)(n - 1) ? (int64_t)n - 1 : (cl < 0.0f ? 0 : (int64_t)cl);
    *frac = s - (float)*i0;
}

static kpu_status_t resize(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    uint32_t dt = (uint32_t)in->v[0];
    int align = in->v[4] != 0, half = in->v[5] != 0, mode = (int)in->v[6];
    sv_tensor_t src, dst;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[2], dt, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &src);
    if (st != KPU_OK)
        return st;
    int64_t oh = a->i[0], ow = a->i[1];
    if (src.rank != 4 || oh < 1 || ow < 1 || oh > 65536 || ow > 65536 || !src.shape[2] ||
        !src.shape[3])
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: resize_image of a non-4-D "
                            "tensor or to %lldx%lld", (long long)oh, (long long)ow);
    uint64_t shape[4] = {src.shape[0], src.shape[1], (uint64_t)oh, (uint64_t)ow};
    st = out_view(c, (uint64_t)a->i[3], dt, shape, 4, (uint32_t)in->v[3], &dst);
    if (st != KPU_OK)
        return st;
    uint64_t ih = src.shape[2], iw = src.shape[3];
    float sh = align && oh > 1 ? (float)(ih - 1) / (float)(oh - 1) : (float)ih / (float)oh;
    float sw = align && ow > 1 ? (float)(iw - 1) / (float)(ow - 1) : (float)iw / (float)ow;
    uint32_t es = src.esize;
    for (uint64_t n = 0; n < shape[0]; n++)
        for (uint64_t ch = 0; ch < shape[1]; ch++) {
            const uint8_t *plane = src.p + (n * src.strides[0] + ch * src.strides[1]) * es;
            uint8_t *oplane = dst.p + (n * dst.strides[0] + ch * dst.strides[1]) * es;
            for (uint64_t y = 0; y < (uint64_t)oh; y++)
                for (uint64_t x = 0; x < (uint64_t)ow; x++) {
                    uint8_t *o = oplane + (y * dst.strides[2] + x * dst.strides[3]) * es;
                    if (mode == 1) {
                        uint64_t sy = nearest(y, sh, ih, align, half);
                        uint64_t sx = nearest(x, sw, iw, align, half);
                        memmove(o, plane + (sy * src.strides[2] + sx * src.strides[3]) * es, es);
                        continue;
                    }
                    int64_t y0, y1, x0, x1;
                    float dy, dx;
                    bilinear_axis(y, sh, ih, half, &y0, &y1, &dy);
                    bilinear_axis(x, sw, iw, half, &x0, &x1, &dx);
#define AT(yy, xx) sv_get_as_f32(plane + ((uint64_t)(yy) * src.strides[2] + \
                                          (uint64_t)(xx) * src.strides[3]) * es, dt)
                    float a0 = (1.0f - dy) * (1.0f - dx), a1 = dy * (1.0f - dx);
                    float a2 = (1.0f - dy) * dx, a3 = dy * dx;
                    /* summed from +0 (a -0.0 input gives +0.0, as in nncase) */
                    float r = 0.0f + AT(y0, x0) * a0;
                    r = r + AT(y1, x0) * a1;
                    r = r + AT(y0, x1) * a2;
                    r = r + AT(y1, x1) * a3;
#undef AT
                    if (dt == V5_DT_F32) {
                        sv_put_f32(o, r);
                    } else {
                        float lo = dt == V5_DT_U8 ? 0.0f : -128.0f;
                        float hi = dt == V5_DT_U8 ? 255.0f : 127.0f;
                        float t = r + 0.5f;
                        t = t != t ? lo : (t < lo ? lo : (t > hi ? hi : t));
                        sv_put_i(o, dt, (int64_t)t);
                    }
                }
        }
    return KPU_OK;
}

kpu_status_t sv_tf_layout(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    switch (in->tf) {
    case TF_PAD: return pad(c, in, a);
    case TF_TRANSPOSE: return transpose(c, in, a);
    case TF_SLICE: return slice(c, in, a);
    case TF_BROADCAST: return broadcast(c, in, a);
    default: return resize(c, in, a);
    }
}
