/* Element-wise float tensor functions of the stackvm (spec C6): binary with broadcasting and
 * clamp, unary, sigmoid (in double, as nncase) and softmax along an axis. */
#include "stackvm.h"

#include <float.h>
#include <math.h>
#include "stackvm_elem.h"

enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_MIN, BIN_MAX, BIN_POW, BIN_LOGICAL_AND = 12 };

static float bin_f32(int op, float x, float y)
{
    switch (op) {
    case BIN_ADD: return x + y;
    case BIN_SUB: return x - y;
    case BIN_MUL: return x * y;
    case BIN_DIV: return x / y;
    case BIN_MIN: return y < x ? y : x;
    case BIN_MAX: return x < y ? y : x;
    case BIN_POW: return powf(x, y);
    default: return (x != 0.0f && y != 0.0f) ? 1.0f : 0.0f;
    }
}

static int64_t bin_int(int op, int64_t x, int64_t y, int *bad)
{
    uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
    switch (op) {
    case BIN_ADD: return (int64_t)(ux + uy);
    case BIN_SUB: return (int64_t)(ux - uy);
    case BIN_MUL: return (int64_t)(ux * uy);
    case BIN_DIV:
        if (y == 0 || (x == INT64_MIN && y == -1)) {
            *bad = 1;
            return 0;
        }
        return x / y;
    case BIN_MIN: return y < x ? y : x;
    default: return x < y ? y : x;
    }
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (hi < v ? hi : v); }

/* Checks that `t` broadcasts to the output shape (extent 1 or equal, aligned right). */
static int broadcasts(const sv_tensor_t *t, const uint64_t *shape, uint32_t rank)
{
    if (t->rank > rank)
        return 0;
    for (uint32_t d = 0; d < t->rank; d++) {
        uint64_t o = shape[rank - t->rank + d];
        if (t->shape[d] != 1 && t->shape[d] != o)
            return 0;
    }
    return 1;
}

static kpu_status_t binary(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    int old = c->s->gen != SV_GEN_V16 && c->s->gen != SV_GEN_V14;
    uint32_t dt = (uint32_t)in->v[0];
    sv_tensor_t x, y, out;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], dt, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &x);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[1], dt, (uint32_t)in->v[3], (uint32_t)in->v[4], 0,
                          &y);
    if (st != KPU_OK)
        return st;
    int op = (int)in->v[old ? 6 : 7];
    float lo = in->f[old ? 7 : 8], hi = in->f[old ? 8 : 9];
    uint64_t shape[V5_MAX_RANK];
    uint32_t rank;
    if (old) { /* output shape = NumPy broadcast of the inputs */
        rank = x.rank > y.rank ? x.rank : y.rank;
        for (uint32_t d = 0; d < rank; d++) {
            uint64_t ex = d + x.rank >= rank ? x.shape[d + x.rank - rank] : 1;
            uint64_t ey = d + y.rank >= rank ? y.shape[d + y.rank - rank] : 1;
            shape[d] = ex == 1 ? ey : ex;
        }
    } else {
        const uint64_t *s;
        st = sv_shape_reg(c, (uint32_t)in->v[5], &s, &rank);
        if (st != KPU_OK)
            return st;
        memcpy(shape, s, rank * sizeof *shape);
    }
    const uint64_t *ostrides;
    uint32_t osrank;
    st = sv_shape_reg(c, (uint32_t)in->v[old ? 5 : 6], &ostrides, &osrank);
    if (st == KPU_OK)
        st = sv_view(c, (uint64_t)a->i[2], dt, shape, rank, ostrides, osrank, 1, &out);
    if (st != KPU_OK)
        return st;
    if (!broadcasts(&x, shape, rank) || !broadcasts(&y, shape, rank))
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: binary operands do not "
                            "broadcast to the output shape");
    sv_iter_t it;
    sv_iter_init(&it, shape, rank);
    sv_iter_add(&it, &x);
    sv_iter_add(&it, &y);
    sv_iter_add(&it, &out);
    for (; !it.done; sv_iter_next(&it)) {
        uint8_t *o = out.p + it.off[2];
        if (dt == V5_DT_F32) {
            float r = bin_f32(op, sv_get_f32(x.p + it.off[0]), sv_get_f32(y.p + it.off[1]));
            sv_put_f32(o, clampf(r, lo, hi));
            continue;
        }
        int bad = 0;
        int64_t r = bin_int(op, sv_get_i(x.p + it.off[0], dt), sv_get_i(y.p + it.off[1], dt),
                            &bad);
        if (bad)
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: integer division by zero");
        sv_put_i(o, dt, sv_f32_to_i64(clampf((float)r, lo, hi)));
    }
    return KPU_OK;
}

