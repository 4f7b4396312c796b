/* The KPU functions that configure and run a net and read its results: set_outputs,
 * init_yolo2, set_layers, forward, get_output, run_yolo2, fmap, fmap_free, netinfo. Argument
 * checks, their order and every message follow tools/maixkpu/maixpy/kpu.py.
 *
 * Inputs: any buffer-protocol object holding the planar input bytes (R plane, G plane,
 * B plane), or a list of floats for float-input models; in builds with the `image` module
 * (MAIXKPU_WITH_IMAGE) also an Image, whose pix_ai is checked against the model as MaixPy
 * does. KPU.fmap returns a grayscale Image viewing the map there, else a memoryview. */
#include <string.h>
#include "kmodel.h"
#include "kpu_mp.h"
#ifndef MAIXKPU_WITH_IMAGE
#define MAIXKPU_WITH_IMAGE 0 /* modules/image's micropython.mk/.cmake define it to 1 */
#endif
#if MAIXKPU_WITH_IMAGE
#include "image_mp.h"
#endif

static mp_int_t clamp_arg(mp_obj_t o, mp_int_t lo, mp_int_t hi)
{
    if (mp_obj_is_small_int(o) || mp_obj_is_bool(o)) {
        mp_int_t v = mp_obj_get_int(o);
        return v < lo ? lo : (v > hi ? hi : v);
    }
    if (!mp_obj_is_int(o)) {
        mp_obj_get_int(o); /* TypeError "can't convert <type> to int" */
    }
    return kpu_int_sign(o) < 0 ? lo : hi;
}

static int is_int_like(mp_obj_t o)
{
    return mp_obj_is_int(o) || mp_obj_is_bool(o);
}

/* ----- set_outputs / init_yolo2 / set_layers ------------------------------------------------- */

static mp_obj_t kpu_set_outputs(size_t n_args, const mp_obj_t *args)
{
    if (n_args != 5) {
        kpu_raise_fmt(&mp_type_TypeError, "set_outputs takes 5 positional arguments (%u given): "
                      "set_outputs(task, int idx, int w, int h, int ch)", (unsigned)n_args);
    }
    int ok = mp_obj_is_type(args[0], &kpu_net_type);
    for (int i = 1; i < 5; i++) {
        ok = ok && is_int_like(args[i]);
    }
    if (!ok) {
        mp_raise_ValueError(MP_ERROR_TEXT("[MAIXPY]kpu: set_outputs arg format error: set_outputs(task, int idx, int w, int h, int ch)"));
    }
    kpu_net_t *net = kpu_net_require(MP_OBJ_TO_PTR(args[0]));
    uint32_t dims[4];
    for (int i = 0; i < 4; i++) {
        dims[i] = (uint32_t)clamp_arg(args[i + 1], 0, KPU_U32_CLAMP);
    }
    if (kpu_int_sign(args[1]) < 0) {
        dims[0] = 0xFFFFFFFFu; /* a negative index is out of range, not 0 */
    }
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_net_set_output_shape(net, dims[0], dims[1], dims[2], dims[3], &diag);
    if (st == KPU_OK) {
        return mp_const_true;
    }
    int code = kpu_status_maixpy_code(st);
    if (code == 2011) {
        mp_printf(&mp_plat_print,
                  KPU_PREFIX "set_outputs arg value error:kmodel output idx %ld out of range\n",
                  (long)kpu_int_truncated(args[1]));
    } else if (code == 2012) {
        kpu_print_diag(&diag);
        mp_printf(&mp_plat_print,
                  KPU_PREFIX "set_outputs arg value error: w,c,ch size not match output size\n");
    } else {
        mp_printf(&mp_plat_print, KPU_PREFIX "set_outputs ctx error, maybe init err:%d\n", code);
    }
    return mp_const_false;
}
MP_DEFINE_CONST_FUN_OBJ_VAR(kpu_set_outputs_obj, 0, kpu_set_outputs);

