/* The Image type: construction (image.Image(...), image_mp_new / _wrap / _get), repr,
 * accessors, to_bytes and the buffer protocol, indexing, get_pixel / set_pixel, clear.
 *
 * Memory: pixels and pix_ai live on the GC heap, as in MaixPy. An image is reclaimed with its
 * object (no finaliser to wait for: C-heap images would pile up until the GC heap filled) and
 * views share memory by plain references. The price is GC scanning of pixel bytes (about
 * 0.4 ms per gc.collect() on a PC for a 320x240 RGB565 image with its planes; README). Views
 * made by image_mp_wrap (a KPU feature map, a camera frame) keep their owner alive instead. */
#include <string.h>
#include "image_mp.h"

#if !MICROPY_PY_BUILTINS_FLOAT
#error "the image module needs float support (MICROPY_PY_BUILTINS_FLOAT)"
#endif

#define DEFAULT_WIDTH 320 /* CONFIG_LCD_DEFAULT_WIDTH/HEIGHT of maixpy_k210 */
#define DEFAULT_HEIGHT 240
#define SENSOR_RGB565 2   /* Image.format() values (the sensor module's constants) */
#define SENSOR_GRAYSCALE 4

img_firmware_t image_firmware(void)
{
    #if defined(MAIXKPU_IMAGE_MINIMUM) && MAIXKPU_IMAGE_MINIMUM
    return IMG_FW_MINIMUM;
    #else
    return IMG_FW_FULL;
    #endif
}

/* ----- memory ---------------------------------------------------------------------------------- */

uint8_t *image_alloc_bytes(size_t n)
{
    if (n == 0) {
        return NULL;
    }
    uint8_t *p = m_malloc_maybe(n);
    if (p == NULL) {
        image_raise(IMG_ERR_NO_MEMORY);
    }
    memset(p, 0, n);
    return p;
}

static size_t checked_size(int w, int h, size_t bpp)
{
    if (w < 0 || h < 0) {
        image_raise(IMG_ERR_ARGUMENT);
    }
    if (w != 0 && (size_t)h > SIZE_MAX / (size_t)w / (bpp * 3)) {
        image_raise(IMG_ERR_NO_MEMORY); /* more than any heap holds */
    }
    return (size_t)w * (size_t)h * bpp;
}

static image_obj_t *new_obj(void)
{
    image_obj_t *self = mp_obj_malloc(image_obj_t, &image_Image_type);
    memset(&self->img, 0, sizeof self->img);
    self->img.format = IMG_RGB565;
    self->pix_cap = 0;
    self->ai_cap = 0;
    self->owner = MP_OBJ_NULL;
    self->empty = 0;
    return self;
}

image_obj_t *image_alloc(int w, int h, img_format_t fmt)
{
    size_t n = checked_size(w, h, (size_t)fmt);
    image_obj_t *self = new_obj();
    self->img.w = w;
    self->img.h = h;
    self->img.format = fmt;
    self->img.pixels = image_alloc_bytes(n);
    self->pix_cap = n;
    return self;
}

void image_ensure_ai(image_obj_t *self, size_t need, size_t alloc)
{
    if (self->img.pix_ai == NULL || self->ai_cap < need) {
        self->img.pix_ai = NULL; /* set before allocating: MemoryError leaves a clean object */
        self->ai_cap = 0;
        self->img.pix_ai = image_alloc_bytes(alloc < need ? need : alloc);
        self->ai_cap = alloc < need ? need : alloc;
    }
}

mp_obj_t image_mp_new(int w, int h, img_format_t fmt, int with_ai)
{
    image_obj_t *self = image_alloc(w, h, fmt);
    if (with_ai) {
        image_ensure_ai(self, img_pix_ai_size(&self->img), img_pix_ai_alloc_size(&self->img));
    }
    return MP_OBJ_FROM_PTR(self);
}

mp_obj_t image_mp_wrap_bytes(img_t *view, mp_obj_t owner, size_t readable)
{
    image_check(img_check(view));
    size_t n = img_pixels_size(view->w, view->h, view->format);
    image_obj_t *self = new_obj();
    self->img = *view;
    self->pix_cap = readable > n ? readable : n;
    self->ai_cap = view->pix_ai != NULL ? img_pix_ai_size(view) : 0;
    self->owner = owner;
    return MP_OBJ_FROM_PTR(self);
}

