/* Small objects KPU functions return (spec maixpy-kpu-api.md 5.1, 5.2, 5.4) and the
 * classifier placeholder. Fields are zero-argument methods, as in MaixPy; reprs are MaixPy's,
 * with floats printed exactly as C's "%f" of the float32 value. */
#include "kpu_format.h"
#include "kpu_mp.h"
#include "kmodel.h"

void kpu_print_f32(const mp_print_t *print, float value)
{
    char text[KPU_FORMAT_F32_MAX];
    size_t n = kpu_format_f32(text, sizeof text, value);
    mp_print_strn(print, text, n, 0, ' ', 0);
}

static mp_obj_t new_f32(float v)
{
    return mp_obj_new_float((mp_float_t)v);
}

/* ----- kpu_yolo2: init_yolo2's arguments ----------------------------------------------------- */

typedef struct _kpu_yolo2_obj_t {
    mp_obj_base_t base;
    float threshold, nms;
    mp_obj_t anchors; /* tuple of floats (float32 values) */
} kpu_yolo2_obj_t;

mp_obj_t kpu_yolo2_new(float threshold, float nms, const float *anchors, size_t count)
{
    kpu_yolo2_obj_t *self = mp_obj_malloc(kpu_yolo2_obj_t, &kpu_yolo2_type);
    self->threshold = threshold;
    self->nms = nms;
    self->anchors = mp_const_empty_tuple;
    mp_obj_tuple_t *t = MP_OBJ_TO_PTR(mp_obj_new_tuple(count, NULL));
    for (size_t i = 0; i < count; i++) {
        t->items[i] = new_f32(anchors[i]);
    }
    self->anchors = MP_OBJ_FROM_PTR(t);
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t kpu_yolo2_threshold(mp_obj_t self_in)
{
    return new_f32(((kpu_yolo2_obj_t *)MP_OBJ_TO_PTR(self_in))->threshold);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_yolo2_threshold_obj, kpu_yolo2_threshold);

static mp_obj_t kpu_yolo2_nms_value(mp_obj_t self_in)
{
    return new_f32(((kpu_yolo2_obj_t *)MP_OBJ_TO_PTR(self_in))->nms);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_yolo2_nms_value_obj, kpu_yolo2_nms_value);

static mp_obj_t kpu_yolo2_anchor_number(mp_obj_t self_in)
{
    kpu_yolo2_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_obj_tuple_t *t = MP_OBJ_TO_PTR(self->anchors);
    return MP_OBJ_NEW_SMALL_INT(t->len / 2);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_yolo2_anchor_number_obj, kpu_yolo2_anchor_number);

static mp_obj_t kpu_yolo2_anchor(mp_obj_t self_in)
{
    kpu_yolo2_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_obj_tuple_t *t = MP_OBJ_TO_PTR(self->anchors);
    return mp_obj_new_tuple(t->len, t->items); /* a new tuple, as MaixPy */
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_yolo2_anchor_obj, kpu_yolo2_anchor);

/* {"threshold":0.500000, "nms_value":0.300000, "anchor_number":5, "anchor":"(1.889000, ...)"}
 * The anchor text is cut to 299 characters (MaixPy's 300-byte buffer). */
static void kpu_yolo2_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind)
{
    (void)kind;
    kpu_yolo2_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_obj_tuple_t *t = MP_OBJ_TO_PTR(self->anchors);
    vstr_t anchors;
    vstr_init(&anchors, 128);
    mp_print_t to_vstr = {&anchors, (mp_print_strn_t)vstr_add_strn};
    vstr_add_char(&anchors, '(');
    for (size_t i = 0; i < t->len; i++) {
        if (i > 0) {
            vstr_add_str(&anchors, ", ");
        }
        kpu_print_f32(&to_vstr, (float)mp_obj_get_float(t->items[i]));
    }
    vstr_add_char(&anchors, ')');
    mp_print_str(print, "{\"threshold\":");
    kpu_print_f32(print, self->threshold);
    mp_print_str(print, ", \"nms_value\":");
    kpu_print_f32(print, self->nms);
    mp_printf(print, ", \"anchor_number\":%u, \"anchor\":\"", (unsigned)(t->len / 2));
    mp_print_strn(print, anchors.buf, anchors.len < 299 ? anchors.len : 299, 0, ' ', 0);
    mp_print_str(print, "\"}");
    vstr_clear(&anchors);
}