/* init_yolo2(kpu_net, threshold, nms_value, anchor_number, anchor, dma=-1) -> True */
static mp_obj_t kpu_init_yolo2(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    if (n_args < 5) {
        kpu_raise_fmt(&mp_type_TypeError, "function missing %u required positional arguments",
                      (unsigned)(5 - n_args));
    }
    int bad_kw = 0;
    for (size_t i = 0; i < kw->alloc; i++) {
        if (mp_map_slot_is_filled(kw, i) && kw->table[i].key != MP_OBJ_NEW_QSTR(MP_QSTR_dma)) {
            bad_kw = 1;
        }
    }
    if (n_args > 6 || bad_kw) {
        mp_raise_TypeError(MP_ERROR_TEXT("init_yolo2(kpu_net, threshold, nms_value, anchor_number, anchor, dma)"));
    }
    kpu_net_obj_t *self = kpu_net_arg(args[0]);
    float threshold = (float)mp_obj_get_float(args[1]); /* float32 as on the K210 */
    float nms = (float)mp_obj_get_float(args[2]);
    mp_int_t count = mp_obj_get_int(args[3]);
    kpu_net_t *net = kpu_net_require(self);
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    if (count <= 0 || !(threshold >= 0.0f && threshold <= 1.0f)
        || !(nms >= 0.0f && nms <= 1.0f)) {
        /* the core reports the first failing check in MaixPy's order, before the anchors */
        uint32_t n = count <= 0 ? 0 : (count > 0x7FFFFFFF ? 0x7FFFFFFFu : (uint32_t)count);
        kpu_net_init_yolo2(net, threshold, nms, n, NULL, &diag);
        kpu_raise_status(KPU_ERR_CTX_DIAG, KPU_ERR_ARGUMENT, &diag);
    }
    mp_obj_t *items;
    mp_obj_get_array_fixed_n(args[4], (size_t)(2 * count), &items);
    float *anchors = m_new(float, (size_t)(2 * count));
    for (mp_int_t i = 0; i < 2 * count; i++) {
        anchors[i] = (float)mp_obj_get_float(items[i]);
    }
    kpu_status_t st = kpu_net_init_yolo2(net, threshold, nms, (uint32_t)count, anchors, &diag);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_DIAG, st, &diag);
    }
    self->args = kpu_yolo2_new(threshold, nms, anchors, (size_t)(2 * count));
    m_del(float, anchors, (size_t)(2 * count));
    return mp_const_true;
}
MP_DEFINE_CONST_FUN_OBJ_KW(kpu_init_yolo2_obj, 0, kpu_init_yolo2);

/* set_layers(net, n): layers 0..n-1 from now on (n <= 0: all); prints and returns False when
 * n is too big. */
static mp_obj_t kpu_set_layers(mp_obj_t net_in, mp_obj_t n_in)
{
    kpu_net_obj_t *self = kpu_net_arg(net_in);
    mp_int_t n = clamp_arg(n_in, -1, 0x7FFFFFFF);
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    if (kpu_net_set_layers(kpu_net_require(self), (int32_t)n, &diag) != KPU_OK) {
        kpu_print_diag(&diag);
        return mp_const_false;
    }
    return mp_const_true;
}
MP_DEFINE_CONST_FUN_OBJ_2(kpu_set_layers_obj, kpu_set_layers);

/* ----- running ------------------------------------------------------------------------------- */

typedef struct kpu_input {
    const void *data;
    size_t size;
} kpu_input_t;

#if MAIXKPU_WITH_IMAGE
/* An Image's pix_ai after MaixPy's check_img_format (the core prints nothing; the cause is
 * printed here before the ValueError, as the host module does). */
static kpu_input_t image_input(kpu_net_obj_t *self, mp_obj_t obj)
{
    kpu_net_t *net = kpu_net_require(self);
    const image_obj_t *image = MP_OBJ_TO_PTR(obj);
    const img_t *img = image_mp_get(obj);
    int kind = image->empty ? KPU_IMAGE_OTHER
               : (img->format == IMG_RGB565 ? KPU_IMAGE_RGB565 : KPU_IMAGE_GRAYSCALE);
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_net_check_image(net, img->pix_ai != NULL, (uint32_t)img->w,
                                          (uint32_t)img->h, kind, &diag);
    if (st == KPU_ERR_FIRST_LAYER) {
        kpu_raise_fmt(&mp_type_ValueError, KPU_PREFIX "first layer not conv layer!\r\n");
    }
    size_t n = (size_t)(kind == KPU_IMAGE_RGB565 ? 3 : 1) * (size_t)img->w * (size_t)img->h;
    if (st != KPU_OK) {
        kpu_print_diag(&diag);
    } else if (image_mp_ai_bytes(obj) < n) {
        /* planes from before a crop made the image bigger: MaixPy would read past them */
        mp_printf(&mp_plat_print, "pix_ai holds %u bytes, the image needs %u: call pix_to_ai()\n",
                  (unsigned)image_mp_ai_bytes(obj), (unsigned)n);
        st = KPU_ERR_ARGUMENT;
    }
    if (st != KPU_OK) {
        kpu_raise_fmt(&mp_type_ValueError, KPU_PREFIX "check img format err!\r\n");
    }
    kpu_input_t in = {img->pix_ai, n};
    return in;
}
#endif

