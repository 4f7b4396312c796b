/* The stackvm interpreter (spec C1, C2, C4): scalar instructions on a tagged evaluation stack,
 * shape and paddings registers, memory through checked virtual addresses, and tensor_call
 * into the k210 module. The code was decoded once at load (stackvm_check.c); every run-time
 * value (addresses, register ids, stack depth) is still checked here. */
#include "stackvm.h"

#define TAG_INT 0
#define TAG_REAL 1

typedef struct vm {
    sv_ctx_t *c;
    v5_state_t *s;
    uint32_t sp;
    uint32_t pc, insn_pc;
} vm_t;

static kpu_status_t fail(vm_t *vm, const char *what)
{
    return kpu_diag_set(vm->c->diag, KPU_ERR_RUN, -1, "stackvm: %s at offset %lu", what,
                        (unsigned long)vm->insn_pc);
}

uint8_t *sv_resolve(sv_ctx_t *c, uint64_t va, uint64_t n, int write)
{
    v5_state_t *s = c->s;
    uint64_t region = va >> SV_VA_SHIFT, off = va & SV_VA_MASK, size;
    uint8_t *base;
    switch (region) {
    case SV_REG_INPUT: base = c->m->main_mem + s->in_pool; size = s->in_size; break;
    case SV_REG_OUTPUT: base = c->m->main_mem + s->out_pool; size = s->out_size; break;
    case SV_REG_DATA: base = c->m->main_mem + s->data_off; size = s->data_size; break;
    case SV_REG_RDATA:
        if (write)
            return NULL;
        base = (uint8_t *)(uintptr_t)s->modules[s->entry_module].rdata;
        size = s->modules[s->entry_module].rdata_size;
        break;
    default: return NULL;
    }
    if (off > size || n > size - off)
        return NULL;
    return base ? base + off : (uint8_t *)(uintptr_t)c->m->main_mem;
}

static float real_of(int64_t v)
{
    uint32_t u = (uint32_t)(uint64_t)v;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int64_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (int64_t)u;
}

static kpu_status_t push(vm_t *vm, int64_t v, uint8_t tag)
{
    if (vm->sp >= vm->s->stack_cap)
        return fail(vm, "stack overflow");
    vm->s->stack[vm->sp] = v;
    vm->s->stack_tag[vm->sp] = tag;
    vm->sp++;
    return KPU_OK;
}

static kpu_status_t pop(vm_t *vm, int64_t *v, uint8_t *tag)
{
    if (vm->sp == 0)
        return fail(vm, "stack underflow");
    vm->sp--;
    *v = vm->s->stack[vm->sp];
    if (tag)
        *tag = vm->s->stack_tag[vm->sp];
    return KPU_OK;
}

static float bf16_to_f32(uint16_t b) { return real_of((int64_t)((uint32_t)b << 16)); }