static const mp_rom_map_elem_t kpu_yolo2_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_threshold), MP_ROM_PTR(&kpu_yolo2_threshold_obj) },
    { MP_ROM_QSTR(MP_QSTR_nms_value), MP_ROM_PTR(&kpu_yolo2_nms_value_obj) },
    { MP_ROM_QSTR(MP_QSTR_anchor_number), MP_ROM_PTR(&kpu_yolo2_anchor_number_obj) },
    { MP_ROM_QSTR(MP_QSTR_anchor), MP_ROM_PTR(&kpu_yolo2_anchor_obj) },
};
static MP_DEFINE_CONST_DICT(kpu_yolo2_locals, kpu_yolo2_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
    kpu_yolo2_type, MP_QSTR_kpu_yolo2, MP_TYPE_FLAG_NONE,
    print, kpu_yolo2_print,
    locals_dict, &kpu_yolo2_locals
    );

/* ----- kpu_yolo2_find: one detection --------------------------------------------------------- */

typedef struct _kpu_yolo2_find_obj_t {
    mp_obj_base_t base;
    int32_t x, y, w, h;
    float value;
    uint32_t classid, index, objnum;
} kpu_yolo2_find_obj_t;

mp_obj_t kpu_yolo2_find_new(const kpu_yolo2_detection_t *det, size_t index, size_t objnum)
{
    kpu_yolo2_find_obj_t *self = mp_obj_malloc(kpu_yolo2_find_obj_t, &kpu_yolo2_find_type);
    self->x = det->x;
    self->y = det->y;
    self->w = det->w;
    self->h = det->h;
    self->value = det->value;
    self->classid = det->classid;
    self->index = (uint32_t)index;
    self->objnum = (uint32_t)objnum;
    return MP_OBJ_FROM_PTR(self);
}

#define FIND_SELF(o) ((kpu_yolo2_find_obj_t *)MP_OBJ_TO_PTR(o))

static mp_obj_t kpu_yolo2_find_rect(mp_obj_t self_in)
{
    kpu_yolo2_find_obj_t *self = FIND_SELF(self_in);
    mp_obj_t items[4] = {
        mp_obj_new_int(self->x), mp_obj_new_int(self->y),
        mp_obj_new_int(self->w), mp_obj_new_int(self->h),
    };
    return mp_obj_new_tuple(4, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_yolo2_find_rect_obj, kpu_yolo2_find_rect);

#define FIND_GETTER(field, make) \
    static mp_obj_t kpu_yolo2_find_##field(mp_obj_t self_in) { \
        return make(FIND_SELF(self_in)->field); \
    } \
    static MP_DEFINE_CONST_FUN_OBJ_1(kpu_yolo2_find_##field##_obj, kpu_yolo2_find_##field);

FIND_GETTER(x, mp_obj_new_int)
FIND_GETTER(y, mp_obj_new_int)
FIND_GETTER(w, mp_obj_new_int)
FIND_GETTER(h, mp_obj_new_int)
FIND_GETTER(value, new_f32)
FIND_GETTER(classid, mp_obj_new_int_from_uint)
FIND_GETTER(index, mp_obj_new_int_from_uint)
FIND_GETTER(objnum, mp_obj_new_int_from_uint)

/* {"x":%d, "y":%d, "w":%d, "h":%d, "value":%f, "classid":%d, "index":%d, "objnum":%d} */
static void kpu_yolo2_find_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind)
{
    (void)kind;
    kpu_yolo2_find_obj_t *self = FIND_SELF(self_in);
    mp_printf(print, "{\"x\":%d, \"y\":%d, \"w\":%d, \"h\":%d, \"value\":", (int)self->x,
              (int)self->y, (int)self->w, (int)self->h);
    kpu_print_f32(print, self->value);
    mp_printf(print, ", \"classid\":%u, \"index\":%u, \"objnum\":%u}", (unsigned)self->classid,
              (unsigned)self->index, (unsigned)self->objnum);
}

