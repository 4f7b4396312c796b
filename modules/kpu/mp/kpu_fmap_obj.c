/* kpu_fmap: a feature map (spec maixpy-kpu-api.md 5.3). It holds a copy of the map taken when
 * it was made (MaixPy's is a view the next run overwrites), so it never outlives its memory;
 * the CPython module does the same. Methods size(), index(), w(), h(), ch(), typecode();
 * buffer protocol with typecode 'B' or 'f'; subscript read/write; no len(). */
#include <string.h>
#include "kpu_mp.h"

mp_obj_t kpu_fmap_new(const kpu_fmap_t *desc, mp_obj_t net)
{
    kpu_fmap_obj_t *self = mp_obj_malloc(kpu_fmap_obj_t, &kpu_fmap_type);
    self->data = NULL;
    self->size = 0;
    self->index = desc->index;
    self->w = desc->w;
    self->h = desc->h;
    self->ch = desc->ch;
    self->code = desc->typecode;
    self->freed = 0;
    self->net = net;
    if (desc->size != 0) {
        self->data = m_new(uint8_t, desc->size);
        memcpy(self->data, desc->data, desc->size);
        self->size = desc->size;
    }
    return MP_OBJ_FROM_PTR(self);
}

#define FMAP_SELF(o) ((kpu_fmap_obj_t *)MP_OBJ_TO_PTR(o))

static mp_obj_t kpu_fmap_size(mp_obj_t self_in)
{
    return mp_obj_new_int_from_uint(FMAP_SELF(self_in)->size);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_fmap_size_obj, kpu_fmap_size);

