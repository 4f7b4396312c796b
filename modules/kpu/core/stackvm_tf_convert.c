/* Element-type tensor functions of the stackvm (spec C6): quantize, dequantize, convert,
 * lut1d and copy. Float steps are rounded one at a time, as nncase's host simulator does
 * (no fused multiply-add; the core is built with -ffp-contract=off). */
#include "stackvm.h"

#include "stackvm_elem.h"

/* Round half to even of a float already clamped to a small range. */
static int32_t round_even(float t)
{
    double d = t;
    int32_t i = (int32_t)d; /* toward zero */
    double diff = d - (double)i;
    if (diff > 0.5 || (diff == 0.5 && (i & 1)))
        i++;
    else if (diff < -0.5 || (diff == -0.5 && (i & 1)))
        i--;
    return i;
}

/* The source and destination views every function here starts with (same shape, own element
 * types and strides), and an iterator over both. */
static kpu_status_t view_pair(sv_ctx_t *c, uint64_t src_addr, uint32_t src_dt, uint64_t dst_addr,
                              uint32_t dst_dt, uint32_t shape_reg, uint32_t src_strides,
                              uint32_t dst_strides, sv_tensor_t *src, sv_tensor_t *dst,
                              sv_iter_t *it)
{
    kpu_status_t st = sv_view_regs(c, src_addr, src_dt, shape_reg, src_strides, 0, src);
    if (st == KPU_OK)
        st = sv_view_regs(c, dst_addr, dst_dt, shape_reg, dst_strides, 1, dst);
    if (st != KPU_OK)
        return st;
    sv_iter_init(it, src->shape, src->rank);
    sv_iter_add(it, src);
    sv_iter_add(it, dst);
    return KPU_OK;
}

static kpu_status_t quantize(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a, int deq)
{
    sv_tensor_t src, dst;
    sv_iter_t it;
    kpu_status_t st = view_pair(c, (uint64_t)a->i[0], (uint32_t)in->v[0], (uint64_t)a->i[1],
                                (uint32_t)in->v[1], (uint32_t)in->v[2], (uint32_t)in->v[3],
                                (uint32_t)in->v[4], &src, &dst, &it);
    if (st != KPU_OK)
        return st;
    float scale = a->f[2], bias = a->f[3];
    int is_u8 = in->v[1] == V5_DT_U8 || in->v[0] == V5_DT_U8;
    float lo = is_u8 ? 0.0f : -128.0f, hi = is_u8 ? 255.0f : 127.0f;
    for (; !it.done; sv_iter_next(&it)) {
        if (deq) {
            float q = (float)sv_get_i(src.p + it.off[0], src.dt);
            float y = q * scale;
            sv_put_f32(dst.p + it.off[1], y + bias);
            continue;
        }
        float x = sv_get_f32(src.p + it.off[0]);
        float t = x * scale;
        t = t + bias;
        int32_t q = t != t ? (int32_t)lo : t <= lo ? (int32_t)lo : t >= hi ? (int32_t)hi
                                                                          : round_even(t);
        if (q < (int32_t)lo)
            q = (int32_t)lo;
        if (q > (int32_t)hi)
            q = (int32_t)hi;
        sv_put_i(dst.p + it.off[1], dst.dt, q);
    }
    return KPU_OK;
}

static kpu_status_t convert(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    sv_tensor_t src, dst;
    sv_iter_t it;
    kpu_status_t st = view_pair(c, (uint64_t)a->i[0], (uint32_t)in->v[0], (uint64_t)a->i[1],
                                (uint32_t)in->v[1], (uint32_t)in->v[2], (uint32_t)in->v[3],
                                (uint32_t)in->v[4], &src, &dst, &it);
    if (st != KPU_OK)
        return st;
    for (; !it.done; sv_iter_next(&it)) {
        const uint8_t *p = src.p + it.off[0];
        uint8_t *q = dst.p + it.off[1];
        if (dst.dt == V5_DT_F32)
            sv_put_f32(q, src.dt == V5_DT_F32 ? sv_get_f32(p) : (float)sv_get_i(p, src.dt));
        else
            sv_put_i(q, dst.dt, src.dt == V5_DT_F32 ? sv_f32_to_i64(sv_get_f32(p))
                                                    : sv_get_i(p, src.dt));
    }
    return KPU_OK;
}

static kpu_status_t lut1d(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    sv_tensor_t src, dst;
    sv_iter_t it;
    uint32_t len = (uint32_t)in->v[4];
    kpu_status_t st = view_pair(c, (uint64_t)a->i[0], V5_DT_U8, (uint64_t)a->i[2], V5_DT_U8,
                                (uint32_t)in->v[1], (uint32_t)in->v[2], (uint32_t)in->v[3], &src,
                                &dst, &it);
    if (st != KPU_OK)
        return st;
    const uint8_t *table = sv_resolve(c, (uint64_t)a->i[1], len, 0);
    if (!table)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: lut1d table outside memory");
    for (; !it.done; sv_iter_next(&it)) {
        uint8_t x = src.p[it.off[0]];
        if (x >= len)
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: lut1d index %u past its "
                                "%lu-entry table", (unsigned)x, (unsigned long)len);
        dst.p[it.off[1]] = table[x];
    }
    return KPU_OK;
}

static kpu_status_t copy(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    sv_tensor_t src, dst;
    sv_iter_t it;
    kpu_status_t st = view_pair(c, (uint64_t)a->i[0], (uint32_t)in->v[0], (uint64_t)a->i[1],
                                (uint32_t)in->v[0], (uint32_t)in->v[1], (uint32_t)in->v[2],
                                (uint32_t)in->v[3], &src, &dst, &it);
    if (st != KPU_OK)
        return st;
    for (; !it.done; sv_iter_next(&it))
        memmove(dst.p + it.off[1], src.p + it.off[0], src.esize);
    return KPU_OK;
}

kpu_status_t sv_tf_quant(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    switch (in->tf) {
    case TF_QUANTIZE: return quantize(c, in, a, 0);
    case TF_DEQUANTIZE: return quantize(c, in, a, 1);
    case TF_CONVERT: return convert(c, in, a);
    case TF_LUT1D: return lut1d(c, in, a);
    default: return copy(c, in, a);
    }
}
