/* Internals of the kmodel V5 runtime (spec kmodel-v4-v5.md Parts B-E): the parsed container,
 * the stackvm decoder and interpreter, the tensor functions and the k210 module. Memory is
 * addressed through tagged "virtual addresses" (region << 40 | offset) so that every access
 * the byte code makes can be bounds-checked against the region it names. */
#ifndef STACKVM_H
#define STACKVM_H

#include <stddef.h>
#include <stdint.h>
#include "kmodel_internal.h"

/* ---- container (Part B) ---- */

#define V5_MODEL_HEADER 32u
#define V5_MODULE_HEADER 48u
#define V5_FUNCTION_HEADER 32u
#define V5_SECTION_HEADER 32u
#define V5_RANGE_BYTES 12u
#define V5_MAX_MODULES 8u
#define V5_MAX_FUNCTIONS 4096u
#define V5_MAX_RANK 8u
#define V5_MAX_IO 16u

enum { V5_LOC_INPUT = 0, V5_LOC_OUTPUT = 1, V5_LOC_RDATA = 2, V5_LOC_DATA = 3,
       V5_LOC_SHARED = 4, V5_LOC_KPU = 64 };
enum { V5_DT_I8 = 0, V5_DT_I16, V5_DT_I32, V5_DT_I64, V5_DT_U8, V5_DT_U16, V5_DT_U32,
       V5_DT_U64, V5_DT_F16, V5_DT_F32, V5_DT_F64, V5_DT_BF16, V5_DT_COUNT };

typedef struct v5_range {
    uint8_t location, datatype;
    uint32_t start, size;
} v5_range_t;

typedef struct v5_shape {
    uint32_t rank;
    uint32_t dims[V5_MAX_RANK];
} v5_shape_t;

/* A function as found in the file; its I/O descriptors are read on demand (v5_function_io). */
typedef struct v5_function {
    uint32_t module, index;             /* module and index inside it */
    uint32_t inputs, outputs;
    uint32_t entry, text_size;          /* code inside the module's .text */
    uint64_t offset;                    /* file offset of the function header */
} v5_function_t;

enum { V5_MOD_STACKVM = 0, V5_MOD_K210 = 1 };

typedef struct v5_module {
    int kind;
    uint32_t data_size;                 /* private data pool */
    const uint8_t *rdata, *text;
    uint32_t rdata_size, text_size;
    uint32_t nfunctions;
    uint64_t functions_offset;          /* file offset of the first function header */
} v5_module_t;

/* ---- stackvm generations (Part E) and tensor functions (C3, v1.9 numbering) ---- */

typedef enum sv_gen {
    SV_GEN_V16 = 0,   /* v1.6.0 .. v1.9.0: the one this runtime executes */
    SV_GEN_BETA,      /* v1.0.0-beta1/beta2/rc1 (Kendryte SDK) */
    SV_GEN_V10,       /* v1.0.0 */
    SV_GEN_V11,       /* v1.1.0 */
    SV_GEN_V12,       /* v1.2.0 */
    SV_GEN_V13,       /* v1.3.0 */
    SV_GEN_V14,       /* v1.4.0 / v1.5.0 */
    SV_GEN_COUNT
} sv_gen_t;

const char *sv_gen_name(sv_gen_t gen);

enum {
    TF_BATCH_TO_SPACE = 0x00, TF_BINARY, TF_BROADCAST, TF_CALL, TF_COMPARE, TF_CLAMP, TF_CONV2D,
    TF_CONV2D_TRANSPOSE, TF_CONVERT, TF_COPY, TF_CUMSUM, TF_DEQUANTIZE, TF_GATHER, TF_GATHER_ND,
    TF_HARDMAX, TF_LOGISTIC, TF_LUT1D, TF_MATMUL, TF_ONEHOT, TF_PAD, TF_QUANTIZE,
    TF_RANDOM_NORMAL, TF_RANDOM_UNIFORM, TF_REDUCE, TF_REDUCE_ARG, TF_REDUCE_PROD,
    TF_REDUCE_WINDOW2D, TF_RESIZE_IMAGE, TF_ROI_ALIGN, TF_SIGMOID, TF_SLICE, TF_SOFTMAX,
    TF_SPACE_TO_BATCH, TF_TAKE, TF_TERNARY, TF_TOPK, TF_TRANSPOSE, TF_TRILU, TF_UNARY, TF_GRU,
    TF_TFLITE_DETECTION_POSTPROCESS, TF_LAYER_NORMALIZATION, TF_COMPRESS, TF_GATHER_ELEMENTS,
    TF_COUNT,
    TF_EQUAL = 0x100, TF_REDUCEARG_OLD = 0x101, TF_UNKNOWN = 0x1FF
};