static mp_obj_t kpu_fmap_index(size_t n_args, const mp_obj_t *args)
{
    (void)n_args; /* extra arguments are ignored, as in the CPython module */
    return mp_obj_new_int_from_uint(FMAP_SELF(args[0])->index);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR(kpu_fmap_index_obj, 1, kpu_fmap_index);

static mp_obj_t kpu_fmap_w(mp_obj_t self_in)
{
    return mp_obj_new_int_from_uint(FMAP_SELF(self_in)->w);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_fmap_w_obj, kpu_fmap_w);

static mp_obj_t kpu_fmap_h(mp_obj_t self_in)
{
    return mp_obj_new_int_from_uint(FMAP_SELF(self_in)->h);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_fmap_h_obj, kpu_fmap_h);

static mp_obj_t kpu_fmap_ch(mp_obj_t self_in)
{
    return mp_obj_new_int_from_uint(FMAP_SELF(self_in)->ch);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_fmap_ch_obj, kpu_fmap_ch);

/* A 1-character str ('' for maps MaixPy cannot read); MaixPy crashes here. */
static mp_obj_t kpu_fmap_typecode(mp_obj_t self_in)
{
    kpu_fmap_obj_t *self = FMAP_SELF(self_in);
    return mp_obj_new_str(&self->code, self->code != '\0' ? 1 : 0);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_fmap_typecode_obj, kpu_fmap_typecode);

static size_t elem_size(const kpu_fmap_obj_t *self)
{
    return self->code == 'f' ? sizeof(float) : 1u;
}

static mp_obj_t get_elem(const kpu_fmap_obj_t *self, size_t i)
{
    if (self->code == 'f') {
        float v;
        memcpy(&v, self->data + i * sizeof v, sizeof v);
        return mp_obj_new_float((mp_float_t)v);
    }
    return MP_OBJ_NEW_SMALL_INT(self->data[i]);
}

static void set_elem(kpu_fmap_obj_t *self, size_t i, mp_obj_t value)
{
    if (self->code == 'f') {
        float v = (float)mp_obj_get_float(value);
        memcpy(self->data + i * sizeof v, &v, sizeof v);
    } else {
        self->data[i] = (uint8_t)mp_obj_get_int(value);
    }
}

static mp_obj_t kpu_fmap_subscr(mp_obj_t self_in, mp_obj_t index, mp_obj_t value)
{
    kpu_fmap_obj_t *self = FMAP_SELF(self_in);
    if (value == MP_OBJ_NULL) {
        return MP_OBJ_NULL; /* no deletion */
    }
    int load = value == MP_OBJ_SENTINEL;
    if (self->code != 'B' && self->code != 'f') {
        mp_printf(&mp_plat_print, "typecode don't support %s!\n", load ? "read" : "write");
        mp_raise_TypeError(MP_ERROR_TEXT("'kpu_fmap' object isn't subscriptable"));
    }
    size_t n = self->size / elem_size(self);
    #if MICROPY_PY_BUILTINS_SLICE
    if (mp_obj_is_type(index, &mp_type_slice)) {
        mp_bound_slice_t slice;
        if (!mp_seq_get_fast_slice_indexes(n, index, &slice)) {
            mp_raise_msg(&mp_type_OSError,
                         MP_ERROR_TEXT("only slices with step=1 (aka None) are supported"));
        }
        size_t count = slice.stop > slice.start ? (size_t)(slice.stop - slice.start) : 0;
        if (load) {
            mp_obj_tuple_t *t = MP_OBJ_TO_PTR(mp_obj_new_tuple(count, NULL));
            for (size_t i = 0; i < count; i++) {
                t->items[i] = get_elem(self, (size_t)slice.start + i);
            }
            return MP_OBJ_FROM_PTR(t);
        }
        if (mp_obj_is_type(value, &mp_type_list)) {
            size_t len;
            mp_obj_t *items;
            mp_obj_list_get(value, &len, &items);
            if (len != count) {
                mp_raise_msg(&mp_type_OSError, MP_ERROR_TEXT("cannot grow or shrink image"));
            }
            for (size_t i = 0; i < count; i++) {
                set_elem(self, (size_t)slice.start + i, items[i]);
            }
        } else {
            for (size_t i = 0; i < count; i++) {
                set_elem(self, (size_t)slice.start + i, value);
            }
        }
        return mp_const_none;
    }
    #endif
    /* array.array's checks and texts, as the host's kpu_fmap (an array subclass) */
    if (!mp_obj_is_int(index) && !mp_obj_is_bool(index)) {
        mp_raise_TypeError(MP_ERROR_TEXT("array indices must be integers"));
    }
    mp_int_t at = mp_obj_get_int(index);
    if (at < 0) {
        at += (mp_int_t)n;
    }
    if (at < 0 || (size_t)at >= n) {
        mp_raise_msg(&mp_type_IndexError, MP_ERROR_TEXT("array index out of range"));
    }
    size_t i = (size_t)at;
    if (load) {
        return get_elem(self, i);
    }
    set_elem(self, i, value);
    return mp_const_none;
}

static mp_int_t kpu_fmap_get_buffer(mp_obj_t self_in, mp_buffer_info_t *bufinfo, mp_uint_t flags)
{
    (void)flags;
    kpu_fmap_obj_t *self = FMAP_SELF(self_in);
    bufinfo->buf = self->data;
    bufinfo->len = self->size;
    bufinfo->typecode = self->code == 'f' ? 'f' : 'B';
    return 0;
}

/* {"fmap": "data"=0x%x, "size"=%d, "index": %d, "w": %d, "h": %d, "ch": %d, "typecode": %c} */
static void kpu_fmap_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind)
{
    (void)kind;
    kpu_fmap_obj_t *self = FMAP_SELF(self_in);
    mp_printf(print, "{\"fmap\": \"data\"=0x%x, \"size\"=%u, \"index\": %u, \"w\": %u, "
              "\"h\": %u, \"ch\": %u, \"typecode\": ",
              (unsigned)((uintptr_t)self->data & 0xFFFFFFFFu), (unsigned)self->size,
              (unsigned)self->index, (unsigned)self->w, (unsigned)self->h, (unsigned)self->ch);
    mp_print_strn(print, &self->code, 1, 0, ' ', 0);
    mp_print_str(print, "}");
}

static const mp_rom_map_elem_t kpu_fmap_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_size), MP_ROM_PTR(&kpu_fmap_size_obj) },
    { MP_ROM_QSTR(MP_QSTR_index), MP_ROM_PTR(&kpu_fmap_index_obj) },
    { MP_ROM_QSTR(MP_QSTR_w), MP_ROM_PTR(&kpu_fmap_w_obj) },
    { MP_ROM_QSTR(MP_QSTR_h), MP_ROM_PTR(&kpu_fmap_h_obj) },
    { MP_ROM_QSTR(MP_QSTR_ch), MP_ROM_PTR(&kpu_fmap_ch_obj) },
    { MP_ROM_QSTR(MP_QSTR_typecode), MP_ROM_PTR(&kpu_fmap_typecode_obj) },
};
static MP_DEFINE_CONST_DICT(kpu_fmap_locals, kpu_fmap_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
    kpu_fmap_type, MP_QSTR_kpu_fmap, MP_TYPE_FLAG_NONE,
    print, kpu_fmap_print,
    subscr, kpu_fmap_subscr,
    buffer, kpu_fmap_get_buffer,
    locals_dict, &kpu_fmap_locals
    );