static float unary_f32(int op, float v)
{
    switch (op) {
    case 0: return fabsf(v);
    case 1: return acosf(v);
    case 2: return asinf(v);
    case 3: return ceilf(v);
    case 4: return cosf(v);
    case 5: return expf(v);
    case 6: return floorf(v);
    case 7: return logf(v);
    case 8: return -v;
    case 9: return rintf(v);
    case 10: return 1.0f / sqrtf(v);
    case 11: return (float)((0.0f < v) - (v < 0.0f));
    case 12: return sinf(v);
    case 13: return sqrtf(v);
    case 14: return v * v;
    case 15: return tanhf(v);
    case 17: return (float)!v;
    default: return erff(v);
    }
}

/* unary and sigmoid: one input, one output of the same shape. */
static kpu_status_t map_f32(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a, int sigmoid)
{
    sv_tensor_t src, dst;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], V5_DT_F32, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &src);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[1], V5_DT_F32, (uint32_t)in->v[1],
                          (uint32_t)in->v[3], 1, &dst);
    if (st != KPU_OK)
        return st;
    int op = sigmoid ? 0 : (int)in->v[4];
    sv_iter_t it;
    sv_iter_init(&it, src.shape, src.rank);
    sv_iter_add(&it, &src);
    sv_iter_add(&it, &dst);
    for (; !it.done; sv_iter_next(&it)) {
        float v = sv_get_f32(src.p + it.off[0]);
        float r = sigmoid ? (float)(1.0 / (1.0 + exp(-(double)v))) : unary_f32(op, v);
        sv_put_f32(dst.p + it.off[1], r);
    }
    return KPU_OK;
}

static kpu_status_t softmax(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    sv_tensor_t src, dst;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], V5_DT_F32, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &src);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[1], V5_DT_F32, (uint32_t)in->v[1],
                          (uint32_t)in->v[3], 1, &dst);
    if (st != KPU_OK)
        return st;
    int64_t axis = (int32_t)in->v[4];
    float beta = in->f[5];
    if (axis < 0)
        axis += src.rank;
    if (axis < 0 || axis >= (int64_t)src.rank)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: softmax axis out of range");
    /* iterate over every slice: the axis dimension collapsed to 1 */
    uint64_t outer[V5_MAX_RANK];
    memcpy(outer, src.shape, sizeof outer);
    uint64_t n = src.shape[axis];
    outer[axis] = 1;
    sv_tensor_t s1 = src, d1 = dst;
    s1.shape[axis] = d1.shape[axis] = 1;
    uint64_t ss = src.strides[axis] * 4, ds = dst.strides[axis] * 4;
    sv_iter_t it;
    sv_iter_init(&it, outer, src.rank);
    sv_iter_add(&it, &s1);
    sv_iter_add(&it, &d1);
    for (; !it.done && n; sv_iter_next(&it)) {
        const uint8_t *p = src.p + it.off[0];
        uint8_t *q = dst.p + it.off[1];
        float m = -FLT_MAX, sum = 0.0f;
        for (uint64_t i = 0; i < n; i++) {
            float v = sv_get_f32(p + i * ss);
            m = m < v ? v : m;
        }
        for (uint64_t i = 0; i < n; i++)
            sum += expf((sv_get_f32(p + i * ss) - m) * beta);
        for (uint64_t i = 0; i < n; i++)
            sv_put_f32(q + i * ds, expf((sv_get_f32(p + i * ss) - m) * beta) / sum);
    }
    return KPU_OK;
}

kpu_status_t sv_tf_elementwise(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    switch (in->tf) {
    case TF_BINARY: return binary(c, in, a);
    case TF_UNARY: return map_f32(c, in, a, 0);
    case TF_SIGMOID: return map_f32(c, in, a, 1);
    default: return softmax(c, in, a);
    }
}
