/* MaixPy's KPU module (import KPU) as a MicroPython user C module: the module table and the
 * functions that load, release and account for models, plus the face feature helpers. The
 * running functions are in kpu_run.c. Behaviour, return objects and messages are those of
 * the CPython module tools/maixkpu/maixpy/kpu.py: both call the same core functions. */
#include <string.h>
#include "py/builtin.h"
#include "py/gc.h"
#include "py/stream.h"
#include "face_feature.h"
#include "kpu_hal.h"
#include "kpu_mp.h"

#define KPU_MAX_SPI_HZ 80000000

/* ----- load ------------------------------------------------------------------------------ */

static mp_obj_t load_from_flash(mp_obj_t arg)
{
    if (kpu_int_sign(arg) <= 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("[MAIXPY]kpu: model_addr must > 0 "));
    }
    uint32_t addr = (uint32_t)kpu_int_truncated(arg);
    kpu_net_obj_t *self = kpu_net_new(MP_OBJ_NULL);
    kpu_net_t *net = NULL;
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_net_load_flash(kpu_mp_api(), &net, kpu_hal_flash(), addr, &diag);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_LOAD, st, &diag);
    }
    kpu_net_attach(self, net);
    return MP_OBJ_FROM_PTR(self);
}

/* ValueError "load error:2005, <text> (<path>: <reason>)", as the CPython module. */
static MP_NORETURN void raise_read_error(const char *path, const char *reason)
{
    kpu_raise_fmt(&mp_type_ValueError, KPU_PREFIX "load error:%d, %s (%s: %s)",
                  kpu_status_maixpy_code(KPU_ERR_READ), kpu_api_error_text(KPU_ERR_READ), path,
                  reason);
}

#if MICROPY_VFS
static mp_obj_t open_model_file(mp_obj_t path_obj, const char *path)
{
    mp_obj_t args[2] = {path_obj, MP_OBJ_NEW_QSTR(MP_QSTR_rb)};
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_obj_t file = mp_call_function_n_kw(MP_OBJ_FROM_PTR(&mp_builtin_open_obj), 2, 0, args);
        nlr_pop();
        return file;
    }
    mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
    if (!mp_obj_is_subclass_fast(MP_OBJ_FROM_PTR(mp_obj_get_type(exc)),
                                 MP_OBJ_FROM_PTR(&mp_type_OSError))) {
        nlr_jump(nlr.ret_val);
    }
    mp_obj_t value = mp_obj_exception_get_value(exc);
    if (mp_obj_is_small_int(value)) {
        raise_read_error(path, kpu_hal_strerror((int)MP_OBJ_SMALL_INT_VALUE(value)));
    }
    vstr_t reason; /* str(exc) */
    vstr_init(&reason, 32);
    mp_print_t to_vstr = {&reason, (mp_print_strn_t)vstr_add_strn};
    mp_obj_print_helper(&to_vstr, exc, PRINT_STR);
    raise_read_error(path, vstr_null_terminated_str(&reason));
}

/* Stream seek and close through the stream protocol's ioctl (mp_stream_seek and
 * mp_stream_close are newer than v1.20). */
static mp_off_t file_seek(mp_obj_t file, mp_off_t offset, int whence, int *err)
{
    struct mp_stream_seek_t seek = {.offset = offset, .whence = whence};
    const mp_stream_p_t *stream = mp_get_stream(file);
    if (stream->ioctl == NULL
        || stream->ioctl(file, MP_STREAM_SEEK, (uintptr_t)&seek, err) == MP_STREAM_ERROR) {
        return (mp_off_t)-1;
    }
    return seek.offset;
}

static void file_close(mp_obj_t file)
{
    int err = 0;
    const mp_stream_p_t *stream = mp_get_stream(file);
    if (stream->ioctl != NULL) {
        stream->ioctl(file, MP_STREAM_CLOSE, 0, &err);
    }
}

/* load(path): a file on the VFS. ROMFS files give their bytes in place; others are read into
 * HAL memory (never the GC heap) and freed once the core has copied the model. */
