/* Internals of the kmodel V4 runtime (spec kmodel-v4-v5.md Part A): the parsed tables, one
 * decoded node, the context the node kernels run in, and the per-family decode/run entry
 * points. Every node is decoded and checked at load (a dry run with no memory) and decoded
 * again before it runs, so the kernels never see an unchecked field. */
#ifndef V4_INTERNAL_H
#define V4_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kmodel_internal.h"
#include "kmodel_v4.h"

#define V4_HEADER_BYTES 40u
#define V4_RANGE_BYTES 16u
#define V4_MAX_MAIN (64u * 1024u * 1024u) /* refuse absurd main memory sizes (K210: 6 MiB) */
#define V4_CONV_TIMEOUT_MS 5000u
#define V4_MAX_WINDOW_TAPS 65536u /* reduce_window2d: filter_h x filter_w */
/* kpu_conv2d: main_mem_output, batches, reserved and the layer argument precede the tables.
 * In a load_flash image (kpu_flash_stream_v4.c) the body is that head plus the file offset
 * and size of the original body, whose tables are read from flash when the node runs. */
#define V4_CONV_HEAD_BYTES 120u
#define V4_CONV_STREAM_BODY 128u

enum { V4_MEM_CONST = 0, V4_MEM_MAIN = 1, V4_MEM_KPU = 2 };
enum { V4_DT_F32 = 0, V4_DT_U8 = 1 };

enum {
    V4_OP_BINARY = 0x00, V4_OP_CONCAT = 0x01, V4_OP_CONV2D = 0x02, V4_OP_DEQUANTIZE = 0x03,
    V4_OP_MATMUL = 0x04, V4_OP_PAD = 0x05, V4_OP_QUANTIZE = 0x06, V4_OP_REDUCE = 0x07,
    V4_OP_REDUCE_WINDOW2D = 0x08, V4_OP_MEMORY_COPY = 0x09, V4_OP_RESIZE_IMAGE = 0x0A,
    V4_OP_SOFTMAX = 0x0B, V4_OP_TRANSPOSE = 0x0C, V4_OP_STRIDED_SLICE = 0x0D,
    V4_OP_UNARY = 0x0E, V4_OP_QUANTIZED_CONV2D = 0x0F, V4_OP_QUANTIZED_MATMUL = 0x10,
    V4_OP_QUANTIZED_BINARY = 0x11, V4_OP_TABLE_LOOKUP1D = 0x12, V4_OP_CONV2D_TRANSPOSE = 0x13,
    V4_OP_NNIL_UNARY_METHOD = 0x14,
    V4_OP_CPU_CONV2D = 0x1001, V4_OP_CPU_DEPTHWISE_CONV2D = 0x1002,
    V4_OP_CPU_REDUCE_WINDOW2D = 0x1003, V4_OP_CPU_QUANTIZED_CONV2D = 0x1004,
    V4_OP_CPU_QUANTIZED_DEPTHWISE_CONV2D = 0x1005,
    V4_OP_KPU_UPLOAD = 0x2001, V4_OP_KPU_CONV2D = 0x2002,
};

typedef struct v4_range {
    uint32_t type, dtype, start, size;
} v4_range_t;

typedef struct v4_shape {
    int32_t d[4]; /* N,C,H,W (N,H,W,C for the cpu nodes) */
} v4_shape_t;

/* The tables of a file: offsets only, no allocation. */
typedef struct v4_view {
    const uint8_t *file;
    size_t size;
    uint32_t target, constants, main_mem, nodes, inputs, outputs;
    uint64_t inputs_off, shapes_off, outputs_off, const_off, headers_off, bodies_off;
    int streamed;      /* a load_flash image: kpu_conv2d bodies are V4_CONV_STREAM_BODY */
} v4_view_t;

typedef struct v4_node_loc {
    uint32_t opcode, body_size;
    uint64_t offset;   /* body start in the file */
    uint32_t avail;    /* bytes of the body present (the last one may lack its padding) */
} v4_node_loc_t;

