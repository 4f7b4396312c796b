/* Tensor views for the stackvm tensor functions (spec C5): a view is an address, a datatype,
 * a shape and element strides, checked to lie inside one memory region; a row-major iterator
 * over several views; which functions this runtime implements; and the dispatch. */
#include "stackvm.h"

uint64_t sv_elems(const uint64_t *shape, uint32_t rank)
{
    uint64_t n = 1;
    for (uint32_t i = 0; i < rank; i++)
        n = (shape[i] && n > UINT64_MAX / shape[i]) ? UINT64_MAX : n * shape[i];
    return n;
}

kpu_status_t sv_view(sv_ctx_t *c, uint64_t va, uint32_t dt, const uint64_t *shape,
                     uint32_t rank, const uint64_t *strides, uint32_t srank, int write,
                     sv_tensor_t *t)
{
    memset(t, 0, sizeof *t);
    t->dt = dt;
    t->esize = v5_dtype_size(dt);
    if (t->esize == 0 || rank > V5_MAX_RANK || srank != rank)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: tensor of rank %lu with %lu "
                            "strides (%s)", (unsigned long)rank, (unsigned long)srank,
                            v5_dtype_name(dt));
    t->rank = rank;
    uint64_t last = 0;
    int empty = 0;
    for (uint32_t i = 0; i < rank; i++) {
        t->shape[i] = shape[i];
        t->strides[i] = strides[i];
        if (shape[i] == 0)
            empty = 1;
        /* 2^40 bounds every region; larger extents cannot be inside one */
        if (shape[i] > ((uint64_t)1 << 40) || strides[i] > ((uint64_t)1 << 40))
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: tensor extent too large");
        if (shape[i])
            last += (shape[i] - 1) * strides[i];
        if (last > ((uint64_t)1 << 40))
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: tensor extent too large");
    }
    /* stride-0 views can be huge in a small buffer: bound the elements every kernel visits */
    if (sv_elems(t->shape, rank) > SV_MAX_ELEMS)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: tensor of more than %lu "
                            "elements", (unsigned long)SV_MAX_ELEMS);
    uint64_t bytes = empty ? 0 : (last + 1) * t->esize;
    t->p = sv_resolve(c, va, bytes, write);
    if (!t->p)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1,
                            "stackvm: %s tensor of %llu bytes at 0x%llx outside the model's %s"
                            "memory", v5_dtype_name(dt), (unsigned long long)bytes,
                            (unsigned long long)va, write ? "writable " : "");
    return KPU_OK;
}

kpu_status_t sv_view_regs(sv_ctx_t *c, uint64_t va, uint32_t dt, uint32_t rshape,
                          uint32_t rstrides, int write, sv_tensor_t *t)
{
    const uint64_t *shape, *strides;
    uint32_t rank, srank;
    kpu_status_t st = sv_shape_reg(c, rshape, &shape, &rank);
    if (st == KPU_OK)
        st = sv_shape_reg(c, rstrides, &strides, &srank);
    if (st != KPU_OK)
        return st;
    return sv_view(c, va, dt, shape, rank, strides, srank, write, t);
}

void sv_iter_init(sv_iter_t *it, const uint64_t *shape, uint32_t rank)
{
    memset(it, 0, sizeof *it);
    it->rank = rank;
    for (uint32_t i = 0; i < rank; i++) {
        it->shape[i] = shape[i];
        if (shape[i] == 0)
            it->done = 1;
    }
}

void sv_iter_add(sv_iter_t *it, const sv_tensor_t *t)
{
    uint32_t k = it->n++;
    for (uint32_t d = 0; d < it->rank; d++) {
        int64_t td = (int64_t)d - (int64_t)(it->rank - t->rank);
        uint64_t step = 0;
        if (td >= 0 && !(t->shape[td] == 1 && it->shape[d] != 1))
            step = t->strides[td] * t->esize;
        it->step[k][d] = step;
    }
}

void sv_iter_next(sv_iter_t *it)
{
    for (uint32_t d = it->rank; d-- > 0;) {
        it->idx[d]++;
        for (uint32_t k = 0; k < it->n; k++)
            it->off[k] += it->step[k][d];
        if (it->idx[d] < it->shape[d])
            return;
        for (uint32_t k = 0; k < it->n; k++)
            it->off[k] -= it->step[k][d] * it->shape[d];
        it->idx[d] = 0;
    }
    it->done = 1;
}