static mp_obj_t load_from_file(mp_obj_t path_obj)
{
    const char *path = mp_obj_str_get_str(path_obj);
    kpu_net_obj_t *self = kpu_net_new(path_obj);
    mp_obj_t file = open_model_file(path_obj, path);
    const kpu_allocator_t *alloc = kpu_hal_allocator();
    uint8_t *copy = NULL;
    const uint8_t *data;
    size_t size;
    mp_buffer_info_t in_place;
    if (mp_get_buffer(file, &in_place, MP_BUFFER_READ)) {
        data = in_place.buf;
        size = in_place.len;
    } else {
        int err = 0;
        mp_off_t end = file_seek(file, 0, MP_SEEK_END, &err);
        if (end == (mp_off_t)-1 || file_seek(file, 0, MP_SEEK_SET, &err) == (mp_off_t)-1) {
            file_close(file);
            raise_read_error(path, kpu_hal_strerror(err));
        }
        size = (size_t)end;
        copy = size != 0 ? alloc->alloc(alloc->ctx, size, 8) : NULL;
        if (size != 0 && copy == NULL) {
            file_close(file);
            kpu_diag_t diag;
            kpu_mp_new_diag(&diag);
            kpu_raise_status(KPU_ERR_CTX_LOAD, KPU_ERR_NO_MEMORY, &diag);
        }
        mp_uint_t got = size != 0 ? mp_stream_rw(file, copy, size, &err, MP_STREAM_RW_READ) : 0;
        if (got != size) {
            alloc->free(alloc->ctx, copy);
            file_close(file);
            raise_read_error(path, kpu_hal_strerror(err));
        }
        data = copy;
    }
    kpu_net_t *net = NULL;
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_net_load_memory(kpu_mp_api(), &net, data, size, &diag);
    if (copy != NULL) {
        alloc->free(alloc->ctx, copy);
    }
    file_close(file);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_LOAD, st, &diag);
    }
    kpu_net_attach(self, net);
    return MP_OBJ_FROM_PTR(self);
}
#else
static mp_obj_t load_from_file(mp_obj_t path_obj)
{
    raise_read_error(mp_obj_str_get_str(path_obj), "this firmware has no file system");
}
#endif

static mp_obj_t kpu_load(mp_obj_t arg)
{
    if (mp_obj_is_int(arg)) {
        return load_from_flash(arg);
    }
    if (mp_obj_is_str(arg)) {
        const char *path = mp_obj_str_get_str(arg);
        if (strstr(path, ".kmodel") == NULL && strstr(path, ".smodel") == NULL
            && strstr(path, ".emodel") == NULL) {
            mp_raise_ValueError(
                MP_ERROR_TEXT("[MAIXPY]kpu: model format don't match, only supply .kmodel "));
        }
        return load_from_file(arg);
    }
    mp_raise_TypeError(MP_ERROR_TEXT("[MAIXPY]kpu: only accept int or string"));
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_load_obj, kpu_load);

static int is_int_like(mp_obj_t o)
{
    return mp_obj_is_int(o) || mp_obj_is_bool(o); /* Python's isinstance(o, int) */
}

static mp_int_t clamp_int(mp_obj_t o, mp_int_t lo, mp_int_t hi)
{
    if (mp_obj_is_small_int(o) || mp_obj_is_bool(o)) {
        mp_int_t v = mp_obj_get_int(o);
        return v < lo ? lo : (v > hi ? hi : v);
    }
    return kpu_int_sign(o) < 0 ? lo : hi; /* a big int is beyond either end */
}

static mp_obj_t kpu_load_flash(size_t n_args, const mp_obj_t *args)
{
    (void)n_args;
    for (int i = 0; i < 4; i++) {
        if (!is_int_like(args[i])) {
            mp_raise_ValueError(MP_ERROR_TEXT("[MAIXPY]kpu: load_flash arg format error: task=kpu.load_flash(flash_addr, is_dual_buf, batch_size, spi_speed)"));
        }
    }
    if (kpu_int_sign(args[0]) <= 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("[MAIXPY]kpu: model_addr must > 0 "));
    }
    mp_printf(&mp_plat_print, "SPI freq %d Hz\n", (int)clamp_int(args[3], 0, KPU_MAX_SPI_HZ));
    uint32_t addr = (uint32_t)kpu_int_truncated(args[0]);
    int dual = mp_obj_is_true(args[1]);
    uint32_t batch = dual ? (uint32_t)clamp_int(args[2], 0, KPU_U32_CLAMP) : 0;
    kpu_net_obj_t *self = kpu_net_new(MP_OBJ_NULL);
    kpu_net_t *net = NULL;
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_net_load_flash_stream(kpu_mp_api(), &net, kpu_hal_flash(), addr, dual,
                                                batch, &diag);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_LOAD_FLASH, st, &diag);
    }
    kpu_net_attach(self, net);
    return MP_OBJ_FROM_PTR(self);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(kpu_load_flash_obj, 4, 4, kpu_load_flash);

static mp_obj_t kpu_deinit(mp_obj_t net)
{
    kpu_net_obj_deinit(kpu_net_arg(net));
    return mp_const_true;
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_deinit_obj, kpu_deinit);

/* MaixPy's two lines (largest free GC block, free model memory), then the total the nets
 * hold and one line per live net. */
