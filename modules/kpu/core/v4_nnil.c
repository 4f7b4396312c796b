/* nnil_unary_method (spec A4): a per-element program in NNIL byte code on a 64-float stack.
 * The code has no branches, so the load-time pass proves every instruction known, every
 * immediate inside the body, the stack between 0 and 64 at each step and a final ret; the
 * interpreter then runs without checks. */
#include "v4_internal.h"

#define NNIL_STACK 64

enum {
    NNIL_NOP = 0x00, NNIL_DUP = 0x01, NNIL_POP = 0x02, NNIL_LDA_0 = 0x03, NNIL_LDC_R4_0 = 0x04,
    NNIL_LDC_R4_1 = 0x05, NNIL_LDC_R4 = 0x06,
    NNIL_ABS = 0x20, NNIL_SQUARE = 0x29,  /* 0x20..0x29: unary on the top */
    NNIL_ADD = 0x40, NNIL_MAX = 0x45,     /* 0x40..0x45: pop b, pop a, push a op b */
    NNIL_CLAMP = 0x80, NNIL_RET = 0xA0,
};

kpu_status_t v4_dec_nnil(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    if (r->short_read)
        return KPU_OK;
    n->code = r->p + r->pos;
    n->code_size = r->size - r->pos; /* the rest of the body, padding included */
    int depth = 0;
    for (uint32_t pc = 0; pc < n->code_size;) {
        uint8_t op = n->code[pc++];
        int pops = 0, pushes = 0;
        if (op == NNIL_NOP) {
        } else if (op == NNIL_DUP) {
            pops = 1, pushes = 2;
        } else if (op == NNIL_POP) {
            pops = 1;
        } else if (op >= NNIL_LDA_0 && op <= NNIL_LDC_R4_1) {
            pushes = 1;
        } else if (op == NNIL_LDC_R4) {
            if (n->code_size - pc < 4)
                return v4_fail(c, KPU_ERR_TRUNCATED, "NNIL ldc_r4 at %lu lacks its immediate",
                               (unsigned long)(pc - 1));
            pc += 4;
            pushes = 1;
        } else if (op >= NNIL_ABS && op <= NNIL_SQUARE) {
            pops = 1, pushes = 1;
        } else if (op >= NNIL_ADD && op <= NNIL_MAX) {
            pops = 2, pushes = 1;
        } else if (op == NNIL_CLAMP) {
            pops = 3, pushes = 1;
        } else if (op == NNIL_RET) {
            if (depth < 1)
                return v4_fail(c, KPU_ERR_FORMAT, "NNIL ret at %lu on an empty stack",
                               (unsigned long)(pc - 1));
            if ((st = v4_need_read(c, &n->in, -1, n->in.size, "input")) != KPU_OK)
                return st;
            return v4_need_write(c, &n->out, -1, n->in.size / 4u * 4u, "output");
        } else {
            return v4_fail(c, KPU_ERR_FORMAT, "unknown NNIL instruction 0x%02x at %lu", op,
                           (unsigned long)(pc - 1));
        }
        if (depth < pops)
            return v4_fail(c, KPU_ERR_FORMAT, "NNIL stack underflow at %lu",
                           (unsigned long)(pc - 1));
        depth += pushes - pops;
        if (depth > NNIL_STACK)
            return v4_fail(c, KPU_ERR_FORMAT, "NNIL stack overflow at %lu",
                           (unsigned long)(pc - 1));
    }
    return v4_fail(c, KPU_ERR_FORMAT, "NNIL code ends without ret");
}

/* One element through the checked program. */
static float nnil_eval(const uint8_t *code, float x)
{
    float st[NNIL_STACK];
    int sp = 0;
    for (uint32_t pc = 0;;) {
        uint8_t op = code[pc++];
        switch (op) {
        case NNIL_NOP: break;
        case NNIL_DUP: st[sp] = st[sp - 1]; sp++; break;
        case NNIL_POP: sp--; break;
        case NNIL_LDA_0: st[sp++] = x; break;
        case NNIL_LDC_R4_0: st[sp++] = 0.0f; break;
        case NNIL_LDC_R4_1: st[sp++] = 1.0f; break;
        case NNIL_LDC_R4: st[sp++] = kpu_rdf32(code + pc, 0); pc += 4; break;
        case NNIL_CLAMP: {
            float hi = st[--sp], lo = st[--sp], v = st[sp - 1];
            st[sp - 1] = v4_clamp(v, lo, hi);
            break;
        }
        case NNIL_RET: return st[sp - 1];
        default:
            if (op <= NNIL_SQUARE) {
                st[sp - 1] = v4_unary_f32((uint32_t)(op - NNIL_ABS), st[sp - 1]);
            } else {
                float b = st[--sp];
                st[sp - 1] = v4_binary_f32((uint32_t)(op - NNIL_ADD), st[sp - 1], b);
            }
            break;
        }
    }
}

kpu_status_t v4_run_nnil(v4_ctx_t *c, const v4_node_t *n)
{
    const uint8_t *in = v4_src(c, &n->in);
    uint8_t *o = v4_dst(c, &n->out);
    for (uint32_t i = 0; i < n->in.size / 4u; i++)
        v4_stf(o, i, nnil_eval(n->code, v4_ldf(in, i)));
    return KPU_OK;
}