static const mp_rom_map_elem_t kpu_yolo2_find_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_rect), MP_ROM_PTR(&kpu_yolo2_find_rect_obj) },
    { MP_ROM_QSTR(MP_QSTR_x), MP_ROM_PTR(&kpu_yolo2_find_x_obj) },
    { MP_ROM_QSTR(MP_QSTR_y), MP_ROM_PTR(&kpu_yolo2_find_y_obj) },
    { MP_ROM_QSTR(MP_QSTR_w), MP_ROM_PTR(&kpu_yolo2_find_w_obj) },
    { MP_ROM_QSTR(MP_QSTR_h), MP_ROM_PTR(&kpu_yolo2_find_h_obj) },
    { MP_ROM_QSTR(MP_QSTR_value), MP_ROM_PTR(&kpu_yolo2_find_value_obj) },
    { MP_ROM_QSTR(MP_QSTR_classid), MP_ROM_PTR(&kpu_yolo2_find_classid_obj) },
    { MP_ROM_QSTR(MP_QSTR_index), MP_ROM_PTR(&kpu_yolo2_find_index_obj) },
    { MP_ROM_QSTR(MP_QSTR_objnum), MP_ROM_PTR(&kpu_yolo2_find_objnum_obj) },
};
static MP_DEFINE_CONST_DICT(kpu_yolo2_find_locals, kpu_yolo2_find_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
    kpu_yolo2_find_type, MP_QSTR_kpu_yolo2_find, MP_TYPE_FLAG_NONE,
    print, kpu_yolo2_find_print,
    locals_dict, &kpu_yolo2_find_locals
    );

/* ----- kpu_netinfo_find: one layer of netinfo() ---------------------------------------------- */

enum {
    NI_INDEX, NI_TYPE, NI_WI, NI_HI, NI_WO, NI_HO, NI_CHI, NI_CHO, NI_DW, NI_KERNEL_TYPE,
    NI_POOL_TYPE, NI_PARA_SIZE, NI_COUNT
};

typedef struct _kpu_netinfo_find_obj_t {
    mp_obj_base_t base;
    uint32_t v[NI_COUNT];
} kpu_netinfo_find_obj_t;

mp_obj_t kpu_netinfo_find_new(const kpu_layer_info_t *info)
{
    kpu_netinfo_find_obj_t *self = mp_obj_malloc(kpu_netinfo_find_obj_t, &kpu_netinfo_find_type);
    const uint32_t v[NI_COUNT] = {
        info->index, info->type, info->wi, info->hi, info->wo, info->ho, info->chi, info->cho,
        info->dw, info->kernel_type, info->pool_type, info->para_size,
    };
    for (int i = 0; i < NI_COUNT; i++) {
        self->v[i] = v[i];
    }
    return MP_OBJ_FROM_PTR(self);
}

