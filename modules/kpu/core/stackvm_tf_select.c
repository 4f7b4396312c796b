/* Indexing and selection tensor functions of the stackvm (spec C3/C6): gather along an axis,
 * compare (bool bytes out, with broadcasting) and ternary (select by a float condition). */
#include "stackvm.h"

#include "stackvm_elem.h"

/* NumPy broadcast of up to three shapes; 0 if they do not broadcast. */
static int broadcast_shape(const sv_tensor_t *const *t, int n, uint64_t *shape, uint32_t *rank)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++)
        r = t[i]->rank > r ? t[i]->rank : r;
    for (uint32_t d = 0; d < r; d++) {
        uint64_t e = 1;
        for (int i = 0; i < n; i++) {
            if (d + t[i]->rank < r)
                continue;
            uint64_t ti = t[i]->shape[d + t[i]->rank - r];
            if (ti != 1 && e != 1 && ti != e)
                return 0;
            if (ti != 1)
                e = ti;
        }
        shape[d] = e;
    }
    *rank = r;
    return 1;
}

static kpu_status_t gather(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    uint32_t dt = (uint32_t)in->v[0], axis = (uint32_t)in->v[6];
    sv_tensor_t src, dst, idx;
    const uint64_t *ishape;
    uint32_t irank;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], dt, (uint32_t)in->v[1],
                                   (uint32_t)in->v[3], 0, &src);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[1], dt, (uint32_t)in->v[2], (uint32_t)in->v[4], 1,
                          &dst);
    if (st == KPU_OK)
        st = sv_shape_reg(c, (uint32_t)in->v[5], &ishape, &irank);
    if (st != KPU_OK)
        return st;
    uint64_t istrides[V5_MAX_RANK], acc = 1;
    for (uint32_t d = irank; d-- > 0 && d < V5_MAX_RANK;) {
        istrides[d] = acc;
        acc *= ishape[d];
    }
    st = sv_view(c, (uint64_t)a->i[2], V5_DT_I32, ishape, irank, istrides, irank, 0, &idx);
    if (st != KPU_OK)
        return st;
    int ok = axis < src.rank && dst.rank == src.rank - 1 + irank;
    for (uint32_t d = 0; ok && d < dst.rank; d++) {
        uint64_t want = d < axis ? src.shape[d]
                        : d < axis + irank ? idx.shape[d - axis] : src.shape[d - irank + 1];
        ok = dst.shape[d] == want;
    }
    if (!ok)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: gather shapes do not match");
    sv_iter_t it;
    sv_iter_init(&it, dst.shape, dst.rank);
    sv_iter_add(&it, &dst);
    for (; !it.done; sv_iter_next(&it)) {
        uint64_t ioff = 0, off = 0;
        for (uint32_t k = 0; k < irank; k++)
            ioff += it.idx[axis + k] * idx.strides[k];
        int64_t j = sv_get_i(idx.p + ioff * 4, V5_DT_I32);
        if (j < 0)
            j += (int64_t)src.shape[axis];
        if (j < 0 || (uint64_t)j >= src.shape[axis])
            return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: gather index %lld out of "
                                "range", (long long)j);
        for (uint32_t d = 0; d < src.rank; d++) {
            uint64_t pos = d < axis ? it.idx[d] : d == axis ? (uint64_t)j
                                                          : it.idx[d - 1 + irank];
            off += pos * src.strides[d];
        }
        memcpy(dst.p + it.off[0], src.p + off * src.esize, src.esize);
    }
    return KPU_OK;
}

static int compare_op(int op, float x, float y)
{
    switch (op) {
    case 0: return x == y;
    case 1: return x != y;
    case 2: return x > y;
    case 3: return x >= y;
    case 4: return x < y;
    default: return x <= y;
    }
}

static kpu_status_t compare(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    uint32_t dt = (uint32_t)in->v[0];
    sv_tensor_t x, y, out;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], dt, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &x);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[1], dt, (uint32_t)in->v[3], (uint32_t)in->v[4], 0,
                          &y);
    if (st == KPU_OK) /* bool output: one byte per element */
        st = sv_view_regs(c, (uint64_t)a->i[2], V5_DT_U8, (uint32_t)in->v[5],
                          (uint32_t)in->v[6], 1, &out);
    if (st != KPU_OK)
        return st;
    const sv_tensor_t *all[3] = {&x, &y, &out};
    uint64_t shape[V5_MAX_RANK];
    uint32_t rank;
    if (!broadcast_shape(all, 3, shape, &rank) || rank != out.rank ||
        sv_elems(shape, rank) != sv_elems(out.shape, out.rank))
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: compare shapes do not "
                            "broadcast to the output");
    sv_iter_t it;
    sv_iter_init(&it, out.shape, out.rank);
    sv_iter_add(&it, &x);
    sv_iter_add(&it, &y);
    sv_iter_add(&it, &out);
    int op = (int)in->v[7];
    for (; !it.done; sv_iter_next(&it)) {
        const uint8_t *p = x.p + it.off[0], *q = y.p + it.off[1];
        int r;
        if (dt == V5_DT_F32)
            r = compare_op(op, sv_get_f32(p), sv_get_f32(q));
        else { /* integers compared exactly */
            int64_t u = sv_get_i(p, dt), v = sv_get_i(q, dt);
            r = compare_op(op, (float)((u > v) - (u < v)), 0.0f);
        }
        out.p[it.off[2]] = (uint8_t)r;
    }
    return KPU_OK;
}

static kpu_status_t ternary(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    uint32_t dt = (uint32_t)in->v[0];
    sv_tensor_t cond, x, y, out;
    kpu_status_t st = sv_view_regs(c, (uint64_t)a->i[0], V5_DT_F32, (uint32_t)in->v[1],
                                   (uint32_t)in->v[2], 0, &cond);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[1], dt, (uint32_t)in->v[3], (uint32_t)in->v[4], 0,
                          &x);
    if (st == KPU_OK)
        st = sv_view_regs(c, (uint64_t)a->i[2], dt, (uint32_t)in->v[5], (uint32_t)in->v[6], 0,
                          &y);
    if (st != KPU_OK)
        return st;
    const sv_tensor_t *all[3] = {&cond, &x, &y};
    uint64_t shape[V5_MAX_RANK];
    uint32_t rank;
    if (!broadcast_shape(all, 3, shape, &rank))
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: ternary shapes do not "
                            "broadcast");
    const uint64_t *ostrides;
    uint32_t osrank;
    st = sv_shape_reg(c, (uint32_t)in->v[7], &ostrides, &osrank);
    if (st == KPU_OK)
        st = sv_view(c, (uint64_t)a->i[3], dt, shape, rank, ostrides, osrank, 1, &out);
    if (st != KPU_OK)
        return st;
    sv_iter_t it;
    sv_iter_init(&it, shape, rank);
    sv_iter_add(&it, &cond);
    sv_iter_add(&it, &x);
    sv_iter_add(&it, &y);
    sv_iter_add(&it, &out);
    for (; !it.done; sv_iter_next(&it)) {
        int pick = sv_get_f32(cond.p + it.off[0]) != 0.0f;
        memcpy(out.p + it.off[3], pick ? x.p + it.off[1] : y.p + it.off[2], out.esize);
    }
    return KPU_OK;
}

kpu_status_t sv_tf_select(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a)
{
    switch (in->tf) {
    case TF_GATHER: return gather(c, in, a);
    case TF_COMPARE: return compare(c, in, a);
    default: return ternary(c, in, a);
    }
}
