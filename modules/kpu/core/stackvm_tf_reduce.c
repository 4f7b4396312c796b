/* Reductions of the stackvm (spec C6): reduce over axes and reduce_window2d (pooling), in
 * float32 with the accumulation order of nncase's reference kernels. */
#include "stackvm.h"

#include <float.h>
#include "stackvm_elem.h"

enum { RED_MEAN = 0, RED_MIN = 1, RED_MAX = 2, RED_SUM = 3 };

static float combine(int op, float acc, float x)
{
    switch (op) {
    case RED_MIN: return x < acc ? x : acc;
    case RED_MAX: return acc < x ? x : acc;
    default: return acc + x;
    }
}

static kpu_status_t reduce(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    sv_tensor_t src, out;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], V5_DT_F32, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &src);
    if (st != KPU_OK)
        return st;
    const uint64_t *axes;
    uint32_t naxes;
    st = sv_shape_reg(c, (uint32_t)in->v[5], &axes, &naxes);
    if (st != KPU_OK)
        return st;
    int op = (int)in->v[4], keep = in->v[6] != 0;
    uint8_t reduced[V5_MAX_RANK] = {0};
    for (uint32_t i = 0; i < naxes; i++) {
        int64_t ax = (int64_t)axes[i];
        if (ax < 0)
            ax += src.rank;
        if (ax < 0 || ax >= (int64_t)src.rank)
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: reduce axis %lld out of "
                                "range", (long long)(int64_t)axes[i]);
        reduced[ax] = 1;
    }
    uint64_t oshape[V5_MAX_RANK];
    uint32_t orank = 0;
    uint64_t block = 1;
    for (uint32_t d = 0; d < src.rank; d++) {
        if (reduced[d])
            block *= src.shape[d];
        if (!reduced[d] || keep)
            oshape[orank++] = reduced[d] ? 1 : src.shape[d];
    }
    const uint64_t *ostrides;
    uint32_t osrank;
    st = sv_shape_reg(c, (uint32_t)in->v[3], &ostrides, &osrank);
    if (st == KPU_OK)
        st = sv_view(c, (uint64_t)a->i[1], V5_DT_F32, oshape, orank, ostrides, osrank, 1, &out);
    if (st != KPU_OK)
        return st;
    float init = op == RED_MIN ? FLT_MAX : op == RED_MAX ? -FLT_MAX : a->f[2];
    sv_iter_t it;
    sv_iter_init(&it, out.shape, out.rank);
    sv_iter_add(&it, &out);
    for (; !it.done; sv_iter_next(&it))
        sv_put_f32(out.p + it.off[0], init);
    /* the output seen with the input's rank: reduced dims have extent 1 (step 0) */
    sv_tensor_t wide = out;
    wide.rank = src.rank;
    for (uint32_t d = 0, k = 0; d < src.rank; d++) {
        wide.shape[d] = reduced[d] ? 1 : src.shape[d];
        wide.strides[d] = reduced[d] ? 0 : out.strides[k];
        if (!reduced[d] || keep)
            k++;
    }
    sv_iter_init(&it, src.shape, src.rank);
    sv_iter_add(&it, &src);
    sv_iter_add(&it, &wide);
    for (; !it.done; sv_iter_next(&it)) {
        uint8_t *o = out.p + it.off[1];
        sv_put_f32(o, combine(op, sv_get_f32(o), sv_get_f32(src.p + it.off[0])));
    }
    if (op == RED_MEAN) {
        sv_iter_init(&it, out.shape, out.rank);
        sv_iter_add(&it, &out);
        for (; !it.done; sv_iter_next(&it))
            sv_put_f32(out.p + it.off[0], sv_get_f32(out.p + it.off[0]) / (float)block);
    }
    return KPU_OK;
}

static kpu_status_t reduce_window(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    int pairs = c->s->gen == SV_GEN_BETA || c->s->gen == SV_GEN_V10;
    sv_tensor_t src, out;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], V5_DT_F32, (uint32_t)in->v[2],
                                   (uint32_t)in->v[3], 0, &src);
    if (st != KPU_OK)
        return st;
    int op = (int)in->v[1];
    int64_t fh = in->v[5], fw = in->v[6], sh = in->v[7], sw = in->v[8];
    int64_t dh = in->v[9], dw = in->v[10];
    float lo = in->f[11], hi = in->f[12], init = a->f[1];
    int64_t ph0 = (int32_t)a->i[3], ph1 = (int32_t)a->i[4];
    int64_t pw0 = (int32_t)a->i[pairs ? 5 : 6], pw1 = (int32_t)a->i[pairs ? 6 : 7];
    if (src.rank != 4 || fh < 1 || fw < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: reduce_window2d needs a 4-D "
                            "input and positive window, stride and dilation");
    int64_t H = (int64_t)src.shape[2], W = (int64_t)src.shape[3];
    int64_t oh = (H + ph0 + ph1 - ((fh - 1) * dh + 1) + sh) / sh;
    int64_t ow = (W + pw0 + pw1 - ((fw - 1) * dw + 1) + sw) / sw;
    if (oh < 1 || ow < 1 || oh > 65536 || ow > 65536)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: reduce_window2d output %lldx%lld",
                            (long long)oh, (long long)ow);
    /* the window is not bounded by any buffer: bound the work instead */
    uint64_t taps = (uint64_t)oh * (uint64_t)ow * (uint64_t)fh * (uint64_t)fw;
    if (taps > SV_MAX_WORK / (src.shape[0] * src.shape[1] + 1)) /* both <= SV_MAX_ELEMS */
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: reduce_window2d of %llu taps "
                            "per channel is beyond this runtime", (unsigned long long)taps);
    uint64_t oshape[4] = {src.shape[0], src.shape[1], (uint64_t)oh, (uint64_t)ow};
    const uint64_t *ostrides;
    uint32_t osrank;
    st = sv_shape_reg(c, (uint32_t)in->v[4], &ostrides, &osrank);
    if (st == KPU_OK)
        st = sv_view(c, (uint64_t)a->i[2], V5_DT_F32, oshape, 4, ostrides, osrank, 1, &out);
    if (st != KPU_OK)
        return st;
    for (uint64_t n = 0; n < src.shape[0]; n++)
        for (uint64_t ch = 0; ch < src.shape[1]; ch++)
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    float v = init;
                    uint32_t count = 0;
                    for (int64_t ky = 0; ky < fh; ky++) {
                        int64_t iy = oy * sh - ph0 + ky * dh;
                        if (iy < 0 || iy >= H)
                            continue;
                        for (int64_t kx = 0; kx < fw; kx++) {
                            int64_t ix = ox * sw - pw0 + kx * dw;
                            if (ix < 0 || ix >= W)
                                continue;
                            uint64_t off = n * src.strides[0] + ch * src.strides[1] +
                                           (uint64_t)iy * src.strides[2] +
                                           (uint64_t)ix * src.strides[3];
                            v = combine(op, v, sv_get_f32(src.p + off * 4));
                            count++;
                        }
                    }
                    if (op == RED_MEAN)
                        v = v / (float)count;
                    v = v < lo ? lo : (hi < v ? hi : v);
                    uint64_t o = n * out.strides[0] + ch * out.strides[1] +
                                 (uint64_t)oy * out.strides[2] + (uint64_t)ox * out.strides[3];
                    sv_put_f32(out.p + o * 4, v);
                }
    return KPU_OK;
}

kpu_status_t sv_tf_reduce(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    return in->tf == TF_REDUCE ? reduce(c, in, a) : reduce_window(c, in, a);
}
