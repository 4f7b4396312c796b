/* Shared declarations of the KPU module's MicroPython glue (the mp folder). The glue only moves
 * values between Python and the C core (kpu_api.h); every MaixPy rule lives in the core, so the
 * module behaves like the CPython one (tools/maixkpu/maixpy/kpu.py). */
#ifndef KPU_MP_H
#define KPU_MP_H

#include "py/obj.h"
#include "py/objint.h"
#include "py/runtime.h"
#include "kpu_api.h"

/* MicroPython before v1.26 spells MP_NORETURN as NORETURN. */
#ifndef MP_NORETURN
#define MP_NORETURN NORETURN
#endif

#define KPU_PREFIX "[MAIXPY]kpu: "

/* The largest uint32 an argument is clamped to: 0xFFFFFFFF where mp_int_t holds it (32-bit
 * ports clamp at INT32_MAX). */
#define KPU_U32_CLAMP ((mp_int_t)(sizeof(mp_int_t) > 4 ? (mp_int_t)0xFFFFFFFF : (mp_int_t)0x7FFFFFFF))

/* Sign and low bits of an int or a bool (Python's isinstance(o, int)); mp_obj_int_* take
 * only ints. */
static inline int kpu_int_sign(mp_obj_t o)
{
    return mp_obj_is_bool(o) ? (o == mp_const_true) : mp_obj_int_sign(o);
}

static inline mp_int_t kpu_int_truncated(mp_obj_t o)
{
    return mp_obj_is_bool(o) ? (o == mp_const_true) : mp_obj_int_get_truncated(o);
}

/* ----- module state (kpu_state.c) ------------------------------------------------------------ */
kpu_api_t *kpu_mp_api(void);
/* The backend forward runs on: the software KPU, or the K210 registers in K210 firmware. */
const kpu_backend_t *kpu_mp_backend(void);
void kpu_mp_new_diag(kpu_diag_t *diag);

/* ----- errors (kpu_errors.c) ----------------------------------------------------------------- */
typedef enum kpu_err_context {
    KPU_ERR_CTX_LOAD,       /* load: ValueError "load error:<code>, <text> (<detail>)" */
    KPU_ERR_CTX_LOAD_FLASH, /* load_flash: ValueError "load_flash error:..." */
    KPU_ERR_CTX_RUN,        /* forward / run_yolo2: OSError "<text>: <detail>" */
    KPU_ERR_CTX_CODE,       /* get_output / netinfo: OSError "<code>: <detail>" */
    KPU_ERR_CTX_DIAG,       /* init_yolo2: ValueError "<detail>" */
} kpu_err_context_t;

MP_NORETURN void kpu_raise_status(kpu_err_context_t ctx, kpu_status_t st, const kpu_diag_t *diag);
/* An exception of type with the message built by vstr_printf-style formatting. Also used for
 * MaixPy's messages that end in "\r\n": MicroPython's ROM-text compressor breaks its word table
 * on a word ending in an escape sequence, so such texts must not go through MP_ERROR_TEXT. */
MP_NORETURN void kpu_raise_fmt(const mp_obj_type_t *type, const char *fmt, ...);
/* Prints the core's detail line (MaixPy prints it before returning False or raising). */
void kpu_print_diag(const kpu_diag_t *diag);

/* ----- kpu_net (kpu_net_obj.c) --------------------------------------------------------------- */
typedef struct _kpu_net_obj_t {
    mp_obj_base_t base;
    kpu_net_t *net;      /* outside the GC heap; NULL once finalised */
    mp_obj_t path;       /* str for load(path), MP_OBJ_NULL for flash loads */
    mp_obj_t args;       /* kpu_yolo2 after init_yolo2, else mp_const_none */
    uint32_t size, addr;
} kpu_net_obj_t;

extern const mp_obj_type_t kpu_net_type;
/* A net object without a model yet (made before loading, so a MemoryError cannot leak one). */
kpu_net_obj_t *kpu_net_new(mp_obj_t path);
void kpu_net_attach(kpu_net_obj_t *self, kpu_net_t *net);
/* The object as a kpu_net, or TypeError("[MAIXPY]kpu: kpu_net type error"). */
kpu_net_obj_t *kpu_net_arg(mp_obj_t obj);
/* The C net, or OSError when deinit released it. */
kpu_net_t *kpu_net_require(kpu_net_obj_t *self);
int kpu_net_obj_loaded(const kpu_net_obj_t *self);
void kpu_net_obj_deinit(kpu_net_obj_t *self);
/* memtest's "###kpu net <where>: <n> bytes" line for every live net, in address order. */
void kpu_net_obj_memtest(const mp_print_t *print);

/* ----- returned objects (kpu_objs.c, kpu_fmap_obj.c) ----------------------------------------- */
extern const mp_obj_type_t kpu_yolo2_type;
extern const mp_obj_type_t kpu_yolo2_find_type;
extern const mp_obj_type_t kpu_netinfo_find_type;
extern const mp_obj_type_t kpu_fmap_type;
extern const mp_obj_type_t kpu_classifier_type;

mp_obj_t kpu_yolo2_new(float threshold, float nms, const float *anchors, size_t count);
mp_obj_t kpu_yolo2_find_new(const kpu_yolo2_detection_t *det, size_t index, size_t objnum);
mp_obj_t kpu_netinfo_find_new(const kpu_layer_info_t *info);

typedef struct _kpu_fmap_obj_t {
    mp_obj_base_t base;
    uint8_t *data;       /* a copy on the GC heap, taken when the map was made */
    size_t size;
    uint32_t index, w, h, ch;
    char code;           /* 'B', 'f' or '\0' */
    uint8_t freed;       /* fmap_free was called */
    mp_obj_t net;        /* the kpu_net it came from */
} kpu_fmap_obj_t;

/* A copy of desc as a kpu_fmap of net. */
mp_obj_t kpu_fmap_new(const kpu_fmap_t *desc, mp_obj_t net);

/* ----- running functions (kpu_run.c), for the module table --------------------------------- */
MP_DECLARE_CONST_FUN_OBJ_VAR(kpu_set_outputs_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(kpu_init_yolo2_obj);
MP_DECLARE_CONST_FUN_OBJ_2(kpu_run_yolo2_obj);
MP_DECLARE_CONST_FUN_OBJ_2(kpu_set_layers_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(kpu_forward_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(kpu_get_output_obj);
MP_DECLARE_CONST_FUN_OBJ_2(kpu_fmap_fn_obj);
MP_DECLARE_CONST_FUN_OBJ_1(kpu_fmap_free_obj);
MP_DECLARE_CONST_FUN_OBJ_1(kpu_netinfo_obj);

/* C's "%f" of a float32 value (exact decimal rounding, as CPython's format(v, 'f')). */
void kpu_print_f32(const mp_print_t *print, float value);

#endif
