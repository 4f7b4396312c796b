/* The load-time dry run of the stackvm byte code (spec C1-C4, E2): every instruction of every
 * function is decoded once; operands, branch targets, the shape registers a tensor function
 * reads, calls into the k210 module and (for the generation this runtime executes) whether
 * each function and datatype is implemented are checked. The same pass finds the generation
 * of a file and sizes the machine (stack, registers, KPU layers). */
#include "stackvm.h"

typedef struct dry {
    const v5_state_t *s;
    sv_gen_t gen;
    int check_impl;
    sv_plan_t *plan;
    v5_layer_t *layers;
    uint32_t nlayers;
    uint8_t shape_written[256], pad_written[256];
} dry_t;

static void on_layer(void *user, const v5_layer_t *layer)
{
    dry_t *d = user;
    if (d->layers)
        d->layers[d->nlayers] = *layer;
    d->nlayers++;
}

static kpu_status_t check_call(dry_t *d, const sv_insn_t *in, uint32_t pc, int collect,
                               kpu_diag_t *diag)
{
    const v5_state_t *s = d->s;
    uint32_t fid = (uint32_t)in->v[0], mid = (uint32_t)in->v[1];
    if (mid != s->k210_module)
        return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1,
                            "stackvm: tensor call at offset %lu targets module %lu: only calls "
                            "into the k210 module are supported", (unsigned long)pc,
                            (unsigned long)mid);
    v5_function_t fn;
    kpu_status_t st = v5_function_get(s, mid, fid, &fn, diag);
    if (st != KPU_OK)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "stackvm: tensor call at offset %lu: "
                            "k210 function %lu does not exist", (unsigned long)pc,
                            (unsigned long)fid);
    if (in->v[2] != fn.inputs || in->v[3] != fn.outputs)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "stackvm: tensor call at offset %lu passes %lu/%lu tensors, k210 "
                            "function %lu takes %lu/%lu", (unsigned long)pc,
                            (unsigned long)in->v[2], (unsigned long)in->v[3],
                            (unsigned long)fid, (unsigned long)fn.inputs,
                            (unsigned long)fn.outputs);
    uint32_t before = d->nlayers;
    st = k210_validate_function(s, &fn, collect ? on_layer : NULL, d, diag);
    if (st == KPU_OK && collect && d->nlayers - before > 0 && d->nlayers > 65535u)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "V5 model with more than 65535 KPU layers");
    return st;
}

/* Stack effect (pops, pushes) of a scalar instruction; pops < 0: not supported. */
static void scalar_effect(const sv_insn_t *in, int pairs, int *pops, int *pushes)
{
    uint8_t op = in->op;
    *pops = 0;
    *pushes = 0;
    if (op == SV_LDNULL || op == SV_LDC_I4 || op == SV_LDC_I4_0 || op == SV_LDC_I4_1 ||
        op == SV_LDC_R4 || op == SV_LEA_GP || op == SV_LEA_BUFFER)
        *pushes = 1;
    else if (op >= SV_LDIND_I1 && op <= SV_LDIND_R4)
        *pops = *pushes = 1;
    else if (op >= SV_STIND_I1 && op <= SV_STIND_R4)
        *pops = 2;
    else if (op >= SV_LDELEM_I1 && op <= SV_LDELEM_R4)
        *pops = 2, *pushes = 1;
    else if (op >= SV_STELEM_I1 && op <= SV_STELEM_R4)
        *pops = 3;
    else if (op == SV_DUP)
        *pops = 1, *pushes = 2;
    else if (op == SV_POP || op == SV_BR_TRUE || op == SV_BR_FALSE)
        *pops = 1;
    else if (op == SV_STSHAPE)
        *pops = in->b1;
    else if (op == SV_STPADDINGS)
        *pops = in->b1 * (pairs ? 2 : 3);
    else if (op == SV_NEG || op == SV_NOT || (op >= SV_CONV_I1 && op <= SV_CONV_R4))
        *pops = *pushes = 1;
    else if (op >= SV_ADD && op <= SV_CNE && op != SV_NOT)
        *pops = 2, *pushes = 1;
    else if ((op >= SV_LDARG && op <= SV_LDARG_5) || (op >= SV_CALL && op <= SV_BREAK))
        *pops = -1;
}