static uint16_t f32_to_bf16(float f)
{
    uint32_t u = (uint32_t)bits_of(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
    u += 0x7FFFu + ((u >> 16) & 1u);          /* round to nearest even */
    return (uint16_t)(u >> 16);
}

/* Truncation toward zero with the x86 result (INT64_MIN) for values out of range. */
static int64_t f_to_i64(float f)
{
    if (f != f || f >= 9.2233720368547758e18f || f < -9.2233720368547758e18f)
        return INT64_MIN;
    return (int64_t)f;
}

/* Loads element type k (ldind order: i1 i2 i4 i u1 u2 u4 u br2 r4). */
static const uint8_t type_size[10] = {1, 2, 4, 8, 1, 2, 4, 8, 2, 4};

static void load_value(const uint8_t *p, unsigned k, int64_t *v, uint8_t *tag)
{
    uint64_t u = 0;
    for (unsigned i = 0; i < type_size[k]; i++)
        u |= (uint64_t)p[i] << (8 * i);
    *tag = TAG_INT;
    switch (k) {
    case 0: *v = (int8_t)u; break;
    case 1: *v = (int16_t)u; break;
    case 2: *v = (int32_t)u; break;
    case 8: *v = bits_of(bf16_to_f32((uint16_t)u)); *tag = TAG_REAL; break;
    case 9: *v = (int64_t)u; *tag = TAG_REAL; break;
    default: *v = (int64_t)u; break;
    }
}

/* Stores with stind order (i1 i2 i4 i br2 r4). */
static void store_value(uint8_t *p, unsigned k, int64_t v)
{
    static const uint8_t sizes[6] = {1, 2, 4, 8, 2, 4};
    uint64_t u = (uint64_t)v;
    if (k == 4)
        u = f32_to_bf16(real_of(v));
    for (unsigned i = 0; i < sizes[k]; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

static kpu_status_t do_load(vm_t *vm, unsigned k, int elem)
{
    int64_t addr = 0, index = 0, v = 0;
    uint8_t tag = 0;
    kpu_status_t st = elem ? pop(vm, &index, NULL) : KPU_OK;
    if (st == KPU_OK)
        st = pop(vm, &addr, NULL);
    if (st != KPU_OK)
        return st;
    uint64_t va = (uint64_t)addr + (uint64_t)index * type_size[k];
    const uint8_t *p = addr ? sv_resolve(vm->c, va, type_size[k], 0) : NULL;
    if (!p)
        return fail(vm, "load from an address outside the model's memory");
    load_value(p, k, &v, &tag);
    return push(vm, v, tag);
}

static kpu_status_t do_store(vm_t *vm, unsigned k, int elem)
{
    static const uint8_t sizes[6] = {1, 2, 4, 8, 2, 4};
    int64_t addr = 0, index = 0, v = 0;
    kpu_status_t st = pop(vm, &v, NULL);
    if (st == KPU_OK && elem)
        st = pop(vm, &index, NULL);
    if (st == KPU_OK)
        st = pop(vm, &addr, NULL);
    if (st != KPU_OK)
        return st;
    uint64_t va = (uint64_t)addr + (uint64_t)index * sizes[k];
    uint8_t *p = addr ? sv_resolve(vm->c, va, sizes[k], 1) : NULL;
    if (!p)
        return fail(vm, "store to an address outside the model's writable memory");
    store_value(p, k, v);
    return KPU_OK;
}

static kpu_status_t lea_buffer(vm_t *vm, const sv_insn_t *in)
{
    static const uint8_t regions[4] = {SV_REG_INPUT, SV_REG_OUTPUT, SV_REG_RDATA, SV_REG_DATA};
    if (in->b0 > V5_LOC_DATA)
        return fail(vm, "lea_buffer of an unsupported memory location");
    return push(vm, (int64_t)(((uint64_t)regions[in->b0] << SV_VA_SHIFT) + (uint64_t)in->imm),
                TAG_INT);
}

static kpu_status_t store_regs(vm_t *vm, const sv_insn_t *in, sv_gen_t gen)
{
    v5_state_t *s = vm->s;
    uint32_t r = in->b0, rank = in->b1;
    if (rank > V5_SHAPE_SLOT)
        return fail(vm, "register rank above 8");
    if (in->op == SV_STSHAPE) {
        if (r >= s->nshape_regs)
            return fail(vm, "shape register out of range");
        uint64_t *vals = s->shape_vals + (size_t)r * V5_SHAPE_SLOT;
        for (uint32_t i = rank; i-- > 0;) {
            int64_t v = 0;
            kpu_status_t st = pop(vm, &v, NULL);
            if (st != KPU_OK)
                return st;
            vals[i] = (uint64_t)v;
        }
        s->shape_rank[r] = rank;
        return KPU_OK;
    }
    if (r >= s->npad_regs)
        return fail(vm, "paddings register out of range");
    int32_t *vals = s->pad_vals + (size_t)r * V5_SHAPE_SLOT * 3;
    int pairs = gen == SV_GEN_BETA || gen == SV_GEN_V10;
    for (uint32_t i = rank; i-- > 0;) {
        int64_t v[3] = {0, 0, 0};
        for (int k = pairs ? 1 : 2; k >= 0; k--) {
            kpu_status_t st = pop(vm, &v[k], NULL);
            if (st != KPU_OK)
                return st;
        }
        for (int k = 0; k < 3; k++)
            vals[3 * i + k] = (int32_t)v[k];
    }
    s->pad_rank[r] = rank;
    return KPU_OK;
}

kpu_status_t sv_shape_reg(sv_ctx_t *c, uint32_t r, const uint64_t **vals, uint32_t *rank)
{
    v5_state_t *s = c->s;
    if (r >= s->nshape_regs || s->shape_rank[r] == UINT32_MAX)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: shape register %lu read before "
                            "it was written", (unsigned long)r);
    *vals = s->shape_vals + (size_t)r * V5_SHAPE_SLOT;
    *rank = s->shape_rank[r];
    return KPU_OK;
}

kpu_status_t sv_pad_reg(sv_ctx_t *c, uint32_t r, const int32_t **vals, uint32_t *rank)
{
    v5_state_t *s = c->s;
    if (r >= s->npad_regs || s->pad_rank[r] == UINT32_MAX)
        return kpu_diag_set(c->diag, KPU_ERR_RUN, -1, "stackvm: paddings register %lu read "
                            "before it was written", (unsigned long)r);
    *vals = s->pad_vals + (size_t)r * V5_SHAPE_SLOT * 3;
    *rank = s->pad_rank[r];
    return KPU_OK;
}

/* Integer and real arithmetic; a's tag decides (C2). */
static kpu_status_t arith(vm_t *vm, uint8_t op)
{
    int64_t a = 0, b = 0;
    uint8_t ta = 0;
    kpu_status_t st = pop(vm, &b, NULL);
    if (st == KPU_OK)
        st = pop(vm, &a, &ta);
    if (st != KPU_OK)
        return st;
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    if (ta == TAG_REAL && op <= SV_REM_U) {
        float x = real_of(a), y = real_of(b), r;
        switch (op) {
        case SV_ADD: r = x + y; break;
        case SV_SUB: r = x - y; break;
        case SV_MUL: r = x * y; break;
        default: r = x / y; break; /* div, div_u, rem, rem_u: all divide */
        }
        return push(vm, bits_of(r), TAG_REAL);
    }
    if (ta == TAG_REAL && op >= SV_CLT && op <= SV_CNE) {
        float x = real_of(a), y = real_of(b);
        int r;
        switch (op) {
        case SV_CLT: case SV_CLT_U: r = x < y; break;
        case SV_CLE: case SV_CLE_U: r = x <= y; break;
        case SV_CEQ: r = x == y; break;
        case SV_CGE: case SV_CGE_U: r = x >= y; break;
        case SV_CGT: case SV_CGT_U: r = x > y; break;
        default: r = x != y; break;
        }
        return push(vm, r, TAG_INT);
    }
    uint64_t r;
    switch (op) {
    case SV_ADD: r = ua + ub; break;
    case SV_SUB: r = ua - ub; break;
    case SV_MUL: r = ua * ub; break;
    case SV_DIV: case SV_REM:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return fail(vm, "integer division by zero or overflow");
        r = (uint64_t)(a / b);
        break;
    case SV_DIV_U: case SV_REM_U:
        if (ub == 0)
            return fail(vm, "integer division by zero");
        r = ua / ub;
        break;
    case SV_AND: r = ua & ub; break;
    case SV_OR: r = ua | ub; break;
    case SV_XOR: r = ua ^ ub; break;
    case SV_SHL: r = ua << (ub & 63u); break;
    case SV_SHR: r = a < 0 ? ~(~ua >> (ub & 63u)) : ua >> (ub & 63u); break;
    case SV_SHR_U: r = ua >> (ub & 63u); break;
    case SV_CLT: r = a < b; break;
    case SV_CLT_U: r = ua < ub; break;
    case SV_CLE: r = a <= b; break;
    case SV_CLE_U: r = ua <= ub; break;
    case SV_CEQ: r = ua == ub; break;
    case SV_CGE: r = a >= b; break;
    case SV_CGE_U: r = ua >= ub; break;
    case SV_CGT: r = a > b; break;
    case SV_CGT_U: r = ua > ub; break;
    default: r = ua != ub; break;
    }
    return push(vm, (int64_t)r, TAG_INT);
}

static kpu_status_t convert(vm_t *vm, uint8_t op)
{
    int64_t v;
    uint8_t tag = 0;
    kpu_status_t st = pop(vm, &v, &tag);
    if (st != KPU_OK)
        return st;
    unsigned k = op - SV_CONV_I1; /* i1 i2 i4 i u1 u2 u4 u br2 r4 */
    if (k >= 8) {
        float f = tag == TAG_REAL ? real_of(v) : (float)v;
        if (k == 8) /* conv_br2 truncates (unlike stind_br2, which rounds) [nncase 1.9] */
            f = real_of(bits_of(f) & 0xFFFF0000);
        return push(vm, bits_of(f), TAG_REAL);
    }
    int64_t i = tag == TAG_REAL ? f_to_i64(real_of(v)) : v;
    uint64_t u = (uint64_t)i;
    switch (k) {
    case 0: i = (int8_t)(uint8_t)u; break;
    case 1: i = (int16_t)(uint16_t)u; break;
    case 2: i = (int32_t)(uint32_t)u; break;
    case 4: i = (uint8_t)u; break;
    case 5: i = (uint16_t)u; break;
    case 6: i = (uint32_t)u; break;
    default: break;
    }
    return push(vm, i, TAG_INT);
}

/* tensor call (C4): pops the views of the callee's outputs, then inputs, checks them against
 * its descriptors and runs it. */
static kpu_status_t tensor_call(vm_t *vm, const sv_insn_t *in)
{
    sv_ctx_t *c = vm->c;
    v5_function_t fn;
    kpu_status_t st = v5_function_get(vm->s, (uint32_t)in->v[1], (uint32_t)in->v[0], &fn,
                                      c->diag);
    if (st != KPU_OK)
        return st;
    uint8_t *ptr[2][V5_MAX_IO];
    uint64_t size[2][V5_MAX_IO];
    for (int o = 1; o >= 0; o--) {
        uint32_t n = o ? fn.outputs : fn.inputs;
        for (uint32_t i = n; i-- > 0;) {
            int64_t v[4];
            for (int k = 3; k >= 0; k--) {
                st = pop(vm, &v[k], NULL);
                if (st != KPU_OK)
                    return st;
            }
            v5_range_t r;
            v5_shape_t sh;
            v5_function_io(vm->s, &fn, o, i, &r, &sh);
            const uint64_t *shape, *strides;
            uint32_t rank, srank;
            if ((uint64_t)v[2] > 255 || (uint64_t)v[3] > 255)
                return fail(vm, "tensor call with a bad register id");
            st = sv_shape_reg(c, (uint32_t)v[2], &shape, &rank);
            if (st == KPU_OK)
                st = sv_shape_reg(c, (uint32_t)v[3], &strides, &srank);
            if (st != KPU_OK)
                return st;
            int same = (uint64_t)(v[1] & 0xFF) == r.datatype && rank == sh.rank && srank == rank;
            uint64_t expect = 1;
            for (uint32_t d = rank; same && d-- > 0;) {
                same = shape[d] == sh.dims[d] && (shape[d] == 1 || strides[d] == expect);
                expect *= sh.dims[d];
            }
            if (!same)
                return kpu_diag_set(c->diag, KPU_ERR_RUN, -1,
                                    "stackvm: tensor call at offset %lu: %s %lu does not match "
                                    "k210 function %lu's descriptor (datatype, shape, dense "
                                    "strides)", (unsigned long)vm->insn_pc,
                                    o ? "output" : "input", (unsigned long)i,
                                    (unsigned long)fn.index);
            ptr[o][i] = sv_resolve(c, (uint64_t)v[0], r.size, o);
            size[o][i] = r.size;
            if (!ptr[o][i])
                return fail(vm, "tensor call with a buffer outside the model's memory");
        }
    }
    return k210_run_function(c, fn.index, ptr[0], size[0], ptr[1], size[1]);
}

static kpu_status_t tensor(vm_t *vm, const sv_insn_t *in)
{
    if (in->tf == TF_CALL)
        return tensor_call(vm, in);
    int n = sv_tensor_pops(in, vm->s->gen);
    sv_args_t a;
    memset(&a, 0, sizeof a);
    if (n < 0 || n > 16)
        return fail(vm, "bad tensor operand count");
    a.n = (uint32_t)n;
    for (int k = n - 1; k >= 0; k--) {
        int64_t v;
        uint8_t tag;
        kpu_status_t st = pop(vm, &v, &tag);
        if (st != KPU_OK)
            return st;
        a.i[k] = v;
        a.f[k] = real_of(v);
        a.is_real[k] = tag == TAG_REAL;
    }
    return sv_tensor_exec(vm->c, in, &a);
}

static kpu_status_t step(vm_t *vm, const sv_insn_t *in, uint32_t len, int *stop)
{
    uint8_t op = in->op;
    int64_t v = 0, w = 0;
    uint8_t tag = 0;
    kpu_status_t st;
    if (op >= SV_LDIND_I1 && op <= SV_LDIND_R4)
        return do_load(vm, op - SV_LDIND_I1, 0);
    if (op >= SV_STIND_I1 && op <= SV_STIND_R4)
        return do_store(vm, op - SV_STIND_I1, 0);
    if (op >= SV_LDELEM_I1 && op <= SV_LDELEM_R4)
        return do_load(vm, op - SV_LDELEM_I1, 1);
    if (op >= SV_STELEM_I1 && op <= SV_STELEM_R4)
        return do_store(vm, op - SV_STELEM_I1, 1);
    if (op >= SV_ADD && op <= SV_CNE && op != SV_NOT)
        return arith(vm, op);
    if (op >= SV_CONV_I1 && op <= SV_CONV_R4)
        return convert(vm, op);
    switch (op) {
    case SV_NOP: return KPU_OK;
    case SV_LDNULL: case SV_LDC_I4_0: return push(vm, 0, TAG_INT);
    case SV_LDC_I4_1: return push(vm, 1, TAG_INT);
    case SV_LDC_I4: return push(vm, in->imm, TAG_INT);
    case SV_LDC_R4: return push(vm, bits_of(in->fimm), TAG_REAL);
    case SV_LEA_GP: return push(vm, in->imm, TAG_INT); /* gp registers are never set: 0 */
    case SV_LEA_BUFFER: return lea_buffer(vm, in);
    case SV_DUP:
        st = pop(vm, &v, &tag);
        if (st == KPU_OK)
            st = push(vm, v, tag);
        return st == KPU_OK ? push(vm, v, tag) : st;
    case SV_POP: return pop(vm, &v, NULL);
    case SV_STSHAPE: case SV_STPADDINGS: return store_regs(vm, in, vm->s->gen);
    case SV_NEG:
        st = pop(vm, &v, &tag);
        if (st != KPU_OK)
            return st;
        return tag == TAG_REAL ? push(vm, bits_of(-real_of(v)), TAG_REAL)
                               : push(vm, (int64_t)(0 - (uint64_t)v), TAG_INT);
    case SV_NOT:
        st = pop(vm, &v, NULL);
        return st == KPU_OK ? push(vm, (int64_t)~(uint64_t)v, TAG_INT) : st;
    case SV_BR: case SV_BR_TRUE: case SV_BR_FALSE: {
        int take = 1;
        if (op != SV_BR) {
            st = pop(vm, &w, NULL);
            if (st != KPU_OK)
                return st;
            take = (op == SV_BR_TRUE) == (w != 0);
        }
        if (take) {
            int64_t target = (int64_t)vm->pc + in->imm;
            if (target < 0 || target >= (int64_t)len)
                return fail(vm, "branch outside the code");
            vm->pc = (uint32_t)target;
        }
        return KPU_OK;
    }
    case SV_RET: *stop = 1; return KPU_OK;
    case SV_TENSOR: return tensor(vm, in);
    default: return fail(vm, "unsupported instruction");
    }
}

kpu_status_t sv_run_function(sv_ctx_t *c, const v5_function_t *fn)
{
    vm_t vm;
    memset(&vm, 0, sizeof vm);
    vm.c = c;
    vm.s = c->s;
    const uint8_t *code = c->s->modules[fn->module].text + fn->entry;
    uint32_t len = fn->text_size;
    /* nncase emits straight-line code; a budget stops hostile loops */
    uint64_t budget = 1000000u + 64ull * len;
    int stop = 0;
    while (vm.pc < len && !stop && !c->stopped) {
        if (budget-- == 0)
            return fail(&vm, "instruction budget exhausted (endless loop?)");
        sv_insn_t in;
        vm.insn_pc = vm.pc;
        kpu_status_t st = sv_decode(code, len, vm.pc, c->s->gen, &in, c->diag);
        if (st != KPU_OK) {
            if (c->diag)
                c->diag->status = KPU_ERR_RUN;
            return KPU_ERR_RUN;
        }
        vm.pc += in.size;
        st = step(&vm, &in, len, &stop);
        if (st != KPU_OK)
            return st;
    }
    return KPU_OK;
}
