/* Float32 convolution and matrix product of the stackvm (spec C6, nncase's reference kernels:
 * the sum starts from the bias and adds the taps in order, then the clamp). */
#include "stackvm.h"

#include "stackvm_elem.h"

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (hi < v ? hi : v); }

static kpu_status_t conv2d(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    int pairs = c->s->gen == SV_GEN_BETA || c->s->gen == SV_GEN_V10;
    sv_tensor_t x, w, b, y;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], V5_DT_F32, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &x);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[1], V5_DT_F32, (uint32_t)in->v[3],
                          (uint32_t)in->v[4], 0, &w);
    if (st != KPU_OK)
        return st;
    int64_t groups = in->v[7], sh = in->v[8], sw = in->v[9], dh = in->v[10], dw = in->v[11];
    float lo = in->f[12], hi = in->f[13];
    int64_t ph0 = (int32_t)a->i[4], ph1 = (int32_t)a->i[5];
    int64_t pw0 = (int32_t)a->i[pairs ? 6 : 7], pw1 = (int32_t)a->i[pairs ? 7 : 8];
    if (x.rank != 4 || w.rank != 4 || groups < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 ||
        x.shape[1] % (uint64_t)groups != 0 || w.shape[0] % (uint64_t)groups != 0 ||
        w.shape[1] * (uint64_t)groups != x.shape[1])
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: conv2d shapes, groups, strides "
                            "or dilations are inconsistent");
    int64_t H = (int64_t)x.shape[2], W = (int64_t)x.shape[3];
    int64_t KH = (int64_t)w.shape[2], KW = (int64_t)w.shape[3];
    int64_t oh = (H + ph0 + ph1 - ((KH - 1) * dh + 1) + sh) / sh;
    int64_t ow = (W + pw0 + pw1 - ((KW - 1) * dw + 1) + sw) / sw;
    if (oh < 1 || ow < 1 || oh > 65536 || ow > 65536 || KH < 1 || KW < 1)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: conv2d output %lldx%lld",
                            (long long)oh, (long long)ow);
    uint64_t oc = w.shape[0];
    const uint64_t *bs, *ys;
    uint32_t bsr, ysr;
    uint64_t bshape[1] = {oc}, yshape[4] = {x.shape[0], oc, (uint64_t)oh, (uint64_t)ow};
    st = sv_shape_reg(c, (uint32_t)in->v[5], &bs, &bsr);
    if (st == KPU_OK)
        st = sv_view(c, (uint64_t)a->i[2], V5_DT_F32, bshape, 1, bs, bsr, 0, &b);
    if (st == KPU_OK)
        st = sv_shape_reg(c, (uint32_t)in->v[6], &ys, &ysr);
    if (st == KPU_OK)
        st = sv_view(c, (uint64_t)a->i[3], V5_DT_F32, yshape, 4, ys, ysr, 1, &y);
    if (st != KPU_OK)
        return st;
    uint64_t icg = w.shape[1], ocg = oc / (uint64_t)groups;
    if (sv_elems(y.shape, 4) > SV_MAX_WORK / (icg * (uint64_t)KH * (uint64_t)KW))
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: conv2d beyond this runtime's "
                            "work limit");
    for (uint64_t n = 0; n < x.shape[0]; n++)
        for (uint64_t o = 0; o < oc; o++) {
            uint64_t g = o / ocg;
            float bias = sv_get_f32(b.p + o * b.strides[0] * 4);
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    float v = bias;
                    for (uint64_t i = 0; i < icg; i++) {
                        uint64_t ic = g * icg + i;
                        for (int64_t ky = 0; ky < KH; ky++) {
                            int64_t iy = oy * sh - ph0 + ky * dh;
                            if (iy < 0 || iy >= H)
                                continue;
                            for (int64_t kx = 0; kx < KW; kx++) {
                                int64_t ix = ox * sw - pw0 + kx * dw;
                                if (ix < 0 || ix >= W)
                                    continue;
                                uint64_t xo = n * x.strides[0] + ic * x.strides[1] +
                                              (uint64_t)iy * x.strides[2] +
                                              (uint64_t)ix * x.strides[3];
                                uint64_t wo = o * w.strides[0] + i * w.strides[1] +
                                              (uint64_t)ky * w.strides[2] +
                                              (uint64_t)kx * w.strides[3];
                                v = v + sv_get_f32(x.p + xo * 4) * sv_get_f32(w.p + wo * 4);
                            }
                        }
                    }
                    uint64_t yo = n * y.strides[0] + o * y.strides[1] +
                                  (uint64_t)oy * y.strides[2] + (uint64_t)ox * y.strides[3];
                    sv_put_f32(y.p + yo * 4, clampf(v, lo, hi));
                }
        }
    return KPU_OK;
}