/* forward's input: an Image, a list of floats (float-input models) or planar bytes in any
 * buffer. */
static kpu_input_t forward_input(kpu_net_obj_t *self, mp_obj_t img)
{
    kpu_input_t in = {NULL, 0};
    #if MAIXKPU_WITH_IMAGE
    if (mp_obj_is_type(img, &image_Image_type)) {
        return image_input(self, img);
    }
    #else
    (void)self;
    #endif
    if (mp_obj_is_type(img, &mp_type_list)) {
        size_t n;
        mp_obj_t *items;
        mp_obj_list_get(img, &n, &items);
        if (n == 0) {
            kpu_raise_fmt(&mp_type_ValueError, KPU_PREFIX "check input list format err!\r\n");
        }
        float *values = m_new(float, n);
        for (size_t i = 0; i < n; i++) {
            values[i] = (float)mp_obj_get_float(items[i]);
        }
        in.data = values;
        in.size = n * sizeof(float);
        return in;
    }
    mp_buffer_info_t bi;
    if (!mp_get_buffer(img, &bi, MP_BUFFER_READ)) {
        mp_raise_ValueError(MP_ERROR_TEXT("input not support"));
    }
    in.data = bi.buf;
    in.size = bi.len;
    return in;
}

static void run_net(kpu_net_obj_t *self, const kpu_input_t *in, int32_t end_layer)
{
    kpu_net_t *net = kpu_net_require(self);
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_net_forward(net, kpu_mp_backend(), in->data, in->size, end_layer,
                                      &diag);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_RUN, st, &diag);
    }
}

/* Output index of the last run as a kpu_fmap (a copy), or the failing status. */
static kpu_status_t read_output(kpu_net_obj_t *self, uint32_t index, mp_obj_t *out,
                                kpu_diag_t *diag)
{
    kpu_fmap_t desc;
    kpu_mp_new_diag(diag);
    kpu_status_t st = kpu_net_get_output(kpu_net_require(self), index, &desc, diag);
    if (st == KPU_OK) {
        *out = kpu_fmap_new(&desc, MP_OBJ_FROM_PTR(self));
    }
    return st;
}

/* forward(kpu_net, img=None, end_layer=None, dma=-1) -> kpu_fmap of the last computed layer */
static mp_obj_t kpu_forward(size_t n_args, const mp_obj_t *pos, mp_map_t *kw)
{
    enum { ARG_net, ARG_img, ARG_end_layer, ARG_dma };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_kpu_net_obj, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_img, MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_end_layer, MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_dma, MP_ARG_OBJ, {.u_obj = MP_OBJ_NEW_SMALL_INT(-1)} }, /* one path */
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos, kw, MP_ARRAY_SIZE(allowed), allowed, args);
    kpu_net_obj_t *self = kpu_net_arg(args[ARG_net].u_obj);
    kpu_input_t in = forward_input(self, args[ARG_img].u_obj);
    int32_t end = -1;
    if (args[ARG_end_layer].u_obj != mp_const_none) {
        mp_obj_t e = args[ARG_end_layer].u_obj;
        if (!is_int_like(e)) {
            mp_obj_get_int(e); /* TypeError */
        }
        if (kpu_int_sign(e) < 0) {
            kpu_raise_fmt(&mp_type_OSError,
                          KPU_PREFIX "end layer %ld out of range: layers count from 0",
                          (long)kpu_int_truncated(e));
        }
        end = (int32_t)clamp_arg(e, 0, 0x7FFFFFFF);
    }
    run_net(self, &in, end);
    mp_obj_t fmap;
    kpu_diag_t diag;
    kpu_status_t st = read_output(self, 0, &fmap, &diag);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_RUN, st, &diag);
    }
    return fmap;
}
MP_DEFINE_CONST_FUN_OBJ_KW(kpu_forward_obj, 1, kpu_forward);