const char *sv_tensor_name(uint32_t tf);

/* One decoded instruction. Tensor operands: the fields of the function's format in order
 * (u8/u16/i32/bool as integers in `v`, f32 in `f` at the same index, i64 in `v`). */
#define SV_MAX_FIELDS 24
typedef struct sv_insn {
    uint8_t op;
    uint32_t size;        /* bytes including the opcode */
    int64_t imm;          /* integer immediate (ldc_i4, branch target, lea offset, ...) */
    float fimm;           /* ldc_r4 */
    uint8_t b0, b1;       /* u8 operands (lea location, stshape reg / rank, ...) */
    uint32_t tf;          /* tensor function (v1.9 numbering, or TF_*) */
    uint32_t nfields;
    int64_t v[SV_MAX_FIELDS];
    float f[SV_MAX_FIELDS];
} sv_insn_t;

enum {
    SV_NOP = 0x00, SV_LDNULL = 0x01, SV_LDC_I4 = 0x02, SV_LDC_I4_0 = 0x03, SV_LDC_I4_1 = 0x04,
    SV_LDC_R4 = 0x05, SV_LDIND_I1 = 0x06, SV_LDIND_R4 = 0x0F, SV_STIND_I1 = 0x10,
    SV_STIND_R4 = 0x15, SV_LEA_GP = 0x16, SV_LEA_BUFFER = 0x17, SV_LDELEM_I1 = 0x18,
    SV_LDELEM_R4 = 0x21, SV_STELEM_I1 = 0x22, SV_STELEM_R4 = 0x27, SV_LDARG = 0x28,
    SV_LDARG_0 = 0x29, SV_LDARG_5 = 0x2E, SV_DUP = 0x2F, SV_POP = 0x30, SV_STSHAPE = 0x31,
    SV_STPADDINGS = 0x32, SV_NEG = 0x33, SV_ADD = 0x34, SV_SUB, SV_MUL, SV_DIV, SV_DIV_U,
    SV_REM, SV_REM_U, SV_AND, SV_OR, SV_XOR, SV_NOT, SV_SHL, SV_SHR, SV_SHR_U,
    SV_CLT = 0x42, SV_CLT_U, SV_CLE, SV_CLE_U, SV_CEQ, SV_CGE, SV_CGE_U, SV_CGT, SV_CGT_U,
    SV_CNE = 0x4B, SV_CONV_I1 = 0x4C, SV_CONV_R4 = 0x55, SV_BR = 0x56, SV_BR_TRUE = 0x57,
    SV_BR_FALSE = 0x58, SV_RET = 0x59, SV_CALL = 0x5A, SV_ECALL = 0x5B, SV_THROW = 0x5C,
    SV_BREAK = 0x5D, SV_TENSOR = 0x5E
};

/* Decodes the instruction at code[pc] (len bytes of code) for a generation. Returns KPU_OK,
 * or KPU_ERR_FORMAT (unknown opcode or function, operands past the end) with a diagnosis. */
kpu_status_t sv_decode(const uint8_t *code, uint32_t len, uint32_t pc, sv_gen_t gen,
                       sv_insn_t *insn, kpu_diag_t *diag);

/* ---- model state ---- */

/* A "layer" of a V5 model is one execution of a kpu_conv2d (in program order). */
typedef struct v5_layer {
    uint32_t k210_function;   /* function index inside the k210 module */
    uint32_t insn_offset;     /* offset of the kpu_conv2d in that function's code */
    uint32_t iw, ih, ic, ow, oh, oc, batches;
    uint32_t dw, kernel_type, pool_type;
    uint64_t out_kpu, out_kpu_size;   /* bytes of KPU RAM its output map occupies */
} v5_layer_t;

