/* The stackvm instruction decoder (spec Part C2/C3) for every nncase 1.x byte-code generation
 * (Part E1): the scalar opcodes are common to all, the tensor function numbers and a few
 * operand layouts are not. Decoding never reads past the code it is given. */
#include "stackvm.h"

/* Operand formats of the tensor functions (v1.9 layouts): d datatype, s shape register,
 * p paddings register, b u8, h u16, i i32, u u32, f f32, l i64. NULL: no operand reader. */
static const char *const tf_format[TF_COUNT] = {
    "dssssp", "dssssssbff", "dssss", "uhbb", "dssssssb", NULL, "dsssssshhhhhff", NULL,
    "ddsss", "dsss", "dsibb", "ddsss", "dsssssb", "dsssssb", "dssi", NULL, "dsssh",
    "ssssssff", "dsssbb", "dssspb", "ddsss", "dsfff", "dsfff", "dsssbsb", "dssdsbsbb",
    "dssssb", "dbssshhhhhhff", "dsssbbb", "dssbfl", "dsss", "dssssss", "dsssif", "dssssp",
    NULL, "dsssssss", "dsssssslibb", "dssss", "dsbl", "dsssb", "ssbb", "sssiiibffiffff",
    "dsif", "ssf", "ssi",
};

static const char *const tf_names[TF_COUNT] = {
    "batch_to_space", "binary", "broadcast", "call", "compare", "clamp", "conv2d",
    "conv2d_transpose", "convert", "copy", "cumsum", "dequantize", "gather", "gather_nd",
    "hardmax", "logistic", "lut1d", "matmul", "onehot", "pad", "quantize", "random_normal",
    "random_uniform", "reduce", "reduce_arg", "reduce_prod", "reduce_window2d", "resize_image",
    "roi_align", "sigmoid", "slice", "softmax", "space_to_batch", "take", "ternary", "topk",
    "transpose", "trilu", "unary", "gru", "tflite_detection_postprocess", "layer_normalization",
    "compress", "gather_elements",
};

const char *sv_tensor_name(uint32_t tf)
{
    if (tf < TF_COUNT)
        return tf_names[tf];
    if (tf == TF_EQUAL)
        return "equal";
    if (tf == TF_REDUCEARG_OLD)
        return "reducearg";
    return "unknown";
}

/* Function numbers of the older generations, in code order (v1.9 ids). */
static const uint16_t gen_beta[] = {
    TF_BATCH_TO_SPACE, TF_BINARY, TF_BROADCAST, TF_CALL, TF_CLAMP, TF_CONV2D,
    TF_CONV2D_TRANSPOSE, TF_CONVERT, TF_COPY, TF_DEQUANTIZE, TF_GATHER, TF_GATHER_ND,
    TF_LOGISTIC, TF_LUT1D, TF_MATMUL, TF_ONEHOT, TF_PAD, TF_QUANTIZE, TF_REDUCE,
    TF_REDUCE_WINDOW2D, TF_RESIZE_IMAGE, TF_SLICE, TF_SOFTMAX, TF_SPACE_TO_BATCH, TF_TAKE,
    TF_TRANSPOSE, TF_UNARY};
static const uint16_t gen_v10[] = {
    TF_BATCH_TO_SPACE, TF_BINARY, TF_BROADCAST, TF_CALL, TF_CLAMP, TF_CONV2D,
    TF_CONV2D_TRANSPOSE, TF_CONVERT, TF_COPY, TF_CUMSUM, TF_DEQUANTIZE, TF_GATHER, TF_GATHER_ND,
    TF_HARDMAX, TF_LOGISTIC, TF_LUT1D, TF_MATMUL, TF_ONEHOT, TF_PAD, TF_QUANTIZE, TF_REDUCE,
    TF_REDUCEARG_OLD, TF_REDUCE_WINDOW2D, TF_RESIZE_IMAGE, TF_SLICE, TF_SOFTMAX,
    TF_SPACE_TO_BATCH, TF_TAKE, TF_TRANSPOSE, TF_UNARY};