/* get_output(kpu_net, index) -> kpu_fmap of the last run, without running again */
static mp_obj_t kpu_get_output(size_t n_args, const mp_obj_t *pos, mp_map_t *kw)
{
    enum { ARG_net, ARG_index };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_kpu_net_obj, MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_index, MP_ARG_OBJ, {.u_obj = mp_const_none} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos, kw, MP_ARRAY_SIZE(allowed), allowed, args);
    mp_obj_t net = args[ARG_net].u_obj, index = args[ARG_index].u_obj;
    if (!mp_obj_is_type(net, &kpu_net_type) || !is_int_like(index)) {
        mp_raise_ValueError(
            MP_ERROR_TEXT("[MAIXPY]kpu: get_output arg format error: get_output(task, int idx)"));
    }
    if (kpu_int_sign(index) < 0) {
        kpu_raise_fmt(&mp_type_OSError, "%d: output %ld out of range",
                      kpu_status_maixpy_code(KPU_ERR_INDEX),
                      (long)kpu_int_truncated(index));
    }
    mp_obj_t fmap;
    kpu_diag_t diag;
    uint32_t at = (uint32_t)clamp_arg(index, 0, KPU_U32_CLAMP);
    kpu_status_t st = read_output(MP_OBJ_TO_PTR(net), at, &fmap, &diag);
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_CODE, st, &diag);
    }
    return fmap;
}
MP_DEFINE_CONST_FUN_OBJ_KW(kpu_get_output_obj, 0, kpu_get_output);

/* run_yolo2(net, img) -> list of kpu_yolo2_find, or None when nothing is found */
static mp_obj_t kpu_run_yolo2(mp_obj_t net_in, mp_obj_t img)
{
    kpu_net_obj_t *self = kpu_net_arg(net_in);
    mp_buffer_info_t bi;
    int is_image = 0;
    #if MAIXKPU_WITH_IMAGE
    is_image = mp_obj_is_type(img, &image_Image_type);
    #endif
    if (!is_image && !mp_get_buffer(img, &bi, MP_BUFFER_READ)) {
        kpu_raise_fmt(&mp_type_TypeError, "Can't convert %s to Image", mp_obj_get_type_str(img));
    }
    if (!kpu_net_has_yolo2(kpu_net_require(self))) {
        mp_raise_ValueError(
            MP_ERROR_TEXT("[MAIXPY]kpu: run_yolo2 needs kpu.init_yolo2(task, ...) first"));
    }
    kpu_input_t in;
    #if MAIXKPU_WITH_IMAGE
    if (is_image) {
        in = image_input(self, img);
    } else
    #endif
    {
        in.data = bi.buf;
        in.size = bi.len;
    }
    run_net(self, &in, -1);
    const kpu_yolo2_detection_t *dets = NULL;
    size_t count = 0;
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    kpu_status_t st = kpu_net_yolo2_decode(self->net, &dets, &count, &diag);
    if (st == KPU_ERR_ARGUMENT) {
        kpu_print_diag(&diag);
        kpu_raise_fmt(&mp_type_ValueError, KPU_PREFIX "region_layer_init err!\r\n");
    }
    if (st != KPU_OK) {
        kpu_raise_status(KPU_ERR_CTX_RUN, st, &diag);
    }
    if (count == 0) {
        return mp_const_none;
    }
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (size_t i = 0; i < count; i++) {
        mp_obj_list_append(list, kpu_yolo2_find_new(&dets[i], i, count));
    }
    return list;
}
MP_DEFINE_CONST_FUN_OBJ_2(kpu_run_yolo2_obj, kpu_run_yolo2);

/* ----- maps and layers ----------------------------------------------------------------------- */

/* fmap(fmap_obj, channel): channel of a 'B' map. With the image module: a w x h grayscale
 * Image viewing it (as MaixPy; the map's later channels stay readable after it, as the memory
 * that follows in MaixPy). Without: a memoryview of a copy of its w x h bytes. */