typedef struct v5_state {
    const uint8_t *file;
    size_t file_size;
    uint32_t nmodules;
    v5_module_t modules[V5_MAX_MODULES];
    uint32_t entry_module, entry_function;
    uint32_t k210_module;           /* index of the k210 module, or V5_MAX_MODULES */
    sv_gen_t gen;
    /* stackvm machine resources, sized by the dry run */
    uint32_t stack_cap;
    int64_t *stack;                 /* values; tags in stack_tag */
    uint8_t *stack_tag;
    uint32_t nshape_regs, npad_regs;
    uint64_t *shape_vals;           /* nshape_regs * V5_SHAPE_SLOT values */
    uint32_t *shape_rank;           /* 0xFFFFFFFF: never written */
    int32_t *pad_vals;              /* npad_regs * V5_SHAPE_SLOT * 3 */
    uint32_t *pad_rank;
    /* memory: main_mem = input pool | output pool | stackvm data | k210 data */
    uint64_t in_pool, in_size, out_pool, out_size, data_off, data_size, kdata_off, kdata_size;
    /* layers */
    uint32_t nlayers;
    v5_layer_t *layers;
    uint8_t *layer_clobbered;       /* per layer: KPU RAM output overwritten later in the run */
} v5_state_t;

#define V5_SHAPE_SLOT 8u   /* values per shape register (rank <= 8) */

/* Virtual addresses (C5): region tag in bits 40..47, offset below. */
#define SV_VA_SHIFT 40
#define SV_VA_MASK ((((uint64_t)1) << SV_VA_SHIFT) - 1)
enum { SV_REG_NONE = 0, SV_REG_INPUT = 1, SV_REG_OUTPUT = 2, SV_REG_RDATA = 3, SV_REG_DATA = 4 };

/* The run context shared by the interpreter, the tensor functions and the k210 module. */
typedef struct sv_ctx {
    kpu_model_t *m;
    v5_state_t *s;
    const kpu_backend_t *backend;
    kpu_diag_t *diag;
    uint32_t last_layer;     /* stop after this layer (UINT32_MAX: run everything) */
    uint32_t layers_done;
    int stopped;             /* set when the run stopped at last_layer */
} sv_ctx_t;

/* Resolves [va, va + n) to host memory, or NULL if it leaves its region (or if write is set
 * and the region is read-only). */
uint8_t *sv_resolve(sv_ctx_t *c, uint64_t va, uint64_t n, int write);

/* Element size of a datatype (0 for an unknown one). */
uint32_t v5_dtype_size(uint32_t dt);
const char *v5_dtype_name(uint32_t dt);

/* ---- tensor views and functions ---- */

#define SV_MAX_ELEMS ((uint64_t)1 << 26)  /* elements of one tensor view */
#define SV_MAX_WORK ((uint64_t)1 << 32)   /* multiply-adds / taps of one tensor function */

typedef struct sv_tensor {
    uint8_t *p;
    uint32_t dt, esize, rank;
    uint64_t shape[V5_MAX_RANK];
    uint64_t strides[V5_MAX_RANK];    /* elements */
} sv_tensor_t;

/* Builds a view: address va, datatype, shape and strides; checks that every element lies in
 * the address's region. */
kpu_status_t sv_view(sv_ctx_t *c, uint64_t va, uint32_t dt, const uint64_t *shape,
                     uint32_t rank, const uint64_t *strides, uint32_t srank, int write,
                     sv_tensor_t *t);
/* The same with shape and strides from registers. */
kpu_status_t sv_view_regs(sv_ctx_t *c, uint64_t va, uint32_t dt, uint32_t rshape,
                          uint32_t rstrides, int write, sv_tensor_t *t);
/* Row-major iteration over a shape, keeping the byte offsets of up to 4 tensors. */
typedef struct sv_iter {
    uint32_t rank, n;
    uint64_t shape[V5_MAX_RANK], idx[V5_MAX_RANK];
    uint64_t step[4][V5_MAX_RANK];  /* byte strides per tensor (0 for broadcast dims) */
    uint64_t off[4];
    int done;
} sv_iter_t;
void sv_iter_init(sv_iter_t *it, const uint64_t *shape, uint32_t rank);
/* Adds a tensor whose dims align to the right of the iteration shape (broadcast dims of
 * extent 1 step 0). */
void sv_iter_add(sv_iter_t *it, const sv_tensor_t *t);
void sv_iter_next(sv_iter_t *it);
uint64_t sv_elems(const uint64_t *shape, uint32_t rank);

/* Operand access for tensor functions: shape register r (must have been written). */
kpu_status_t sv_shape_reg(sv_ctx_t *c, uint32_t r, const uint64_t **vals, uint32_t *rank);
kpu_status_t sv_pad_reg(sv_ctx_t *c, uint32_t r, const int32_t **vals, uint32_t *rank);