mp_obj_t image_mp_wrap(img_t *view, mp_obj_t owner)
{
    return image_mp_wrap_bytes(view, owner, 0);
}

size_t image_mp_ai_bytes(mp_obj_t obj)
{
    image_mp_get(obj);
    image_obj_t *self = MP_OBJ_TO_PTR(obj);
    return self->img.pix_ai != NULL ? self->ai_cap : 0;
}

img_t *image_mp_get(mp_obj_t obj)
{
    if (!mp_obj_is_type(obj, &image_Image_type)) {
        image_raise_not_image(obj);
    }
    return &((image_obj_t *)MP_OBJ_TO_PTR(obj))->img;
}

image_obj_t *image_self(mp_obj_t self_in)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->empty) {
        image_raise(IMG_ERR_FORMAT);
    }
    return self;
}

/* ----- construction ------------------------------------------------------------------------------ */

/* Image(path | data | file, size=(w, h), copy_to_fb=False, from_bytes=False) */
static mp_obj_t image_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
                               const mp_obj_t *args)
{
    (void)type;
    mp_map_t kw;
    mp_map_init_fixed_table(&kw, n_kw, args + n_args);
    mp_obj_t size = MP_OBJ_NULL;
    int from_bytes = 0;
    for (size_t i = 0; i < n_kw; i++) {
        mp_obj_t key = kw.table[i].key, value = kw.table[i].value;
        if (key == MP_OBJ_NEW_QSTR(MP_QSTR_size)) {
            size = value;
        } else if (key == MP_OBJ_NEW_QSTR(MP_QSTR_from_bytes)) {
            from_bytes = mp_obj_is_true(value);
        } else if (key != MP_OBJ_NEW_QSTR(MP_QSTR_copy_to_fb)) { /* no frame buffer here */
            mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("unexpected keyword argument '%q'"),
                              mp_obj_str_get_qstr(key));
        }
    }
    mp_obj_t source = n_args > 0 ? args[0] : mp_const_none;
    /* MaixPy's quirk, kept: a keyword size makes a blank image even when a path is given */
    if ((size != MP_OBJ_NULL && size != mp_const_none) || source == mp_const_none) {
        int w = 0, h = 0;
        if (size != MP_OBJ_NULL && size != mp_const_none) {
            mp_obj_t *wh;
            mp_obj_get_array_fixed_n(size, 2, &wh);
            w = image_int(wh[0]);
            h = image_int(wh[1]);
        }
        if (w <= 0 || h <= 0) {
            w = DEFAULT_WIDTH;
            h = DEFAULT_HEIGHT;
        }
        return MP_OBJ_FROM_PTR(image_alloc(w, h, IMG_RGB565));
    }
    image_obj_t *self = new_obj();
    image_load_into(self, source, from_bytes);
    return MP_OBJ_FROM_PTR(self);
}

/* ----- repr and accessors ------------------------------------------------------------------------ */

static size_t byte_size(const image_obj_t *self)
{
    if (self->empty) {
        return 0; /* binary 0 x 0 */
    }
    return img_pixels_size(self->img.w, self->img.h, self->img.format);
}

/* {"w":320, "h":240, "type"="rgb565", "size":153600} (spec 5) */
static void image_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind)
{
    (void)kind;
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const char *name = self->empty ? "binary"
                       : (self->img.format == IMG_RGB565 ? "rgb565" : "grayscale");
    mp_printf(print, "{\"w\":%d, \"h\":%d, \"type\"=\"%s\", \"size\":%u}", self->img.w,
              self->img.h, name, (unsigned)byte_size(self));
}

static mp_obj_t image_width(mp_obj_t self_in)
{
    return MP_OBJ_NEW_SMALL_INT(((image_obj_t *)MP_OBJ_TO_PTR(self_in))->img.w);
}
static MP_DEFINE_CONST_FUN_OBJ_1(image_width_obj, image_width);

static mp_obj_t image_height(mp_obj_t self_in)
{
    return MP_OBJ_NEW_SMALL_INT(((image_obj_t *)MP_OBJ_TO_PTR(self_in))->img.h);
}
static MP_DEFINE_CONST_FUN_OBJ_1(image_height_obj, image_height);

