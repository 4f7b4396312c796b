/* kmodel V4 node bodies: the bounded body reader, the memory-range rules every operand must
 * meet, and the opcode table that sends each node to its decoder and kernel (spec A1-A2). */
#include "v4_internal.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct v4_op_entry {
    uint32_t opcode;
    const char *name;
    const char *type_name;
    v4_decode_fn decode;
    v4_run_fn run;
} v4_op_entry_t;

static const v4_op_entry_t ops[] = {
    {V4_OP_BINARY, "binary", "V4_BINARY", v4_dec_binary, v4_run_binary},
    {V4_OP_CONCAT, "concat", "V4_CONCAT", v4_dec_concat, v4_run_concat},
    {V4_OP_CONV2D, "conv2d", "V4_CONV2D", v4_dec_conv2d, v4_run_conv2d},
    {V4_OP_DEQUANTIZE, "dequantize", "V4_DEQUANTIZE", v4_dec_dequantize, v4_run_dequantize},
    {V4_OP_MATMUL, "matmul", "V4_MATMUL", v4_dec_matmul, v4_run_matmul},
    {V4_OP_PAD, "pad", "V4_PAD", v4_dec_pad, v4_run_pad},
    {V4_OP_QUANTIZE, "quantize", "V4_QUANTIZE", v4_dec_quantize, v4_run_quantize},
    {V4_OP_REDUCE, "reduce", "V4_REDUCE", v4_dec_reduce, v4_run_reduce},
    {V4_OP_REDUCE_WINDOW2D, "reduce_window2d", "V4_REDUCE_WINDOW2D", v4_dec_reduce_window2d,
     v4_run_reduce_window2d},
    {V4_OP_MEMORY_COPY, "memory_copy", "V4_MEMORY_COPY", v4_dec_memory_copy,
     v4_run_memory_copy},
    {V4_OP_RESIZE_IMAGE, "resize_image", "V4_RESIZE_IMAGE", v4_dec_resize_image,
     v4_run_resize_image},
    {V4_OP_SOFTMAX, "softmax", "V4_SOFTMAX", v4_dec_softmax, v4_run_softmax},
    {V4_OP_TRANSPOSE, "transpose", "V4_TRANSPOSE", v4_dec_transpose, v4_run_transpose},
    {V4_OP_STRIDED_SLICE, "strided_slice", "V4_STRIDED_SLICE", v4_dec_strided_slice,
     v4_run_strided_slice},
    {V4_OP_UNARY, "unary", "V4_UNARY", v4_dec_unary, v4_run_unary},
    {V4_OP_QUANTIZED_CONV2D, "quantized_conv2d", "V4_QUANTIZED_CONV2D",
     v4_dec_quantized_conv2d, v4_run_quantized_conv2d},
    {V4_OP_QUANTIZED_MATMUL, "quantized_matmul", "V4_QUANTIZED_MATMUL",
     v4_dec_quantized_matmul, v4_run_quantized_matmul},
    {V4_OP_QUANTIZED_BINARY, "quantized_binary", "V4_QUANTIZED_BINARY",
     v4_dec_quantized_binary, v4_run_quantized_binary},
    {V4_OP_TABLE_LOOKUP1D, "table_lookup1d", "V4_TABLE_LOOKUP1D", v4_dec_table_lookup1d,
     v4_run_table_lookup1d},
    {V4_OP_CONV2D_TRANSPOSE, "conv2d_transpose", "V4_CONV2D_TRANSPOSE",
     v4_dec_conv2d_transpose, v4_run_conv2d_transpose},
    {V4_OP_NNIL_UNARY_METHOD, "nnil_unary_method", "V4_NNIL_UNARY_METHOD", v4_dec_nnil,
     v4_run_nnil},
    {V4_OP_CPU_CONV2D, "cpu_conv2d", "V4_CPU_CONV2D", v4_dec_cpu_conv2d, v4_run_cpu_conv2d},
    {V4_OP_CPU_DEPTHWISE_CONV2D, "cpu_depthwise_conv2d", "V4_CPU_DEPTHWISE_CONV2D",
     v4_dec_cpu_conv2d, v4_run_cpu_conv2d},
    {V4_OP_CPU_REDUCE_WINDOW2D, "cpu_reduce_window2d", "V4_CPU_REDUCE_WINDOW2D",
     v4_dec_reduce_window2d, v4_run_reduce_window2d},
    {V4_OP_CPU_QUANTIZED_CONV2D, "cpu_quantized_conv2d", "V4_CPU_QUANTIZED_CONV2D",
     v4_dec_cpu_quantized_conv2d, v4_run_cpu_quantized_conv2d},
    {V4_OP_CPU_QUANTIZED_DEPTHWISE_CONV2D, "cpu_quantized_depthwise_conv2d",
     "V4_CPU_QUANTIZED_DEPTHWISE_CONV2D", v4_dec_cpu_quantized_conv2d,
     v4_run_cpu_quantized_conv2d},
    {V4_OP_KPU_UPLOAD, "kpu_upload", "V4_KPU_UPLOAD", v4_dec_kpu_upload, v4_run_kpu_upload},
    {V4_OP_KPU_CONV2D, "kpu_conv2d", "K210_CONV", v4_dec_kpu_conv2d, v4_run_kpu_conv2d},
};

