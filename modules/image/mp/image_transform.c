/* Conversions, geometry and the KPU planes of Image: to_grayscale, to_rgb565, invert, resize,
 * cut, copy, crop, stretch, strech_char, pix_to_ai, ai_to_pix (spec 2.5-2.8, 2.12, 2.13), with
 * the argument rules, return values and prints of tools/maixkpu/maixpy/image.py. New images
 * start with no pix_ai unless the spec says otherwise. */
#include <string.h>
#include "image_mp.h"

#define GRAY_ONLY "only support grayscale now"

static int copy_arg(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    static const mp_arg_t allowed[] = {
        { MP_QSTR_copy, MP_ARG_OBJ, {.u_obj = mp_const_false} },
    };
    mp_arg_val_t val[1];
    mp_arg_parse_all(n_args - 1, args + 1, kw, 1, allowed, val);
    return mp_obj_is_true(val[0].u_obj);
}

static size_t plane_bytes(const image_obj_t *self)
{
    return (size_t)self->img.w * (size_t)self->img.h;
}

/* A new object sharing self's memory (to_grayscale in place returns one). */
static mp_obj_t share(const image_obj_t *self)
{
    image_obj_t *out = mp_obj_malloc(image_obj_t, &image_Image_type);
    out->img = self->img;
    out->pix_cap = self->pix_cap;
    out->ai_cap = self->ai_cap;
    out->owner = self->owner;
    out->empty = 0;
    return MP_OBJ_FROM_PTR(out);
}

/* to_grayscale(copy=False): in place by default (this object turns gray too, bytes w*h.. keep
 * the RGB565 bytes, pix_ai is shared); copy=True: new memory and a zeroed 3*w*h pix_ai. */
static mp_obj_t image_to_grayscale(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    int copy = copy_arg(n_args, args, kw);
    image_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    if (self->empty && !copy) {
        image_raise(IMG_ERR_GRAY_IN_PLACE);
    }
    self = image_self(args[0]);
    if (copy) {
        image_obj_t *out = image_alloc(self->img.w, self->img.h, IMG_GRAYSCALE);
        image_check(img_to_grayscale(&out->img, &self->img, image_firmware()));
        image_ensure_ai(out, 3 * plane_bytes(self), 3 * plane_bytes(self));
        return MP_OBJ_FROM_PTR(out);
    }
    if (self->img.format == IMG_GRAYSCALE) {
        return args[0];
    }
    img_t src = self->img, dst = self->img;
    image_check(img_to_grayscale(&dst, &src, image_firmware()));
    self->img = dst;
    return share(self);
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_to_grayscale_obj, 1, image_to_grayscale);

/* to_rgb565(copy=False): gray -> RGB565 only with copy=True (R = G = B = g, rounded). */
static mp_obj_t image_to_rgb565(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    int copy = copy_arg(n_args, args, kw);
    image_obj_t *self = image_self(args[0]);
    if (self->img.format == IMG_RGB565 && !copy) {
        return args[0];
    }
    if (self->img.format == IMG_GRAYSCALE && !copy) {
        image_raise(IMG_ERR_RGB565_IN_PLACE);
    }
    image_obj_t *out = image_alloc(self->img.w, self->img.h, IMG_RGB565);
    image_check(img_to_rgb565(&out->img, &self->img));
    return MP_OBJ_FROM_PTR(out);
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_to_rgb565_obj, 1, image_to_rgb565);

static mp_obj_t image_invert(mp_obj_t self_in)
{
    image_check(img_invert(&image_self(self_in)->img));
    return self_in;
}
MP_DEFINE_CONST_FUN_OBJ_1(image_invert_obj, image_invert);

/* resize(w, h): a new image (pix_ai None) by MaixPy's bilinear / box / nearest paths; the gray
 * box path reads past the image into the rest of the backing buffer, as MaixPy does. */
static mp_obj_t image_resize(mp_obj_t self_in, mp_obj_t w_in, mp_obj_t h_in)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    int w = image_int(w_in), h = image_int(h_in);
    if (self->empty) {
        mp_printf(&mp_plat_print, "only support grayscale, 565 zoom out now\n");
        return mp_const_none;
    }
    image_obj_t *out = image_alloc(w, h, self->img.format);
    image_check(img_resize(&out->img, &self->img, self->pix_cap));
    return MP_OBJ_FROM_PTR(out);
}
MP_DEFINE_CONST_FUN_OBJ_3(image_resize_obj, image_resize);