/* sensor.RGB565 (2) or sensor.GRAYSCALE (4); None for the binary empty image */
static mp_obj_t image_format(mp_obj_t self_in)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->empty) {
        return mp_const_none;
    }
    return MP_OBJ_NEW_SMALL_INT(self->img.format == IMG_RGB565 ? SENSOR_RGB565 : SENSOR_GRAYSCALE);
}
static MP_DEFINE_CONST_FUN_OBJ_1(image_format_obj, image_format);

static mp_obj_t image_size(mp_obj_t self_in)
{
    return mp_obj_new_int_from_uint(byte_size(MP_OBJ_TO_PTR(self_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(image_size_obj, image_size);

/* The raw pixel bytes, aliasing the image (MaixPy: a bytearray over the same memory). A view
 * whose owner exposes the memory gets a memoryview slice of the owner instead, so that the
 * result keeps the owner alive (a bytearray by reference into the middle of a GC block would
 * not). */
static mp_obj_t image_to_bytes(mp_obj_t self_in)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t n = byte_size(self);
    #if MICROPY_PY_BUILTINS_MEMORYVIEW && MICROPY_PY_BUILTINS_SLICE
    mp_buffer_info_t bi;
    if (self->owner != MP_OBJ_NULL && n > 0 && mp_get_buffer(self->owner, &bi, MP_BUFFER_READ)
        && bi.typecode == 'B') {
        const uint8_t *base = bi.buf;
        if (self->img.pixels >= base && self->img.pixels + n <= base + bi.len) {
            size_t at = (size_t)(self->img.pixels - base);
            mp_obj_t view = mp_call_function_1(MP_OBJ_FROM_PTR(&mp_type_memoryview), self->owner);
            mp_obj_t range = mp_obj_new_slice(mp_obj_new_int_from_uint(at),
                                              mp_obj_new_int_from_uint(at + n), mp_const_none);
            return mp_obj_subscr(view, range, MP_OBJ_SENTINEL);
        }
    }
    #endif
    return mp_obj_new_bytearray_by_ref(n, self->img.pixels);
}
static MP_DEFINE_CONST_FUN_OBJ_1(image_to_bytes_obj, image_to_bytes);

/* Read-only, typecode 'b', the raw bytes of spec 1.2 (as MaixPy). */
static mp_int_t image_get_buffer(mp_obj_t self_in, mp_buffer_info_t *bi, mp_uint_t flags)
{
    if (flags & MP_BUFFER_WRITE) {
        return 1;
    }
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    bi->buf = self->img.pixels;
    bi->len = byte_size(self);
    bi->typecode = 'b';
    return 0;
}

/* ----- pixels -------------------------------------------------------------------------------------- */

static mp_obj_t rgb_tuple(const uint8_t rgb[3])
{
    mp_obj_t items[3] = {MP_OBJ_NEW_SMALL_INT(rgb[0]), MP_OBJ_NEW_SMALL_INT(rgb[1]),
                         MP_OBJ_NEW_SMALL_INT(rgb[2])};
    return mp_obj_new_tuple(3, items);
}

/* img[i]: RGB565 -> (r, g, b) (rb528/g628), gray -> int */
static mp_obj_t pixel_out(const image_obj_t *self, size_t i)
{
    const uint8_t *p = self->img.pixels;
    if (self->img.format == IMG_RGB565) {
        uint8_t rgb[3];
        img_rgb888_from_rgb565((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)), &rgb[0], &rgb[1],
                               &rgb[2]);
        return rgb_tuple(rgb);
    }
    return MP_OBJ_NEW_SMALL_INT(p[i]);
}

static uint32_t pixel_in(const image_obj_t *self, mp_obj_t value)
{
    if (self->img.format == IMG_RGB565) {
        if (!mp_obj_is_type(value, &mp_type_tuple) && !mp_obj_is_type(value, &mp_type_list)) {
            mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("object '%s' isn't a tuple or list"),
                              mp_obj_get_type_str(value));
        }
        return image_color(value, IMG_RGB565);
    }
    return (uint32_t)image_int(value) & 0xFFu;
}

static void pixel_store(image_obj_t *self, size_t i, uint32_t v)
{
    uint8_t *p = self->img.pixels;
    if (self->img.format == IMG_RGB565) {
        p[2 * i] = (uint8_t)v;
        p[2 * i + 1] = (uint8_t)(v >> 8);
    } else {
        p[i] = (uint8_t)v;
    }
}

static mp_obj_t image_subscr(mp_obj_t self_in, mp_obj_t index, mp_obj_t value)
{
    if (value == MP_OBJ_NULL) {
        return MP_OBJ_NULL; /* no deletion */
    }
    image_obj_t *self = image_self(self_in);
    size_t n = (size_t)self->img.w * (size_t)self->img.h;
    int load = value == MP_OBJ_SENTINEL;
    #if MICROPY_PY_BUILTINS_SLICE
    if (mp_obj_is_type(index, &mp_type_slice)) {
        mp_bound_slice_t slice;
        if (!mp_seq_get_fast_slice_indexes(n, index, &slice)) {
            image_raise(IMG_ERR_SLICE_STEP);
        }
        size_t start = (size_t)slice.start;
        size_t count = slice.stop > slice.start ? (size_t)(slice.stop - slice.start) : 0;
        if (load) {
            mp_obj_tuple_t *t = MP_OBJ_TO_PTR(mp_obj_new_tuple(count, NULL));
            for (size_t i = 0; i < count; i++) {
                t->items[i] = pixel_out(self, start + i);
            }
            return MP_OBJ_FROM_PTR(t);
        }
        if (mp_obj_is_type(value, &mp_type_list)) {
            size_t len;
            mp_obj_t *items;
            mp_obj_list_get(value, &len, &items);
            if (len != count) {
                image_raise(IMG_ERR_GROW_SHRINK);
            }
            for (size_t i = 0; i < count; i++) {
                pixel_store(self, start + i, pixel_in(self, items[i]));
            }
        } else {
            uint32_t v = pixel_in(self, value);
            for (size_t i = 0; i < count; i++) {
                pixel_store(self, start + i, v);
            }
        }
        return mp_const_none;
    }
    #endif
    mp_int_t at = mp_obj_get_int(index);
    if (at < 0) {
        at += (mp_int_t)n;
    }
    if (at < 0 || (size_t)at >= n) {
        image_raise(IMG_ERR_INDEX);
    }
    if (load) {
        return pixel_out(self, (size_t)at);
    }
    pixel_store(self, (size_t)at, pixel_in(self, value));
    return mp_const_none;
}

/* get_pixel(x, y[, rgbtuple]) or get_pixel((x, y)[, rgbtuple]); None off the image */
static mp_obj_t image_get_pixel(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = MP_OBJ_TO_PTR(args[0]); /* the empty image: None, it has no pixels */
    n_args--;
    args++;
    if (n_args == 1 && !mp_obj_is_type(args[0], &mp_type_tuple)
        && !mp_obj_is_type(args[0], &mp_type_list)) {
        image_raise(IMG_ERR_NOT_ENOUGH_ARGS);
    }
    int xy[2];
    size_t used = image_take_ints(n_args, args, 2, xy);
    mp_obj_t opt = image_option(n_args - used, args + used, kw, 0, MP_QSTR_rgbtuple);
    int rgbtuple = opt != MP_OBJ_NULL ? mp_obj_is_true(opt) : self->img.format == IMG_RGB565;
    if (rgbtuple) {
        uint8_t rgb[3];
        img_status_t st = img_get_pixel_rgb(&self->img, xy[0], xy[1], rgb);
        image_check(st);
        return st == IMG_NONE ? mp_const_none : rgb_tuple(rgb);
    }
    uint32_t v;
    img_status_t st = img_get_pixel(&self->img, xy[0], xy[1], &v);
    image_check(st);
    return st == IMG_NONE ? mp_const_none : mp_obj_new_int_from_uint(v);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(image_get_pixel_obj, 1, image_get_pixel);

/* set_pixel(x, y[, color]) or set_pixel((x, y)[, color]); off the image is ignored */
static mp_obj_t image_set_pixel(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = MP_OBJ_TO_PTR(args[0]); /* the empty image: nothing to set */
    int xy[2];
    size_t used = image_take_ints(n_args - 1, args + 1, 2, xy);
    mp_obj_t color = image_option(n_args - 1 - used, args + 1 + used, kw, 0, MP_QSTR_color);
    image_check(img_set_pixel(&self->img, xy[0], xy[1], image_color(color, self->img.format)));
    return args[0];
}
static MP_DEFINE_CONST_FUN_OBJ_KW(image_set_pixel_obj, 1, image_set_pixel);

static mp_obj_t image_clear(mp_obj_t self_in)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (!self->empty) {
        image_check(img_clear(&self->img));
    }
    return self_in;
}
static MP_DEFINE_CONST_FUN_OBJ_1(image_clear_obj, image_clear);

/* Scripts call img.__del__() to give memory back early: the object lets go of its pixels (the
 * GC frees them once no view refers to them) and is a 0 x 0 image from then on. */
static mp_obj_t image_del(mp_obj_t self_in)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    self->img.w = 0;
    self->img.h = 0;
    self->img.pixels = NULL;
    self->img.pix_ai = NULL;
    self->pix_cap = 0;
    self->ai_cap = 0;
    self->owner = MP_OBJ_NULL;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(image_del_obj, image_del);

static const mp_rom_map_elem_t image_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_width), MP_ROM_PTR(&image_width_obj) },
    { MP_ROM_QSTR(MP_QSTR_height), MP_ROM_PTR(&image_height_obj) },
    { MP_ROM_QSTR(MP_QSTR_format), MP_ROM_PTR(&image_format_obj) },
    { MP_ROM_QSTR(MP_QSTR_size), MP_ROM_PTR(&image_size_obj) },
    { MP_ROM_QSTR(MP_QSTR_to_bytes), MP_ROM_PTR(&image_to_bytes_obj) },
    { MP_ROM_QSTR(MP_QSTR_get_pixel), MP_ROM_PTR(&image_get_pixel_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_pixel), MP_ROM_PTR(&image_set_pixel_obj) },
    { MP_ROM_QSTR(MP_QSTR_clear), MP_ROM_PTR(&image_clear_obj) },
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&image_del_obj) },
    /* drawing (image_draw.c) */
    { MP_ROM_QSTR(MP_QSTR_draw_rectangle), MP_ROM_PTR(&image_draw_rectangle_obj) },
    { MP_ROM_QSTR(MP_QSTR_draw_string), MP_ROM_PTR(&image_draw_string_obj) },
    { MP_ROM_QSTR(MP_QSTR_draw_image), MP_ROM_PTR(&image_draw_image_obj) },
    { MP_ROM_QSTR(MP_QSTR_draw_line), MP_ROM_PTR(&image_draw_line_obj) },
    { MP_ROM_QSTR(MP_QSTR_draw_circle), MP_ROM_PTR(&image_draw_circle_obj) },
    { MP_ROM_QSTR(MP_QSTR_draw_cross), MP_ROM_PTR(&image_draw_cross_obj) },
    /* conversions and geometry (image_transform.c) */
    { MP_ROM_QSTR(MP_QSTR_to_grayscale), MP_ROM_PTR(&image_to_grayscale_obj) },
    { MP_ROM_QSTR(MP_QSTR_to_rgb565), MP_ROM_PTR(&image_to_rgb565_obj) },
    #if !(defined(MAIXKPU_IMAGE_MINIMUM) && MAIXKPU_IMAGE_MINIMUM)
    { MP_ROM_QSTR(MP_QSTR_invert), MP_ROM_PTR(&image_invert_obj) }, /* full firmware only */
    #endif
    { MP_ROM_QSTR(MP_QSTR_resize), MP_ROM_PTR(&image_resize_obj) },
    { MP_ROM_QSTR(MP_QSTR_cut), MP_ROM_PTR(&image_cut_obj) },
    { MP_ROM_QSTR(MP_QSTR_copy), MP_ROM_PTR(&image_copy_obj) },
    { MP_ROM_QSTR(MP_QSTR_crop), MP_ROM_PTR(&image_crop_obj) },
    { MP_ROM_QSTR(MP_QSTR_stretch), MP_ROM_PTR(&image_stretch_obj) },
    { MP_ROM_QSTR(MP_QSTR_strech_char), MP_ROM_PTR(&image_strech_char_obj) },
    { MP_ROM_QSTR(MP_QSTR_pix_to_ai), MP_ROM_PTR(&image_pix_to_ai_obj) },
    { MP_ROM_QSTR(MP_QSTR_ai_to_pix), MP_ROM_PTR(&image_ai_to_pix_obj) },
    /* files (image_file.c) */
    { MP_ROM_QSTR(MP_QSTR_save), MP_ROM_PTR(&image_save_obj) },
};
static MP_DEFINE_CONST_DICT(image_locals, image_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
    image_Image_type, MP_QSTR_Image, MP_TYPE_FLAG_NONE,
    make_new, image_make_new,
    print, image_print,
    subscr, image_subscr,
    buffer, image_get_buffer,
    locals_dict, &image_locals
    );