static const v4_op_entry_t *find_op(uint32_t opcode)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].opcode == opcode)
            return &ops[i];
    return NULL;
}

const char *kpu_v4_op_name(uint32_t opcode)
{
    const v4_op_entry_t *e = find_op(opcode);
    return e ? e->name : NULL;
}

const char *kpu_v4_layer_type_name(uint32_t type)
{
    if (type < KPU_V4_NODE_TYPE_BASE || type == KPU_V4_NODE_TYPE_BASE + V4_OP_KPU_CONV2D)
        return NULL;
    const v4_op_entry_t *e = find_op(type - KPU_V4_NODE_TYPE_BASE);
    return e ? e->type_name : NULL;
}

/* ---- reader ------------------------------------------------------------------------------ */

const uint8_t *v4_bytes(v4_rd_t *r, uint64_t n)
{
    if (r->short_read || n > (uint64_t)(r->size - r->pos)) {
        r->short_read = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += (uint32_t)n;
    return p;
}

void v4_skip(v4_rd_t *r, uint64_t n) { (void)v4_bytes(r, n); }

uint32_t v4_u32(v4_rd_t *r)
{
    const uint8_t *p = v4_bytes(r, 4);
    return p ? kpu_rd32(p, 0) : 0;
}

int32_t v4_i32(v4_rd_t *r) { return (int32_t)v4_u32(r); }

float v4_f32(v4_rd_t *r)
{
    uint32_t u = v4_u32(r);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void v4_shape(v4_rd_t *r, v4_shape_t *s)
{
    for (int i = 0; i < 4; i++)
        s->d[i] = v4_i32(r);
}

kpu_status_t v4_fail(v4_ctx_t *c, kpu_status_t st, const char *fmt, ...)
{
    char text[KPU_DIAG_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return kpu_diag_set(c->diag, st, c->node, "node %ld: %s", (long)c->node, text);
}

static const char *space_name(uint32_t t)
{
    return t == V4_MEM_CONST ? "constants" : t == V4_MEM_MAIN ? "main memory" : "KPU RAM";
}

kpu_status_t v4_range(v4_ctx_t *c, v4_rd_t *r, v4_range_t *out, const char *what)
{
    out->type = v4_u32(r);
    out->dtype = v4_u32(r);
    out->start = v4_u32(r);
    out->size = v4_u32(r);
    if (r->short_read)
        return v4_fail(c, KPU_ERR_TRUNCATED, "body ends inside the %s range", what);
    if (out->type > V4_MEM_KPU)
        return v4_fail(c, KPU_ERR_FORMAT, "%s range has memory type %lu (0..2)", what,
                       (unsigned long)out->type);
    if (out->dtype > V4_DT_U8)
        return v4_fail(c, KPU_ERR_FORMAT, "%s range has datatype %lu (0 float32, 1 uint8)",
                       what, (unsigned long)out->dtype);
    uint64_t limit = out->type == V4_MEM_CONST ? c->const_size
                     : out->type == V4_MEM_MAIN ? c->main_size : KPU_RAM_BYTES;
    if ((uint64_t)out->start + out->size > limit)
        return v4_fail(c, KPU_ERR_BOUNDS, "%s range %lu+%lu lies outside %s (%llu bytes)", what,
                       (unsigned long)out->start, (unsigned long)out->size,
                       space_name(out->type), (unsigned long long)limit);
    return KPU_OK;
}

/* ---- operand rules -------------------------------------------------------------------------- */

uint64_t v4_mul(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

uint64_t v4_shape_count(const v4_shape_t *s)
{
    uint64_t n = 1;
    for (int i = 0; i < 4; i++) {
        if (s->d[i] < 0)
            return UINT64_MAX;
        n = v4_mul(n, (uint64_t)s->d[i]);
    }
    return n;
}

uint32_t v4_elem_size(uint32_t dtype) { return dtype == V4_DT_F32 ? 4u : 1u; }

kpu_status_t v4_need_shape(v4_ctx_t *c, const v4_shape_t *s, const char *what)
{
    for (int i = 0; i < 4; i++)
        if (s->d[i] < 0)
            return v4_fail(c, KPU_ERR_FORMAT, "%s has a negative dimension (%ld)", what,
                           (long)s->d[i]);
    return KPU_OK;
}

static kpu_status_t need(v4_ctx_t *c, const v4_range_t *r, int write, int dtype, uint64_t bytes,
                         const char *what)
{
    if (r->type == V4_MEM_KPU)
        return v4_fail(c, KPU_ERR_NOT_IMPLEMENTED, "%s is in KPU RAM: only the K210 nodes "
                       "access it", what);
    if (write && r->type != V4_MEM_MAIN)
        return v4_fail(c, KPU_ERR_FORMAT, "%s must be in main memory (it is written)", what);
    if (dtype >= 0 && r->dtype != (uint32_t)dtype)
        return v4_fail(c, KPU_ERR_FORMAT, "%s must be %s", what,
                       dtype == V4_DT_F32 ? "float32" : "uint8");
    if (bytes > r->size)
        return v4_fail(c, KPU_ERR_BOUNDS, "%s needs %llu bytes, its range has %lu", what,
                       (unsigned long long)bytes, (unsigned long)r->size);
    return KPU_OK;
}

kpu_status_t v4_need_read(v4_ctx_t *c, const v4_range_t *r, int dtype, uint64_t bytes,
                          const char *what)
{
    return need(c, r, 0, dtype, bytes, what);
}

kpu_status_t v4_need_write(v4_ctx_t *c, const v4_range_t *r, int dtype, uint64_t bytes,
                           const char *what)
{
    return need(c, r, 1, dtype, bytes, what);
}

int64_t v4_window_out(int64_t in, int32_t before, int32_t after, int32_t k, int32_t dil,
                      int32_t stride)
{
    if (k < 1 || dil < 1 || stride < 1)
        return -1;
    int64_t span = ((int64_t)k - 1) * dil + 1;
    int64_t v = in + before + after - span + stride;
    if (v < stride) /* fewer than one output */
        return -1;
    return v / stride;
}

/* ---- fields and checks shared by node families ----------------------------------------------- */

kpu_status_t v4_range_in_out(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st = v4_range(c, r, &n->in, "input");
    return st != KPU_OK ? st : v4_range(c, r, &n->out, "output");
}

kpu_status_t v4_range_ab_out(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range(c, r, &n->in, "input a")) != KPU_OK ||
        (st = v4_range(c, r, &n->in_b, "input b")) != KPU_OK)
        return st;
    return v4_range(c, r, &n->out, "output");
}

void v4_read_window(v4_rd_t *r, v4_node_t *n)
{
    n->pad_h[0] = v4_i32(r);
    n->pad_h[1] = v4_i32(r);
    n->pad_w[0] = v4_i32(r);
    n->pad_w[1] = v4_i32(r);
    n->filter_h = v4_i32(r);
    n->filter_w = v4_i32(r);
    n->stride_h = v4_i32(r);
    n->stride_w = v4_i32(r);
    n->dil_h = v4_i32(r);
    n->dil_w = v4_i32(r);
}

void v4_read_act(v4_rd_t *r, v4_node_t *n)
{
    n->act_min = v4_f32(r);
    n->act_max = v4_f32(r);
}

kpu_status_t v4_window_hw(v4_ctx_t *c, const v4_node_t *n, int32_t in_h, int32_t in_w,
                          int32_t *oh, int32_t *ow)
{
    int64_t h = v4_window_out(in_h, n->pad_h[0], n->pad_h[1], n->filter_h, n->dil_h,
                              n->stride_h);
    int64_t w = v4_window_out(in_w, n->pad_w[0], n->pad_w[1], n->filter_w, n->dil_w,
                              n->stride_w);
    if (h < 1 || w < 1 || h > INT32_MAX || w > INT32_MAX)
        return v4_fail(c, KPU_ERR_FORMAT, "window %ldx%ld stride %ldx%ld dilation %ldx%ld over "
                       "%ldx%ld gives no output", (long)n->filter_h, (long)n->filter_w,
                       (long)n->stride_h, (long)n->stride_w, (long)n->dil_h, (long)n->dil_w,
                       (long)in_h, (long)in_w);
    *oh = (int32_t)h;
    *ow = (int32_t)w;
    return KPU_OK;
}

kpu_status_t v4_need_io(v4_ctx_t *c, const v4_node_t *n, uint64_t in_count, uint64_t out_count,
                        uint32_t elem_size)
{
    kpu_status_t st = v4_need_read(c, &n->in, -1, v4_mul(in_count, elem_size), "input");
    return st != KPU_OK ? st
                        : v4_need_write(c, &n->out, -1, v4_mul(out_count, elem_size), "output");
}

/* ---- dispatch ---------------------------------------------------------------------------- */

kpu_status_t v4_node_decode(v4_ctx_t *c, uint32_t opcode, const uint8_t *body, uint32_t avail,
                            v4_node_t *n)
{
    memset(n, 0, sizeof *n);
    n->opcode = opcode;
    const v4_op_entry_t *e = find_op(opcode);
    if (!e)
        return kpu_diag_set(c->diag, KPU_ERR_LAYER_TYPE, c->node,
                            "node %ld: unknown V4 opcode 0x%lx", (long)c->node,
                            (unsigned long)opcode);
    v4_rd_t r = {body, avail, 0, 0};
    kpu_status_t st = e->decode(c, &r, n);
    if (st == KPU_OK && r.short_read)
        st = v4_fail(c, KPU_ERR_TRUNCATED, "%s body has %lu bytes, too few for its fields",
                     e->name, (unsigned long)avail);
    return st;
}

kpu_status_t v4_node_run(v4_ctx_t *c, const v4_node_t *n)
{
    const v4_op_entry_t *e = find_op(n->opcode);
    return e ? e->run(c, n) : v4_fail(c, KPU_ERR_LAYER_TYPE, "unknown opcode");
}