static const uint16_t gen_v11[] = {
    TF_BATCH_TO_SPACE, TF_BINARY, TF_BROADCAST, TF_CALL, TF_CLAMP, TF_CONV2D,
    TF_CONV2D_TRANSPOSE, TF_CONVERT, TF_COPY, TF_CUMSUM, TF_DEQUANTIZE, TF_GATHER, TF_GATHER_ND,
    TF_HARDMAX, TF_LOGISTIC, TF_LUT1D, TF_MATMUL, TF_ONEHOT, TF_PAD, TF_QUANTIZE,
    TF_RANDOM_NORMAL, TF_RANDOM_UNIFORM, TF_REDUCE, TF_REDUCE_ARG, TF_REDUCE_PROD,
    TF_REDUCE_WINDOW2D, TF_RESIZE_IMAGE, TF_SLICE, TF_SOFTMAX, TF_SPACE_TO_BATCH, TF_TAKE,
    TF_TERNARY, TF_TRANSPOSE, TF_UNARY};
static const uint16_t gen_v12[] = {
    TF_BATCH_TO_SPACE, TF_BINARY, TF_BROADCAST, TF_CALL, TF_CLAMP, TF_CONV2D,
    TF_CONV2D_TRANSPOSE, TF_CONVERT, TF_COPY, TF_CUMSUM, TF_DEQUANTIZE, TF_GATHER, TF_GATHER_ND,
    TF_HARDMAX, TF_LOGISTIC, TF_LUT1D, TF_MATMUL, TF_ONEHOT, TF_PAD, TF_QUANTIZE,
    TF_RANDOM_NORMAL, TF_RANDOM_UNIFORM, TF_REDUCE, TF_REDUCE_ARG, TF_REDUCE_PROD,
    TF_REDUCE_WINDOW2D, TF_RESIZE_IMAGE, TF_ROI_ALIGN, TF_SIGMOID, TF_SLICE, TF_SOFTMAX,
    TF_SPACE_TO_BATCH, TF_TAKE, TF_TERNARY, TF_TOPK, TF_TRANSPOSE, TF_TRILU, TF_UNARY};
static const uint16_t gen_v13[] = {
    TF_BATCH_TO_SPACE, TF_BINARY, TF_BROADCAST, TF_CALL, TF_CLAMP, TF_CONV2D,
    TF_CONV2D_TRANSPOSE, TF_CONVERT, TF_COPY, TF_CUMSUM, TF_DEQUANTIZE, TF_EQUAL, TF_GATHER,
    TF_GATHER_ND, TF_HARDMAX, TF_LOGISTIC, TF_LUT1D, TF_MATMUL, TF_ONEHOT, TF_PAD,
    TF_QUANTIZE, TF_RANDOM_NORMAL, TF_RANDOM_UNIFORM, TF_REDUCE, TF_REDUCE_ARG,
    TF_REDUCE_PROD, TF_REDUCE_WINDOW2D, TF_RESIZE_IMAGE, TF_ROI_ALIGN, TF_SIGMOID, TF_SLICE,
    TF_SOFTMAX, TF_SPACE_TO_BATCH, TF_TAKE, TF_TERNARY, TF_TOPK, TF_TRANSPOSE, TF_TRILU,
    TF_UNARY};

/* Functions with a number but no operand reader in a generation ("*" in the E1 table). */
static int gen_illegal(sv_gen_t gen, uint32_t tf)
{
    if (tf == TF_CLAMP || tf == TF_CONV2D_TRANSPOSE || tf == TF_LOGISTIC || tf == TF_TAKE ||
        tf == TF_EQUAL || tf == TF_REDUCEARG_OLD)
        return 1;
    if (gen == SV_GEN_V16)
        return 0;
    if (tf == TF_SPACE_TO_BATCH)
        return 1;
    if (tf == TF_SOFTMAX)
        return 1;
    if (tf == TF_MATMUL && gen != SV_GEN_V13 && gen != SV_GEN_V14)
        return 1;
    return 0;
}

