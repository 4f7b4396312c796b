/* The kpu_net type: a loaded model. Its C net lives outside the GC heap (kpu_hal_allocator);
 * the object is allocated with a finaliser, so `del net; gc.collect()` frees the model.
 * Methods model_size(), model_addr(), model_path(), net_arg(), as in MaixPy. */
#include <string.h>
#include "kpu_hal.h"
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

/* Live nets for memtest: a weak registry outside the GC heap (so it keeps nothing alive); the
 * finaliser takes an object out before the GC frees it. */
static kpu_net_obj_t **live_nets;
static size_t live_count, live_cap;

static void live_add(kpu_net_obj_t *self)
{
    const kpu_allocator_t *alloc = kpu_hal_allocator();
    if (live_count == live_cap) {
        size_t cap = live_cap != 0 ? 2 * live_cap : 8;
        kpu_net_obj_t **grown = alloc->alloc(alloc->ctx, cap * sizeof *grown, sizeof(void *));
        if (grown == NULL) {
            m_malloc_fail(cap * sizeof *grown);
        }
        if (live_count != 0) {
            memcpy(grown, live_nets, live_count * sizeof *grown);
        }
        alloc->free(alloc->ctx, live_nets);
        live_nets = grown;
        live_cap = cap;
    }
    live_nets[live_count++] = self;
}

static void live_remove(kpu_net_obj_t *self)
{
    for (size_t i = 0; i < live_count; i++) {
        if (live_nets[i] == self) {
            live_nets[i] = live_nets[--live_count];
            return;
        }
    }
}

void kpu_net_obj_memtest(const mp_print_t *print)
{
    uintptr_t after = 0; /* in address order, as the host module sorts by id() */
    for (size_t printed = 0; printed < live_count; printed++) {
        kpu_net_obj_t *next = NULL;
        for (size_t i = 0; i < live_count; i++) {
            uintptr_t at = (uintptr_t)live_nets[i];
            if (at >= after && (next == NULL || at < (uintptr_t)next)) {
                next = live_nets[i];
            }
        }
        after = (uintptr_t)next + 1;
        size_t bytes = next->net != NULL ? kpu_net_memory(next->net) : 0;
        const char *state = kpu_net_obj_loaded(next) ? "" : " (deinit)";
        if (next->path != MP_OBJ_NULL) {
            mp_printf(print, "###kpu net %s: %u bytes%s\n", mp_obj_str_get_str(next->path),
                      (unsigned)bytes, state);
        } else {
            mp_printf(print, "###kpu net 0x%x: %u bytes%s\n", (unsigned)next->addr,
                      (unsigned)bytes, state);
        }
    }
}

kpu_net_obj_t *kpu_net_new(mp_obj_t path)
{
    kpu_net_obj_t *self = mp_obj_malloc_with_finaliser(kpu_net_obj_t, &kpu_net_type);
    self->net = NULL;
    self->path = path;
    self->args = mp_const_none;
    self->size = 0;
    self->addr = 0;
    live_add(self);
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
        mp_raise_msg(&mp_type_OSError, MP_ERROR_TEXT("[MAIXPY]kpu: this kpu_net was released by kpu.deinit(): load the model again"));
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
    live_remove(self);
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