/* cut(x, y, w, h): a new zeroed w x h image holding src[y:y+h, x:x+w]. */
static mp_obj_t image_cut(size_t n_args, const mp_obj_t *args)
{
    (void)n_args;
    image_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    if (self->empty) {
        mp_printf(&mp_plat_print, "pixel format not support!\n");
        return mp_const_none;
    }
    int x = image_int(args[1]), y = image_int(args[2]);
    image_obj_t *out = image_alloc(image_int(args[3]), image_int(args[4]), self->img.format);
    image_check(img_cut(&out->img, &self->img, x, y));
    return MP_OBJ_FROM_PTR(out);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(image_cut_obj, 5, 5, image_cut);

/* copy / crop: (roi, x_scale, y_scale) -> a new nearest-neighbour image of the clipped ROI */
static image_obj_t *scaled_copy(image_obj_t *self, size_t n, const mp_obj_t *a, mp_map_t *kw)
{
    img_rect_t roi_buf, clipped;
    const img_rect_t *roi = image_roi_arg(image_option(n, a, kw, 0, MP_QSTR_roi), &roi_buf);
    mp_obj_t xs_in = image_option(n, a, kw, 1, MP_QSTR_x_scale);
    mp_obj_t ys_in = image_option(n, a, kw, 2, MP_QSTR_y_scale);
    /* the scales are float32 in MaixPy; the core takes doubles */
    mp_float_t xs = xs_in != MP_OBJ_NULL ? image_float(xs_in) : (mp_float_t)1;
    mp_float_t ys = ys_in != MP_OBJ_NULL ? image_float(ys_in) : (mp_float_t)1;
    int ow, oh;
    image_check(img_copy_size(&self->img, roi, (double)xs, (double)ys, &clipped, &ow, &oh));
    image_obj_t *out = image_alloc(ow, oh, self->img.format);
    image_check(img_copy(&out->img, &self->img, &clipped, (double)xs, (double)ys));
    return out;
}

/* copy(roi, x_scale=1.0, y_scale=1.0, copy_to_fb=False) (v0.6.3 form; pix_ai None) */
static mp_obj_t image_copy(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = image_self(args[0]);
    return MP_OBJ_FROM_PTR(scaled_copy(self, n_args - 1, args + 1, kw));
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_copy_obj, 1, image_copy);

/* The pixels of `from` become target's (its pix_ai stays, as in MaixPy's crop). */
static void take_pixels(image_obj_t *target, const image_obj_t *from)
{
    target->img.w = from->img.w;
    target->img.h = from->img.h;
    target->img.format = from->img.format;
    target->img.pixels = from->img.pixels;
    target->pix_cap = from->pix_cap;
    target->empty = 0;
}

/* crop(roi, x_scale, y_scale, copy=False): in place by default, copy=True for a new image, or
 * an Image to write into. */
static mp_obj_t image_crop(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = image_self(args[0]);
    mp_obj_t target = image_option(n_args - 1, args + 1, kw, 3, MP_QSTR_copy);
    image_obj_t *out = scaled_copy(self, n_args - 1, args + 1, kw);
    if (target != MP_OBJ_NULL && mp_obj_is_type(target, &image_Image_type)) {
        take_pixels(MP_OBJ_TO_PTR(target), out);
        return target;
    }
    if (target != MP_OBJ_NULL && mp_obj_is_true(target)) {
        return MP_OBJ_FROM_PTR(out);
    }
    take_pixels(self, out);
    return args[0];
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_crop_obj, 1, image_crop);

/* stretch(min, max): gray only, in place, returns None */
static mp_obj_t image_stretch(mp_obj_t self_in, mp_obj_t low, mp_obj_t high)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->empty || self->img.format != IMG_GRAYSCALE) {
        mp_printf(&mp_plat_print, GRAY_ONLY "\n");
        return mp_const_none;
    }
    image_check(img_stretch(&self->img, image_int(low), image_int(high)));
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_3(image_stretch_obj, image_stretch);

/* strech_char(de_dark) (MaixPy's spelling): gray only, in place, returns None */
static mp_obj_t image_strech_char(mp_obj_t self_in, mp_obj_t de_dark)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->empty || self->img.format != IMG_GRAYSCALE) {
        mp_printf(&mp_plat_print, GRAY_ONLY "\n");
        return mp_const_none;
    }
    image_check(img_strech_char(&self->img, image_int(de_dark)));
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(image_strech_char_obj, image_strech_char);

/* pix_to_ai(): fills the KPU planes (allocated on first use at MaixPy's size; one that is too
 * small, e.g. after a crop, is replaced instead of overrun). Returns None. */
static mp_obj_t image_pix_to_ai(mp_obj_t self_in)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->empty) {
        mp_printf(&mp_plat_print, GRAY_ONLY "\n");
        return mp_const_none;
    }
    image_ensure_ai(self, img_pix_ai_size(&self->img), img_pix_ai_alloc_size(&self->img));
    image_check(img_pix_to_ai(&self->img));
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_1(image_pix_to_ai_obj, image_pix_to_ai);

/* ai_to_pix(): the reverse; None and no change without pix_ai. */
static mp_obj_t image_ai_to_pix(mp_obj_t self_in)
{
    image_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->img.pix_ai == NULL) {
        return mp_const_none;
    }
    if (self->empty) {
        mp_printf(&mp_plat_print, GRAY_ONLY "\n");
        return mp_const_none;
    }
    if (self->ai_cap < img_pix_ai_size(&self->img)) {
        image_raise(IMG_ERR_NO_PIX_AI); /* planes from before a crop: too small to read */
    }
    image_check(img_ai_to_pix(&self->img));
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_1(image_ai_to_pix_obj, image_ai_to_pix);