#define NETINFO_GETTER(name, slot) \
    static mp_obj_t kpu_netinfo_##name(mp_obj_t self_in) { \
        return mp_obj_new_int_from_uint( \
            ((kpu_netinfo_find_obj_t *)MP_OBJ_TO_PTR(self_in))->v[slot]); \
    } \
    static MP_DEFINE_CONST_FUN_OBJ_1(kpu_netinfo_##name##_obj, kpu_netinfo_##name);

NETINFO_GETTER(index, NI_INDEX)
NETINFO_GETTER(type, NI_TYPE)
NETINFO_GETTER(wi, NI_WI)
NETINFO_GETTER(hi, NI_HI)
NETINFO_GETTER(wo, NI_WO)
NETINFO_GETTER(ho, NI_HO)
NETINFO_GETTER(chi, NI_CHI)
NETINFO_GETTER(cho, NI_CHO)
NETINFO_GETTER(dw, NI_DW)
NETINFO_GETTER(kernel_type, NI_KERNEL_TYPE)
NETINFO_GETTER(pool_type, NI_POOL_TYPE)
NETINFO_GETTER(para_size, NI_PARA_SIZE)

static void kpu_netinfo_find_print(const mp_print_t *print, mp_obj_t self_in,
                                   mp_print_kind_t kind)
{
    (void)kind;
    static const char *const names[NI_COUNT] = {
        "index", "type", "wi", "hi", "wo", "ho", "chi", "cho", "dw", "kernel_type",
        "pool_type", "para_size",
    };
    kpu_netinfo_find_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const char *type_name = kpu_layer_type_name(self->v[NI_TYPE]);
    mp_printf(print, "{\"index\":%u, \"type\":KL_%s", (unsigned)self->v[NI_INDEX],
              type_name != NULL ? type_name : "INVALID");
    for (int i = NI_WI; i < NI_COUNT; i++) {
        mp_printf(print, ", \"%s\":%u", names[i], (unsigned)self->v[i]);
    }
    mp_print_str(print, "}");
}

static const mp_rom_map_elem_t kpu_netinfo_find_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_index), MP_ROM_PTR(&kpu_netinfo_index_obj) },
    { MP_ROM_QSTR(MP_QSTR_type), MP_ROM_PTR(&kpu_netinfo_type_obj) },
    { MP_ROM_QSTR(MP_QSTR_wi), MP_ROM_PTR(&kpu_netinfo_wi_obj) },
    { MP_ROM_QSTR(MP_QSTR_hi), MP_ROM_PTR(&kpu_netinfo_hi_obj) },
    { MP_ROM_QSTR(MP_QSTR_wo), MP_ROM_PTR(&kpu_netinfo_wo_obj) },
    { MP_ROM_QSTR(MP_QSTR_ho), MP_ROM_PTR(&kpu_netinfo_ho_obj) },
    { MP_ROM_QSTR(MP_QSTR_chi), MP_ROM_PTR(&kpu_netinfo_chi_obj) },
    { MP_ROM_QSTR(MP_QSTR_cho), MP_ROM_PTR(&kpu_netinfo_cho_obj) },
    { MP_ROM_QSTR(MP_QSTR_dw), MP_ROM_PTR(&kpu_netinfo_dw_obj) },
    { MP_ROM_QSTR(MP_QSTR_kernel_type), MP_ROM_PTR(&kpu_netinfo_kernel_type_obj) },
    { MP_ROM_QSTR(MP_QSTR_pool_type), MP_ROM_PTR(&kpu_netinfo_pool_type_obj) },
    { MP_ROM_QSTR(MP_QSTR_para_size), MP_ROM_PTR(&kpu_netinfo_para_size_obj) },
};
static MP_DEFINE_CONST_DICT(kpu_netinfo_find_locals, kpu_netinfo_find_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
    kpu_netinfo_find_type, MP_QSTR_kpu_netinfo_find, MP_TYPE_FLAG_NONE,
    print, kpu_netinfo_find_print,
    locals_dict, &kpu_netinfo_find_locals
    );

/* ----- classifier: MaixPy's closed-source self-learning classifier is not reproduced -------- */

static mp_obj_t kpu_classifier_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
                                        const mp_obj_t *args)
{
    (void)type;
    (void)n_args;
    (void)n_kw;
    (void)args;
    mp_raise_NotImplementedError(MP_ERROR_TEXT("KPU.classifier is not implemented: its training and distance maths live in MaixPy's closed-source library (spec maixpy-kpu-api.md 4.15)"));
}

static mp_obj_t kpu_classifier_load(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    (void)n_args;
    (void)args;
    (void)kw;
    mp_raise_NotImplementedError(MP_ERROR_TEXT("KPU.classifier.load is not implemented (see KPU.classifier)"));
}
static MP_DEFINE_CONST_FUN_OBJ_KW(kpu_classifier_load_fun_obj, 0, kpu_classifier_load);
static MP_DEFINE_CONST_STATICMETHOD_OBJ(kpu_classifier_load_obj,
                                        MP_ROM_PTR(&kpu_classifier_load_fun_obj));

static const mp_rom_map_elem_t kpu_classifier_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_load), MP_ROM_PTR(&kpu_classifier_load_obj) },
};
static MP_DEFINE_CONST_DICT(kpu_classifier_locals, kpu_classifier_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
    kpu_classifier_type, MP_QSTR_classifier, MP_TYPE_FLAG_NONE,
    make_new, kpu_classifier_make_new,
    locals_dict, &kpu_classifier_locals
    );