static mp_obj_t kpu_fmap_fn(mp_obj_t fmap_in, mp_obj_t channel)
{
    if (!mp_obj_is_type(fmap_in, &kpu_fmap_type)) {
        kpu_raise_fmt(&mp_type_TypeError, KPU_PREFIX "fmap needs a kpu_fmap, not %s",
                      mp_obj_get_type_str(fmap_in));
    }
    kpu_fmap_obj_t *map = MP_OBJ_TO_PTR(fmap_in);
    if (map->freed) {
        mp_raise_msg(&mp_type_OSError,
                     MP_ERROR_TEXT("[MAIXPY]kpu: this kpu_fmap was released by kpu.fmap_free()"));
    }
    if (mp_obj_is_type(map->net, &kpu_net_type)
        && !kpu_net_obj_loaded(MP_OBJ_TO_PTR(map->net))) {
        mp_raise_msg(&mp_type_OSError,
                     MP_ERROR_TEXT("[MAIXPY]kpu: this kpu_fmap's net was released by kpu.deinit()"));
    }
    mp_int_t c = mp_obj_get_int(channel);
    if (c < 0 || (mp_uint_t)c >= map->ch) {
        kpu_raise_fmt(&mp_type_ValueError, KPU_PREFIX "ch err,input 0~%u\r\n", (unsigned)map->ch);
    }
    if (map->code != 'B') {
        kpu_raise_fmt(&mp_type_ValueError, KPU_PREFIX "can't convet float fmap yet\r\n");
    }
    size_t plane = (size_t)map->w * map->h;
    size_t start = plane * (size_t)c;
    size_t n = start < map->size ? map->size - start : 0;
    #if MAIXKPU_WITH_IMAGE
    if (n < plane) {
        kpu_raise_fmt(&mp_type_ValueError, "need %u bytes for a %ux%u gray image, got %u",
                      (unsigned)plane, (unsigned)map->w, (unsigned)map->h, (unsigned)n);
    }
    img_t view = {(int)map->w, (int)map->h, IMG_GRAYSCALE, map->data + start, NULL};
    return image_mp_wrap_bytes(&view, fmap_in, n);
    #endif
    n = n < plane ? n : plane;
    mp_obj_t copy = mp_obj_new_bytearray(n, map->data + start);
    #if MICROPY_PY_BUILTINS_MEMORYVIEW
    mp_buffer_info_t bi;
    mp_get_buffer_raise(copy, &bi, MP_BUFFER_READ);
    return mp_obj_new_memoryview('B', bi.len, bi.buf);
    #else
    return copy;
    #endif
}
MP_DEFINE_CONST_FUN_OBJ_2(kpu_fmap_fn_obj, kpu_fmap_fn);

/* fmap_free: marks the map released (MaixPy does nothing); kpu.fmap on it then raises. */
static mp_obj_t kpu_fmap_free(mp_obj_t fmap_in)
{
    if (!mp_obj_is_type(fmap_in, &kpu_fmap_type)) {
        kpu_raise_fmt(&mp_type_TypeError, KPU_PREFIX "fmap_free needs a kpu_fmap, not %s",
                      mp_obj_get_type_str(fmap_in));
    }
    ((kpu_fmap_obj_t *)MP_OBJ_TO_PTR(fmap_in))->freed = 1;
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_1(kpu_fmap_free_obj, kpu_fmap_free);

/* netinfo(net): prints "layer[i]: KL_..., n bytes" per layer, then returns one
 * kpu_netinfo_find per layer (all of them). */
static mp_obj_t kpu_netinfo(mp_obj_t net_in)
{
    kpu_net_t *net = kpu_net_require(kpu_net_arg(net_in));
    uint32_t count = kpu_net_layer_count(net);
    if (count == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("get layer num error!"));
    }
    mp_obj_t list = mp_obj_new_list(0, NULL);
    kpu_diag_t diag;
    kpu_mp_new_diag(&diag);
    for (uint32_t i = 0; i < count; i++) {
        kpu_layer_info_t info;
        kpu_status_t st = kpu_net_layer_info(net, i, &info, &diag);
        if (st != KPU_OK) {
            kpu_raise_status(KPU_ERR_CTX_CODE, st, &diag);
        }
        mp_obj_list_append(list, kpu_netinfo_find_new(&info));
    }
    for (uint32_t i = 0; i < count; i++) {
        kpu_layer_info_t info;
        kpu_net_layer_info(net, i, &info, &diag);
        const char *name = kpu_layer_type_name(info.type);
        mp_printf(&mp_plat_print, "layer[%u]: KL_%s, %u bytes\n", (unsigned)info.index,
                  name != NULL ? name : "INVALID", (unsigned)info.body_size);
    }
    return list;
}
MP_DEFINE_CONST_FUN_OBJ_1(kpu_netinfo_obj, kpu_netinfo);