typedef struct v4_state {
    v4_view_t view;
    v4_node_loc_t *nodes;
} v4_state_t;

/* Bounded little-endian reader over one node body. */
typedef struct v4_rd {
    const uint8_t *p;
    uint32_t size, pos;
    int short_read;  /* a read went past the body */
} v4_rd_t;

/* One decoded node; which fields mean something depends on the opcode. */
typedef struct v4_node {
    uint32_t opcode;
    v4_range_t in, in_b, out;  /* in_b: second operand, or the table of table_lookup1d */
    v4_shape_t in_shape, b_shape, out_shape;
    uint32_t op;               /* binary_op, reduce_op, unary_op, resize mode */
    int32_t groups, out_channels;
    int32_t pad_h[2], pad_w[2];
    int32_t filter_h, filter_w, stride_h, stride_w, dil_h, dil_w;
    float act_min, act_max;
    float init_value, beta, scale;
    int32_t zero_point;
    int32_t q[9];              /* quantized offsets, multipliers, shifts (order of the body) */
    int32_t rows, cols, bcols; /* matmul */
    int32_t inner, outer, count;
    int32_t paddings[4][2];
    uint8_t pad_value[4];
    int32_t begin[4], end[4], strides[4], perm[4];
    int32_t out_h, out_w;
    int align_corners;
    const uint8_t *weights, *bias;  /* inside the body */
    const uint8_t *list;            /* concat: input ranges then dims */
    const uint8_t *code;            /* nnil byte code */
    uint32_t code_size;
    /* kpu_conv2d */
    int32_t batches;
    const uint8_t *arg, *bn, *act, *kw;  /* tables: NULL in a load_flash image */
    size_t kw_size, bn_size;
    uint32_t bn_off, act_off, kw_off;    /* load_flash: the tables' offsets in the file */
} v4_node_t;

/* Memory the kernels run on. During validation main is NULL and nothing runs. */
typedef struct v4_ctx {
    const uint8_t *consts;
    uint32_t const_size;
    uint8_t *main;
    uint32_t main_size;
    const kpu_backend_t *backend;
    kpu_diag_t *diag;
    int32_t node;
    int streamed;                       /* decoding a load_flash image */
    const kpu_conv_stream_t *stream;    /* its table reader (run time) */
} v4_ctx_t;

/* ---- v4_nodes.c: body reading, range checks, the opcode table ---------------------------- */
uint32_t v4_u32(v4_rd_t *r);
int32_t v4_i32(v4_rd_t *r);
float v4_f32(v4_rd_t *r);
/* Reads a memory_range and checks it lies inside its space (const, main or KPU RAM). */
kpu_status_t v4_range(v4_ctx_t *c, v4_rd_t *r, v4_range_t *out, const char *what);
void v4_shape(v4_rd_t *r, v4_shape_t *s);
/* Points at n bytes of the body (NULL and short_read when they are not there). */
const uint8_t *v4_bytes(v4_rd_t *r, uint64_t n);
void v4_skip(v4_rd_t *r, uint64_t n);

/* Element count of a shape; UINT64_MAX when a dimension is negative. */
uint64_t v4_shape_count(const v4_shape_t *s);
uint64_t v4_mul(uint64_t a, uint64_t b);   /* saturating */
uint32_t v4_elem_size(uint32_t dtype);     /* 4 or 1 */

/* Access rules of one operand: readable (const or main) or writable (main), of the datatype
 * (or any when dtype < 0), holding at least `bytes`. */
kpu_status_t v4_need_read(v4_ctx_t *c, const v4_range_t *r, int dtype, uint64_t bytes,
                          const char *what);
kpu_status_t v4_need_write(v4_ctx_t *c, const v4_range_t *r, int dtype, uint64_t bytes,
                           const char *what);