static kpu_status_t check_regs(dry_t *d, const sv_insn_t *in, uint32_t pc, kpu_diag_t *diag)
{
    const char *fmt = sv_tensor_format(in, d->gen);
    for (uint32_t i = 0; fmt && fmt[i]; i++) {
        uint32_t v = (uint32_t)in->v[i] & 0xFFu;
        if (fmt[i] == 's' && !d->shape_written[v])
            return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                "stackvm: %s at offset %lu reads shape register %lu before any "
                                "stshape (byte code not of %s)", sv_tensor_name(in->tf),
                                (unsigned long)pc, (unsigned long)v, sv_gen_name(d->gen));
        if (fmt[i] == 'p' && !d->pad_written[v])
            return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                "stackvm: %s at offset %lu reads paddings register %lu before "
                                "any stpaddings", sv_tensor_name(in->tf), (unsigned long)pc,
                                (unsigned long)v);
        if (fmt[i] == 'd' && v5_dtype_size((uint32_t)in->v[i]) == 0)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                "stackvm: %s at offset %lu has datatype %lu",
                                sv_tensor_name(in->tf), (unsigned long)pc,
                                (unsigned long)in->v[i]);
    }
    return KPU_OK;
}

static kpu_status_t dry_function(dry_t *d, const v5_function_t *fn, int entry, kpu_diag_t *diag)
{
    const v5_module_t *mod = &d->s->modules[fn->module];
    const uint8_t *code = mod->text + fn->entry;
    uint32_t len = fn->text_size, pc = 0;
    int pairs = d->gen == SV_GEN_BETA || d->gen == SV_GEN_V10;
    int64_t depth = 0;
    int branched = 0;
    memset(d->shape_written, 0, sizeof d->shape_written);
    memset(d->pad_written, 0, sizeof d->pad_written);
    while (pc < len) {
        sv_insn_t in;
        kpu_status_t st = sv_decode(code, len, pc, d->gen, &in, diag);
        if (st != KPU_OK)
            return st;
        int pops, pushes;
        if (in.op == SV_TENSOR) {
            st = check_regs(d, &in, pc, diag);
            if (st != KPU_OK)
                return st;
            pops = sv_tensor_pops(&in, d->gen);
            pushes = 0;
            if (d->check_impl) {
                st = in.tf == TF_CALL ? check_call(d, &in, pc, entry, diag)
                                      : sv_tensor_check(&in, d->gen, diag, pc);
                if (st != KPU_OK)
                    return st;
            }
        } else {
            scalar_effect(&in, pairs, &pops, &pushes);
            if (pops < 0) {
                if (d->check_impl)
                    return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1,
                                        "stackvm: instruction 0x%02x at offset %lu (arguments, "
                                        "calls, exceptions) is not supported by nncase's "
                                        "stackvm either", (unsigned)in.op, (unsigned long)pc);
                pops = 0;
            }
        }
        if (depth < pops) {
            if (!branched)
                return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                    "stackvm: stack underflow at offset %lu (instruction 0x%02x "
                                    "pops %d of %ld values; byte code not of %s)",
                                    (unsigned long)pc, (unsigned)in.op, pops, (long)depth,
                                    sv_gen_name(d->gen));
            depth = pops;
        }
        depth += pushes - pops;
        if ((uint64_t)depth > d->plan->max_stack)
            d->plan->max_stack = (uint32_t)(depth > 1000000 ? 1000000 : depth);
        if (in.op == SV_STSHAPE || in.op == SV_STPADDINGS) {
            if (in.b1 > V5_SHAPE_SLOT)
                return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                    "stackvm: register of rank %u at offset %lu (at most %u)",
                                    (unsigned)in.b1, (unsigned long)pc, V5_SHAPE_SLOT);
            uint8_t *w = in.op == SV_STSHAPE ? d->shape_written : d->pad_written;
            uint32_t *n = in.op == SV_STSHAPE ? &d->plan->nshape_regs : &d->plan->npad_regs;
            w[in.b0] = 1;
            if ((uint32_t)in.b0 + 1 > *n)
                *n = (uint32_t)in.b0 + 1;
        }
        if (in.op == SV_BR || in.op == SV_BR_TRUE || in.op == SV_BR_FALSE) {
            int64_t target = (int64_t)pc + in.size + in.imm;
            if (target < 0 || target >= (int64_t)len)
                return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                    "stackvm: branch at offset %lu to %lld outside the code",
                                    (unsigned long)pc, (long long)target);
            /* without loops every program ends: nncase never emits a backward branch */
            if (d->check_impl && target <= (int64_t)pc)
                return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1,
                                    "stackvm: backward branch (a loop) at offset %lu is not "
                                    "supported", (unsigned long)pc);
            branched = 1;
        }
        pc += in.size;
    }
    return KPU_OK;
}