/* Offset (elements) of batch bi over the leading rank-2 dims of t (size-1 dims broadcast). */
static uint64_t batch_offset(const sv_tensor_t *t, uint64_t bi)
{
    uint64_t off = 0;
    for (uint32_t d = t->rank - 2; d-- > 0;) {
        uint64_t n = t->shape[d];
        off += (bi % n) * t->strides[d];
        bi /= n;
    }
    return off;
}

static kpu_status_t matmul(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    sv_tensor_t x, w, bias, y;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], V5_DT_F32, (uint32_t)in->v[0],
                                   (uint32_t)in->v[1], 0, &x);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[1], V5_DT_F32, (uint32_t)in->v[2],
                          (uint32_t)in->v[3], 0, &w);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[3], V5_DT_F32, (uint32_t)in->v[4],
                          (uint32_t)in->v[5], 1, &y);
    if (st != KPU_OK)
        return st;
    float lo = in->f[6], hi = in->f[7];
    if (x.rank < 2 || w.rank < 2 || y.rank < 2)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: matmul needs matrices");
    uint64_t M = x.shape[x.rank - 2], K = x.shape[x.rank - 1], N = w.shape[w.rank - 1];
    uint64_t xb = sv_elems(x.shape, x.rank - 2), wb = sv_elems(w.shape, w.rank - 2);
    uint64_t yb = sv_elems(y.shape, y.rank - 2);
    if (w.shape[w.rank - 2] != K || y.shape[y.rank - 2] != M || y.shape[y.rank - 1] != N ||
        (xb != 1 && xb != yb) || (wb != 1 && wb != yb))
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: matmul shapes do not match");
    uint64_t bshape[1] = {N}, bstride[1] = {1};
    st = sv_view(c, (uint64_t)a->i[2], V5_DT_F32, bshape, 1, bstride, 1, 0, &bias);
    if (st != KPU_OK)
        return st;
    if (yb * M * N > SV_MAX_WORK / (K + 1))
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: matmul beyond this runtime's "
                            "work limit");
    for (uint64_t bi = 0; bi < yb; bi++) {
        uint64_t xo = batch_offset(&x, xb == 1 ? 0 : bi), wo = batch_offset(&w, wb == 1 ? 0 : bi);
        uint64_t yo = batch_offset(&y, bi);
        for (uint64_t m = 0; m < M; m++)
            for (uint64_t n = 0; n < N; n++) {
                float v = sv_get_f32(bias.p + n * 4);
                for (uint64_t k = 0; k < K; k++) {
                    float p = sv_get_f32(x.p + (xo + m * x.strides[x.rank - 2] +
                                                k * x.strides[x.rank - 1]) * 4);
                    float q = sv_get_f32(w.p + (wo + k * w.strides[w.rank - 2] +
                                                n * w.strides[w.rank - 1]) * 4);
                    v = v + p * q;
                }
                sv_put_f32(y.p + (yo + m * y.strides[y.rank - 2] + n * y.strides[y.rank - 1]) * 4,
                           clampf(v, lo, hi));
            }
    }
    return KPU_OK;
}

kpu_status_t sv_tf_linear(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    return in->tf == TF_CONV2D ? conv2d(c, in, a) : matmul(c, in, a);
}