const char *sv_gen_name(sv_gen_t gen)
{
    switch (gen) {
    case SV_GEN_V16: return "nncase v1.6-v1.9";
    case SV_GEN_BETA: return "nncase v1.0.0-beta1..rc1 (Kendryte SDK)";
    case SV_GEN_V10: return "nncase v1.0.0";
    case SV_GEN_V11: return "nncase v1.1.0";
    case SV_GEN_V12: return "nncase v1.2.0";
    case SV_GEN_V13: return "nncase v1.3.0";
    case SV_GEN_V14: return "nncase v1.4.0/v1.5.0";
    default: return "unknown nncase";
    }
}

static uint32_t map_function(sv_gen_t gen, uint32_t code)
{
    const uint16_t *t = NULL;
    size_t n = 0;
    switch (gen) {
    case SV_GEN_V16: return code < TF_COUNT ? code : TF_UNKNOWN;
    case SV_GEN_BETA: t = gen_beta; n = sizeof gen_beta / sizeof *gen_beta; break;
    case SV_GEN_V10: t = gen_v10; n = sizeof gen_v10 / sizeof *gen_v10; break;
    case SV_GEN_V11: t = gen_v11; n = sizeof gen_v11 / sizeof *gen_v11; break;
    case SV_GEN_V12: t = gen_v12; n = sizeof gen_v12 / sizeof *gen_v12; break;
    default: t = gen_v13; n = sizeof gen_v13 / sizeof *gen_v13; break;
    }
    return code < n ? t[code] : TF_UNKNOWN;
}

static const char *format_of(sv_gen_t gen, uint32_t tf)
{
    int old_ops = gen == SV_GEN_BETA || gen == SV_GEN_V10 || gen == SV_GEN_V11 ||
                  gen == SV_GEN_V12 || gen == SV_GEN_V13;
    if (tf == TF_BINARY && old_ops)
        return "dsssssbff"; /* no rshape_dest before v1.4.0 */
    if (tf == TF_MATMUL && old_ops)
        return "ssff";
    if (tf == TF_GRU && gen != SV_GEN_V16)
        return NULL;
    return tf < TF_COUNT ? tf_format[tf] : NULL;
}

static int64_t rd_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

static float rd_f32(const uint8_t *p)
{
    uint32_t u = (uint32_t)rd_le(p, 4);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Operand bytes of the scalar opcodes (-1: not an instruction). */
static int scalar_operands(uint8_t op)
{
    switch (op) {
    case SV_LDC_I4: case SV_LDC_R4: case SV_LDARG: case SV_BR: case SV_BR_TRUE:
    case SV_BR_FALSE:
        return 4;
    case SV_LEA_GP: return 5;
    case SV_LEA_BUFFER: return 6;
    case SV_STSHAPE: case SV_STPADDINGS: return 2;
    case SV_CALL: return 5;
    case SV_ECALL: return 1;
    case SV_TENSOR: return 2;
    default: return op <= SV_TENSOR ? 0 : -1;
    }
}

static kpu_status_t truncated(kpu_diag_t *diag, uint32_t pc, uint8_t op)
{
    return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                        "stackvm: instruction 0x%02x at offset %lu runs past the end of the code",
                        (unsigned)op, (unsigned long)pc);
}