kpu_status_t v4_fail(v4_ctx_t *c, kpu_status_t st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Refuses a shape with a negative dimension. */
kpu_status_t v4_need_shape(v4_ctx_t *c, const v4_shape_t *s, const char *what);
/* Output size of a convolution / window axis, or -1 when it is not positive or overflows. */
int64_t v4_window_out(int64_t in, int32_t before, int32_t after, int32_t k, int32_t dil,
                      int32_t stride);

/* Fields and checks several node families share. */
kpu_status_t v4_range_in_out(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);  /* input, output */
kpu_status_t v4_range_ab_out(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);  /* input a, b, output */
/* padding_h, padding_w, filter, stride and dilation (h then w each): ten int32. */
void v4_read_window(v4_rd_t *r, v4_node_t *n);
void v4_read_act(v4_rd_t *r, v4_node_t *n);  /* fused activation: act_min, act_max */
/* Output height and width of the node's window over in_h x in_w; refused when empty. */
kpu_status_t v4_window_hw(v4_ctx_t *c, const v4_node_t *n, int32_t in_h, int32_t in_w,
                          int32_t *oh, int32_t *ow);
/* n->in readable for in_count elements and n->out writable for out_count, of elem_size. */
kpu_status_t v4_need_io(v4_ctx_t *c, const v4_node_t *n, uint64_t in_count, uint64_t out_count,
                        uint32_t elem_size);
/* The float element functions of unary (op 0..9) and binary (op 0..5), also used by NNIL. */
float v4_unary_f32(uint32_t op, float x);
float v4_binary_f32(uint32_t op, float a, float b);

/* Offset of a 4-D index in a tensor of shape s with V4 broadcasting: an index component at
 * or past a dimension is 0 (size-1 dimensions repeat). */
uint64_t v4_bcast_offset(const v4_shape_t *s, const int32_t idx[4]);
/* A broadcast operand: every dimension at least 1 when the output has elements. */
kpu_status_t v4_need_bcast(v4_ctx_t *c, const v4_shape_t *s, uint64_t out_count,
                           const char *what);
/* The operands of a (quantized) binary node, of elem_size bytes: equal shapes run flat,
 * others broadcast to out_shape. */
kpu_status_t v4_need_binary(v4_ctx_t *c, const v4_node_t *n, uint32_t elem_size);

/* Steps idx to the next index of s in row-major order (last axis fastest); 0 after the last.
 * A walk starts at {0, 0, 0, 0}, so only over a shape that has elements. */
static inline int v4_next_index(const v4_shape_t *s, int32_t idx[4])
{
    for (int i = 3; i >= 0; i--) {
        if (++idx[i] < s->d[i])
            return 1;
        idx[i] = 0;
    }
    return 0;
}

/* Pointers of checked operands (run time only). */
static inline const uint8_t *v4_src(const v4_ctx_t *c, const v4_range_t *r)
{
    return (r->type == V4_MEM_CONST ? c->consts : c->main) + r->start;
}
static inline uint8_t *v4_dst(const v4_ctx_t *c, const v4_range_t *r)
{
    return c->main + r->start;
}
static inline float v4_ldf(const uint8_t *p, uint64_t i)
{
    float f;
    memcpy(&f, p + 4u * i, 4);
    return f;
}
static inline void v4_stf(uint8_t *p, uint64_t i, float v) { memcpy(p + 4u * i, &v, 4); }
static inline int32_t v4_ldi(const uint8_t *p, uint64_t i)
{
    return (int32_t)kpu_rd32(p + 4u * i, 0);
}
/* (int)v as the x86 host runtime converts: outside int32 (and NaN) gives INT32_MIN. */
static inline int32_t v4_to_int(float v)
{
    if (!(v >= -2147483648.0f && v < 2147483648.0f))
        return INT32_MIN;
    return (int32_t)v;
}
/* The fused activation: clamp with std::max then std::min semantics (NaN passes). */
static inline float v4_clamp(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return hi < v ? hi : v;
}

/* Decodes (and checks) the body of a node; then runs it when c->main is set. */
kpu_status_t v4_node_decode(v4_ctx_t *c, uint32_t opcode, const uint8_t *body, uint32_t avail,
                            v4_node_t *n);
kpu_status_t v4_node_run(v4_ctx_t *c, const v4_node_t *n);

/* ---- one decode + one run function per node family ---------------------------------------- */
typedef kpu_status_t (*v4_decode_fn)(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
typedef kpu_status_t (*v4_run_fn)(v4_ctx_t *c, const v4_node_t *n);

/* v4_ops_neutral.c */
kpu_status_t v4_dec_binary(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_binary(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_concat(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_concat(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_dequantize(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_dequantize(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_quantize(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_quantize(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_matmul(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_matmul(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_memory_copy(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_memory_copy(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_softmax(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_softmax(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_unary(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_unary(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_table_lookup1d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_table_lookup1d(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_reduce(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_reduce(v4_ctx_t *c, const v4_node_t *n);

/* v4_ops_layout.c */
kpu_status_t v4_dec_pad(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_pad(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_transpose(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_transpose(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_strided_slice(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_strided_slice(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_resize_image(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_resize_image(v4_ctx_t *c, const v4_node_t *n);

/* v4_ops_conv.c (float convolutions and windows, NCHW and the NHWC cpu nodes) */
kpu_status_t v4_dec_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_conv2d(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_conv2d_transpose(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_conv2d_transpose(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_reduce_window2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_reduce_window2d(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_cpu_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_cpu_conv2d(v4_ctx_t *c, const v4_node_t *n);

/* v4_ops_quant.c */
kpu_status_t v4_dec_quantized_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_quantized_conv2d(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_quantized_matmul(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_quantized_matmul(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_quantized_binary(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_quantized_binary(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_cpu_quantized_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_cpu_quantized_conv2d(v4_ctx_t *c, const v4_node_t *n);

/* v4_nnil.c */
kpu_status_t v4_dec_nnil(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_nnil(v4_ctx_t *c, const v4_node_t *n);

/* v4_k210.c */
kpu_status_t v4_dec_kpu_upload(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_kpu_upload(v4_ctx_t *c, const v4_node_t *n);
kpu_status_t v4_dec_kpu_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n);
kpu_status_t v4_run_kpu_conv2d(v4_ctx_t *c, const v4_node_t *n);
/* Writes a dense NCHW uint8 tensor into KPU RAM at byte offset `start` (the KPU layout of
 * spec V3 section 5, batches one map apart), as kpu_upload and a KPU model input do. */
kpu_status_t v4_kpu_store(v4_ctx_t *c, const v4_shape_t *s, uint32_t start, const uint8_t *src);
/* Checks such a store: shape positive, start 64-aligned, every map inside KPU RAM. *bytes
 * gets the KPU RAM bytes written (for the overwrite tracking). */
kpu_status_t v4_kpu_store_check(v4_ctx_t *c, const v4_shape_t *s, uint32_t start,
                                uint64_t *bytes);

/* ---- kmodel_v4_layers.c --------------------------------------------------------------------- */
/* Where a decoded node writes (for reading layer outputs back and overwrite checks). */
typedef struct v4_write {
    int space;         /* V4_MEM_MAIN or V4_MEM_KPU, or -1 for none */
    uint64_t start, size;
    int space2;        /* kpu_conv2d with a main-memory copy: the second region */
    uint64_t start2, size2;
} v4_write_t;
void v4_node_writes(const v4_node_t *n, v4_write_t *w);

/* Decodes node i of an open model (already validated: cannot fail). */
kpu_status_t v4_decode_at(const kpu_model_t *m, uint32_t i, v4_node_t *n, kpu_diag_t *diag);

kpu_status_t v4_layer_info(const kpu_model_t *m, uint32_t layer, kpu_layer_info_t *info,
                           kpu_diag_t *diag);
kpu_status_t v4_layer_output_info(const kpu_model_t *m, uint32_t layer, kpu_tensor_info_t *info,
                                  kpu_diag_t *diag);
kpu_status_t v4_read_layer_output(const kpu_model_t *m, const kpu_backend_t *backend,
                                  uint32_t layer, int32_t channel, void *dst, size_t dst_size,
                                  size_t *copied, kpu_diag_t *diag);

#endif