/* Stack of scalar operands a tensor function pops (popped in reverse push order). */
typedef struct sv_args {
    int64_t i[16];
    float f[16];
    uint8_t is_real[16];
    uint32_t n;
} sv_args_t;

kpu_status_t sv_tensor_exec(sv_ctx_t *c, const sv_insn_t *insn, const sv_args_t *a);
/* Field kinds of a tensor instruction's operands (see stackvm_decode.c), or NULL. */
const char *sv_tensor_format(const sv_insn_t *insn, sv_gen_t gen);
/* Values the tensor function pops (gen-dependent), -1 for call (computed from fields). */
int sv_tensor_pops(const sv_insn_t *insn, sv_gen_t gen);
/* Whether this runtime implements a function (with its datatypes), and why not. */
kpu_status_t sv_tensor_check(const sv_insn_t *insn, sv_gen_t gen, kpu_diag_t *diag,
                             uint32_t pc);

kpu_status_t sv_tf_quant(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a);
kpu_status_t sv_tf_reduce(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a);
kpu_status_t sv_tf_elementwise(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a);
kpu_status_t sv_tf_layout(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a);
kpu_status_t sv_tf_linear(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a);
kpu_status_t sv_tf_select(sv_ctx_t *c, const sv_insn_t *in, const sv_args_t *a);

/* ---- k210 module (Part D) ---- */

#define K210_UPLOAD 0u
#define K210_DOWNLOAD 1u
#define K210_CONV2D 2u
#define K210_COPY 3u
#define K210_CONV_BYTES 152u

/* Checks a k210 function's code at load time (instruction sizes, ranges, layer arguments);
 * calls on_layer for each kpu_conv2d with its description. */
typedef void (*k210_layer_cb)(void *user, const v5_layer_t *layer);
kpu_status_t k210_validate_function(const v5_state_t *s, const v5_function_t *fn,
                                    k210_layer_cb cb,
                                    void *user, kpu_diag_t *diag);

/* Runs k210 function fn (index in the k210 module) with bound inputs/outputs (host pointers and their byte sizes). */
kpu_status_t k210_run_function(sv_ctx_t *c, uint32_t fn, uint8_t *const *in,
                               const uint64_t *in_size, uint8_t *const *out,
                               const uint64_t *out_size);

/* A V5 range at p (12 bytes). */
v5_range_t v5_read_range(const uint8_t *p);
/* Function `index` of module `module` (both checked at validation). */
kpu_status_t v5_function_get(const v5_state_t *s, uint32_t module, uint32_t index,
                             v5_function_t *fn, kpu_diag_t *diag);
/* Input (is_output 0) or output descriptor i of a function. */
void v5_function_io(const v5_state_t *s, const v5_function_t *fn, int is_output, uint32_t i,
                    v5_range_t *range, v5_shape_t *shape);
/* Parses and checks the container (Part B) into s (no allocation). */
kpu_status_t v5_parse(v5_state_t *s, const uint8_t *data, size_t size, kpu_diag_t *diag);

/* ---- interpreter (stackvm_exec.c) and dry run (stackvm_check.c) ---- */

kpu_status_t sv_run_function(sv_ctx_t *c, const v5_function_t *fn);
/* What the dry run found: machine sizes and the number of KPU layers. */
typedef struct sv_plan {
    uint32_t max_stack, nshape_regs, npad_regs, nlayers;
} sv_plan_t;

/* Decodes every stackvm function for a generation (opcodes, function codes, operands, branch
 * targets, shape registers read before any write, calls into the k210 module, the checks of
 * each k210 function it calls) and fills the plan. layers (NULL or plan->nlayers entries from
 * an earlier dry run) receives the KPU layers of the entry function in program order. */
kpu_status_t sv_dry_run(const v5_state_t *s, sv_gen_t gen, int check_impl, sv_plan_t *plan,
                        v5_layer_t *layers, kpu_diag_t *diag);
/* Finds the generation of the byte code and checks that this runtime can run it (refusing
 * with the likely nncase version otherwise); fills the plan. */
kpu_status_t sv_check_program(const v5_state_t *s, sv_gen_t *gen, sv_plan_t *plan,
                              v5_layer_t *layers, kpu_diag_t *diag);

extern const kpu_container_t kpu_container_v5;

#endif