kpu_status_t sv_decode(const uint8_t *code, uint32_t len, uint32_t pc, sv_gen_t gen,
                       sv_insn_t *insn, kpu_diag_t *diag)
{
    memset(insn, 0, sizeof *insn);
    if (pc >= len)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "stackvm: pc %lu outside the code",
                            (unsigned long)pc);
    uint8_t op = code[pc];
    int n = scalar_operands(op);
    insn->op = op;
    if (n < 0)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "stackvm: illegal opcode 0x%02x at offset %lu", (unsigned)op,
                            (unsigned long)pc);
    if ((uint64_t)pc + 1 + (uint32_t)n > len)
        return truncated(diag, pc, op);
    const uint8_t *p = code + pc + 1;
    insn->size = 1 + (uint32_t)n;
    switch (op) {
    case SV_LDC_I4: case SV_BR: case SV_BR_TRUE: case SV_BR_FALSE: case SV_LDARG:
        insn->imm = (int32_t)(uint32_t)rd_le(p, 4);
        break;
    case SV_LDC_R4: insn->fimm = rd_f32(p); break;
    case SV_LEA_GP: insn->b0 = p[0]; insn->imm = (int32_t)(uint32_t)rd_le(p + 1, 4); break;
    case SV_LEA_BUFFER:
        insn->b0 = p[0];
        insn->b1 = p[1];
        insn->imm = (int64_t)(uint32_t)rd_le(p + 2, 4);
        break;
    case SV_STSHAPE: case SV_STPADDINGS: insn->b0 = p[0]; insn->b1 = p[1]; break;
    case SV_CALL: insn->b0 = p[0]; insn->imm = (int32_t)(uint32_t)rd_le(p + 1, 4); break;
    case SV_ECALL: insn->b0 = p[0]; break;
    default: break;
    }
    if (op != SV_TENSOR)
        return KPU_OK;
    uint32_t code_tf = (uint32_t)rd_le(p, 2);
    uint32_t tf = map_function(gen, code_tf);
    insn->tf = tf;
    const char *fmt = tf == TF_UNKNOWN || gen_illegal(gen, tf) ? NULL : format_of(gen, tf);
    if (!fmt)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "stackvm: tensor function 0x%02lx (%s) at offset %lu is illegal in "
                            "%s", (unsigned long)code_tf, sv_tensor_name(tf),
                            (unsigned long)pc, sv_gen_name(gen));
    uint32_t at = pc + 3;
    for (const char *f = fmt; *f; f++) {
        unsigned w = (*f == 'h') ? 2 : (*f == 'i' || *f == 'u' || *f == 'f') ? 4
                                       : (*f == 'l') ? 8 : 1;
        if ((uint64_t)at + w > len)
            return truncated(diag, pc, op);
        int64_t v = rd_le(code + at, w);
        if (*f == 'i')
            v = (int32_t)(uint32_t)v;
        insn->v[insn->nfields] = v;
        if (*f == 'f')
            insn->f[insn->nfields] = rd_f32(code + at);
        insn->nfields++;
        at += w;
    }
    insn->size = at - pc;
    return KPU_OK;
}

/* The kinds of the fields of a decoded tensor instruction (for the dry run). */
const char *sv_tensor_format(const sv_insn_t *insn, sv_gen_t gen)
{
    return format_of(gen, insn->tf);
}

int sv_tensor_pops(const sv_insn_t *insn, sv_gen_t gen)
{
    int pairs = gen == SV_GEN_BETA || gen == SV_GEN_V10; /* 2-int paddings before v1.1 */
    switch (insn->tf) {
    case TF_CALL: return 4 * ((int)insn->v[2] + (int)insn->v[3]);
    case TF_BINARY: case TF_COMPARE: case TF_GATHER: case TF_GATHER_ND: case TF_PAD:
    case TF_REDUCE: case TF_TOPK: case TF_COMPRESS: case TF_GATHER_ELEMENTS:
        return 3;
    case TF_CONV2D: return pairs ? 8 : 10;
    case TF_REDUCE_WINDOW2D: return pairs ? 7 : 9;
    case TF_DEQUANTIZE: case TF_QUANTIZE: case TF_RESIZE_IMAGE: case TF_MATMUL:
    case TF_ROI_ALIGN: case TF_TERNARY: case TF_LAYER_NORMALIZATION:
        return 4;
    case TF_LUT1D: case TF_ONEHOT: return 5;
    case TF_RANDOM_NORMAL: case TF_RANDOM_UNIFORM: return 1;
    case TF_GRU: case TF_TFLITE_DETECTION_POSTPROCESS: return 7;
    default: return 2;
    }
}