static mp_obj_t kpu_memtest(void)
{
    gc_info_t info;
    gc_info(&info);
    kpu_api_t *api = kpu_mp_api();
    mp_printf(&mp_plat_print, "###free gc heap memory : %u KB\n",
              (unsigned)(info.max_free * MICROPY_BYTES_PER_GC_BLOCK / 1024u));
    mp_printf(&mp_plat_print, "###free sys heap memory: %u KB\n",
              (unsigned)(kpu_hal_sys_heap_free(api->held) / 1024u));
    mp_printf(&mp_plat_print, "###kpu nets: %u, holding %u bytes\n", (unsigned)api->nets,
              (unsigned)api->held);
    kpu_net_obj_memtest(&mp_plat_print);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(kpu_memtest_obj, kpu_memtest);

/* ----- face features ------------------------------------------------------------------------ */

static mp_obj_t kpu_face_encode_fn(mp_obj_t features)
{
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(features, &n, &items);
    if (n > KPU_FACE_FEATURE_MAX) {
        kpu_raise_fmt(&mp_type_ValueError, "feature dim <=200\r\n");
    }
    float *values = m_new(float, n != 0 ? n : 1);
    for (size_t i = 0; i < n; i++) {
        values[i] = (float)mp_obj_get_float(items[i]);
    }
    byte *codes = m_new(byte, n != 0 ? n : 1);
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_face_encode(values, n, KPU_FACE_ENCODE_MAIXPY, (int8_t *)codes, &diag);
    m_del(float, values, n != 0 ? n : 1);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_DIAG, st, &diag);
    }
    return mp_obj_new_bytearray_by_ref(n, codes);
}
static MP_DEFINE_CONST_FUN_OBJ_1(kpu_face_encode_obj, kpu_face_encode_fn);

static mp_obj_t kpu_face_compare_fn(mp_obj_t a, mp_obj_t b)
{
    mp_buffer_info_t ba, bb;
    mp_get_buffer_raise(a, &ba, MP_BUFFER_READ);
    mp_get_buffer_raise(b, &bb, MP_BUFFER_READ);
    if (ba.len != bb.len) {
        kpu_raise_fmt(&mp_type_ValueError, "compare feature must in same dim!\r\n");
    }
    float score = 0.0f;
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_face_compare((const int8_t *)ba.buf, ba.len, (const int8_t *)bb.buf,
                                       bb.len, &score, &diag);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_DIAG, st, &diag);
    }
    return mp_obj_new_float((mp_float_t)score);
}
static MP_DEFINE_CONST_FUN_OBJ_2(kpu_face_compare_obj, kpu_face_compare_fn);

/* ----- module table (MaixPy's order) --------------------------------------------------------- */

static const mp_rom_map_elem_t kpu_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_kpu) },
    { MP_ROM_QSTR(MP_QSTR_load), MP_ROM_PTR(&kpu_load_obj) },
    { MP_ROM_QSTR(MP_QSTR_load_flash), MP_ROM_PTR(&kpu_load_flash_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_outputs), MP_ROM_PTR(&kpu_set_outputs_obj) },
    { MP_ROM_QSTR(MP_QSTR_init_yolo2), MP_ROM_PTR(&kpu_init_yolo2_obj) },
    { MP_ROM_QSTR(MP_QSTR_run_yolo2), MP_ROM_PTR(&kpu_run_yolo2_obj) },
    { MP_ROM_QSTR(MP_QSTR_deinit), MP_ROM_PTR(&kpu_deinit_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_layers), MP_ROM_PTR(&kpu_set_layers_obj) },
    { MP_ROM_QSTR(MP_QSTR_forward), MP_ROM_PTR(&kpu_forward_obj) },
    { MP_ROM_QSTR(MP_QSTR_get_output), MP_ROM_PTR(&kpu_get_output_obj) },
    { MP_ROM_QSTR(MP_QSTR_fmap), MP_ROM_PTR(&kpu_fmap_fn_obj) },
    { MP_ROM_QSTR(MP_QSTR_fmap_free), MP_ROM_PTR(&kpu_fmap_free_obj) },
    { MP_ROM_QSTR(MP_QSTR_netinfo), MP_ROM_PTR(&kpu_netinfo_obj) },
    { MP_ROM_QSTR(MP_QSTR_memtest), MP_ROM_PTR(&kpu_memtest_obj) },
    { MP_ROM_QSTR(MP_QSTR_face_encode), MP_ROM_PTR(&kpu_face_encode_obj) },
    { MP_ROM_QSTR(MP_QSTR_face_compare), MP_ROM_PTR(&kpu_face_compare_obj) },
    { MP_ROM_QSTR(MP_QSTR_classifier), MP_ROM_PTR(&kpu_classifier_type) },
    { MP_ROM_QSTR(MP_QSTR_kpu_net), MP_ROM_PTR(&kpu_net_type) },
    { MP_ROM_QSTR(MP_QSTR_kpu_fmap), MP_ROM_PTR(&kpu_fmap_type) },
    { MP_ROM_QSTR(MP_QSTR_kpu_yolo2), MP_ROM_PTR(&kpu_yolo2_type) },
    { MP_ROM_QSTR(MP_QSTR_kpu_yolo2_find), MP_ROM_PTR(&kpu_yolo2_find_type) },
    { MP_ROM_QSTR(MP_QSTR_kpu_netinfo_find), MP_ROM_PTR(&kpu_netinfo_find_type) },
};
static MP_DEFINE_CONST_DICT(kpu_module_globals, kpu_module_globals_table);

const mp_obj_module_t kpu_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&kpu_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_KPU, kpu_user_cmodule);