static int is_int(uint32_t dt)
{
    return dt == V5_DT_U8 || dt == V5_DT_I8 || dt == V5_DT_I32 || dt == V5_DT_I64;
}

kpu_status_t sv_tensor_check(const sv_insn_t *in, sv_gen_t gen, kpu_diag_t *diag,
                             uint32_t pc)
{
    const int64_t *v = in->v;
    int ok = 0;
    switch (in->tf) {
    case TF_QUANTIZE: ok = v[0] == V5_DT_F32 && (v[1] == V5_DT_U8 || v[1] == V5_DT_I8); break;
    case TF_DEQUANTIZE: ok = (v[0] == V5_DT_U8 || v[0] == V5_DT_I8) && v[1] == V5_DT_F32; break;
    case TF_CONVERT:
        ok = (is_int((uint32_t)v[0]) || v[0] == V5_DT_F32) &&
             (is_int((uint32_t)v[1]) || v[1] == V5_DT_F32);
        break;
    case TF_COPY: case TF_TRANSPOSE: case TF_SLICE: case TF_BROADCAST: ok = 1; break;
    case TF_PAD: ok = v[5] <= 3 && v5_dtype_size((uint32_t)v[0]) <= 8; break;
    case TF_LUT1D: ok = v[0] == V5_DT_U8; break;
    case TF_REDUCE: ok = v[0] == V5_DT_F32 && v[4] <= 3; break;
    case TF_REDUCE_WINDOW2D: ok = v[0] == V5_DT_F32 && v[1] <= 3; break;
    case TF_RESIZE_IMAGE:
        ok = v[6] == 1 || (v[6] == 0 && (v[0] == V5_DT_F32 || v[0] == V5_DT_U8 ||
                                         v[0] == V5_DT_I8));
        break;
    case TF_BINARY: {
        int64_t op = v[gen == SV_GEN_V16 || gen == SV_GEN_V14 ? 7 : 6]; /* rshape_dest from 1.4 */
        ok = (v[0] == V5_DT_F32 && (op <= 6 || op == 12)) ||
             ((v[0] == V5_DT_I32 || v[0] == V5_DT_I64) && op <= 5);
        break;
    }
    case TF_UNARY: ok = v[0] == V5_DT_F32 && v[4] <= 18 && v[4] != 16; break;
    case TF_SIGMOID: case TF_SOFTMAX: case TF_CONV2D: ok = v[0] == V5_DT_F32; break;
    case TF_MATMUL: ok = 1; break;
    case TF_GATHER: ok = v5_dtype_size((uint32_t)v[0]) != 0 && v[6] < V5_MAX_RANK; break;
    case TF_COMPARE: ok = (v[0] == V5_DT_F32 || is_int((uint32_t)v[0])) && v[7] <= 5; break;
    case TF_TERNARY: ok = 1; break;
    default: break;
    }
    if (ok)
        return KPU_OK;
    return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1,
                        "stackvm: tensor function %s (0x%02lx) at offset %lu with these "
                        "operands (datatype %s) is not implemented by this runtime",
                        sv_tensor_name(in->tf), (unsigned long)in->tf, (unsigned long)pc,
                        v5_dtype_name((uint32_t)v[0]));
}

kpu_status_t sv_tensor_exec(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    switch (in->tf) {
    case TF_QUANTIZE: case TF_DEQUANTIZE: case TF_CONVERT: case TF_LUT1D: case TF_COPY:
        return sv_tf_quant(c, in, a);
    case TF_REDUCE: case TF_REDUCE_WINDOW2D:
        return sv_tf_reduce(c, in, a);
    case TF_BINARY: case TF_UNARY: case TF_SIGMOID: case TF_SOFTMAX:
        return sv_tf_elementwise(c, in, a);
    case TF_PAD: case TF_TRANSPOSE: case TF_SLICE: case TF_RESIZE_IMAGE: case TF_BROADCAST:
        return sv_tf_layout(c, in, a);
    case TF_CONV2D: case TF_MATMUL:
        return sv_tf_linear(c, in, a);
    case TF_GATHER: case TF_COMPARE: case TF_TERNARY:
        return sv_tf_select(c, in, a);
    default:
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: tensor function %s not "
                            "implemented", sv_tensor_name(in->tf));
    }
}
