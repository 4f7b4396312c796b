/* The kpu_net type: a loaded model. Its C net lives outside the GC heap (kpu_hal_allocator);
 * the object is allocated with a finaliser, so `del net; gc.collect()` frees the model.
 * Methods model_size(), model_addr(), model_path(), net_arg(), as in MaixPy. */
#include "kpu_mp.h"

/* MicroPython before v1.23 has no mp_obj_malloc_with_finaliser. */
#ifndef mp_obj_malloc_with_finaliser
#define mp_obj_malloc_with_finaliser(struct_type, obj_type) \
    ((struct_type *)kpu_obj_malloc_with_finaliser(sizeof(struct_type), obj_type))
static void *kpu_obj_malloc_with_finaliser(size_t n, const mp_obj_type_t *type)
{
    mp_obj_base_t *base = (mp_obj_base_t *)m_malloc_with_finaliser(n);
    base->type = type;
    return base;
}
#endif

kpu_net_obj_t *kpu_net_new(mp_obj_t path)
{
    kpu_net_obj_t *self = mp_obj_malloc_with_finaliser(kpu_net_obj_t, &kpu_net_type);
    self->net = NULL;
    self->path = path;
    self->args = mp_const_none;
    self->size = 0;
    self->addr = 0;
    return self;
}

void kpu_net_attach(kpu_net_obj_t *self, kpu_net_t *net)
{
    self->net = net;
    self->size = kpu_net_model_size(net);
    self->addr = kpu_net_model_addr(net);
}

kpu_net_obj_t *kpu_net_arg(mp_obj_t obj)
{
    if (!mp_obj_is_type(obj, &kpu_net_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("[MAIXPY]kpu: kpu_net type error"));
    }
    return MP_OBJ_TO_PTR(obj);
}

int kpu_net_obj_loaded(const kpu_net_obj_t *self)
{
    return self->net != NULL && kpu_net_loaded(self->net);
}

kpu_net_t *kpu_net_require(kpu_net_obj_t *self)
{
    if (!kpu_net_obj_loaded(self)) {
        mp_raise_msg(&mp_type_OSError, MP_ERROR_TEXT(
            "[MAIXPY]kpu: this kpu_net was released by kpu.deinit(): load the model again"));
    }
    return self->net;
}

void kpu_net_obj_deinit(kpu_net_obj_t *self)
{
    if (self->net != NULL) {
        kpu_net_deinit(self->net);
    }
    self->args = mp_const_none;
}

/* Finaliser (also runs at soft reset and exit): frees the model and the net. Idempotent. */
static mp_obj_t kpu_net_del(mp_obj_t self_in)
{
    kpu_net_obj_t *self = MP_OBJ_TO_PTR(self_in);
    kpu_net_t *net = self->net;
    self->net = NULL;
    if (net != NULL) {
        kpu_net_destroy(net);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_net_del_obj, kpu_net_del);

static mp_obj_t kpu_net_model_size_m(mp_obj_t self_in)
{
    kpu_net_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return mp_obj_new_int_from_uint(self->size);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_net_model_size_obj, kpu_net_model_size_m);

static mp_obj_t kpu_net_model_addr_m(mp_obj_t self_in)
{
    kpu_net_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return self->path != MP_OBJ_NULL ? mp_const_none : mp_obj_new_int_from_uint(self->addr);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_net_model_addr_obj, kpu_net_model_addr_m);

static mp_obj_t kpu_net_model_path_m(mp_obj_t self_in)
{
    kpu_net_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return self->path != MP_OBJ_NULL ? self->path : mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_net_model_path_obj, kpu_net_model_path_m);

static mp_obj_t kpu_net_net_arg_m(mp_obj_t self_in)
{
    kpu_net_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return self->args;
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_net_net_arg_obj, kpu_net_net_arg_m);

/* {"model_addr": 0, "model_size": n, "model_path": "(null)", "net_args": "(null)"} */
static void kpu_net_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind)
{
    (void)kind;
    kpu_net_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const char *path = self->path != MP_OBJ_NULL ? mp_obj_str_get_str(self->path) : "(null)";
    mp_printf(print, "{\"model_addr\": %u, \"model_size\": %u, \"model_path\": \"%s\", "
              "\"net_args\": ", (unsigned)self->addr, (unsigned)self->size, path);
    if (self->args != mp_const_none) {
        mp_obj_print_helper(print, self->args, PRINT_REPR);
    } else {
        mp_print_str(print, "\"(null)\"");
    }
    mp_print_str(print, "}");
}

static const mp_rom_map_elem_t kpu_net_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&kpu_net_del_obj) },
    { MP_ROM_QSTR(MP_QSTR_model_size), MP_ROM_PTR(&kpu_net_model_size_obj) },
    { MP_ROM_QSTR(MP_QSTR_model_addr), MP_ROM_PTR(&kpu_net_model_addr_obj) },
    { MP_ROM_QSTR(MP_QSTR_model_path), MP_ROM_PTR(&kpu_net_model_path_obj) },
    { MP_ROM_QSTR(MP_QSTR_net_arg), MP_ROM_PTR(&kpu_net_net_arg_obj) },
};
static MP_DEFINE_CONST_DICT(kpu_net_locals, kpu_net_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
    kpu_net_type,
    MP_QSTR_kpu_net,
    MP_TYPE_FLAG_NONE,
    print, kpu_net_print,
    locals_dict, &kpu_net_locals
    );