kpu_status_t sv_dry_run(const v5_state_t *s, sv_gen_t gen, int check_impl, sv_plan_t *plan,
                        v5_layer_t *layers, kpu_diag_t *diag)
{
    dry_t d;
    memset(&d, 0, sizeof d);
    memset(plan, 0, sizeof *plan);
    d.s = s;
    d.gen = gen;
    d.check_impl = check_impl;
    d.plan = plan;
    d.layers = layers;
    for (uint32_t mi = 0; mi < s->nmodules; mi++) {
        if (s->modules[mi].kind != V5_MOD_STACKVM)
            continue;
        for (uint32_t f = 0; f < s->modules[mi].nfunctions; f++) {
            v5_function_t fn;
            kpu_status_t st = v5_function_get(s, mi, f, &fn, diag);
            if (st == KPU_OK)
                st = dry_function(&d, &fn, mi == s->entry_module && f == s->entry_function,
                                  diag);
            if (st != KPU_OK)
                return st;
        }
    }
    plan->nlayers = d.nlayers;
    return KPU_OK;
}

kpu_status_t sv_check_program(const v5_state_t *s, sv_gen_t *gen, sv_plan_t *plan,
                              v5_layer_t *layers, kpu_diag_t *diag)
{
    kpu_status_t st = sv_dry_run(s, SV_GEN_V16, 1, plan, layers, diag);
    if (st == KPU_OK) {
        *gen = SV_GEN_V16;
        return KPU_OK;
    }
    if (st != KPU_ERR_FORMAT)
        return st; /* decodes as 1.6-1.9 byte code but uses something not implemented */
    char first[KPU_DIAG_TEXT];
    const char *text = diag ? diag->text : "";
    if (strncmp(text, "stackvm: ", 9) == 0)
        text += 9;
    memcpy(first, text, strlen(text) + 1);
    first[KPU_DIAG_TEXT - 1] = 0;
    static const sv_gen_t others[] = {SV_GEN_BETA, SV_GEN_V14, SV_GEN_V13, SV_GEN_V12,
                                      SV_GEN_V11, SV_GEN_V10};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        sv_plan_t p;
        if (sv_dry_run(s, others[i], 0, &p, NULL, NULL) == KPU_OK) /* MaixPy's 2002 */
            return kpu_diag_set(diag, KPU_ERR_VERSION_V4V5, -1,
                                "kmodel V5 from %s; this runtime runs nncase 1.6-1.9 files (%s)",
                                sv_gen_name(others[i]), first);
    }
    return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "%s; not nncase 1.x byte code", first);
}
