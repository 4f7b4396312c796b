/* The drawing methods of Image (spec 2.9-2.11): draw_rectangle, draw_string, draw_image, and
 * draw_line / draw_circle / draw_cross. Arguments are parsed as tools/maixkpu/maixpy/
 * image_draw.py does; the pixels are the core's (img_draw*.c). Each returns the image. */
#include <string.h>
#include "image_mp.h"

/* the options that follow `used` coordinate arguments */
#define REST(n, a, used) ((n) - (used)), ((a) + (used))

static int int_option(mp_obj_t v, int dflt)
{
    return v != MP_OBJ_NULL ? image_int(v) : dflt;
}

static mp_float_t float_option(mp_obj_t v, mp_float_t dflt)
{
    return v != MP_OBJ_NULL ? image_float(v) : dflt;
}

static int bool_option(mp_obj_t v, int dflt)
{
    return v != MP_OBJ_NULL ? mp_obj_is_true(v) : dflt;
}

/* draw_rectangle(x, y, w, h[, color, thickness, fill]) or with an (x, y, w, h) */
static mp_obj_t image_draw_rectangle(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = image_self(args[0]);
    size_t n = n_args - 1;
    const mp_obj_t *a = args + 1;
    int r[4];
    size_t used = image_take_ints(n, a, 4, r);
    uint32_t color = image_color(image_option(REST(n, a, used), kw, 0, MP_QSTR_color),
                                 self->img.format);
    int thickness = int_option(image_option(REST(n, a, used), kw, 1, MP_QSTR_thickness), 1);
    int fill = bool_option(image_option(REST(n, a, used), kw, 2, MP_QSTR_fill), 0);
    image_check(img_draw_rectangle(&self->img, r[0], r[1], r[2], r[3], color, thickness, fill));
    return args[0];
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_draw_rectangle_obj, 1, image_draw_rectangle);

/* draw_string(x, y, text[, color, scale, x_spacing, y_spacing, mono_space]) or with an
 * (x, y, text) */
static mp_obj_t image_draw_string(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = image_self(args[0]);
    size_t n = n_args - 1;
    const mp_obj_t *a = args + 1;
    mp_obj_t x, y, text;
    size_t used;
    if (n > 0 && (mp_obj_is_type(a[0], &mp_type_tuple) || mp_obj_is_type(a[0], &mp_type_list))) {
        mp_obj_t *items;
        size_t len;
        mp_obj_get_array(a[0], &len, &items);
        if (len < 3) {
            mp_raise_msg(&mp_type_IndexError, MP_ERROR_TEXT("tuple index out of range"));
        }
        x = items[0];
        y = items[1];
        text = items[2];
        used = 1;
    } else if (n >= 3) {
        x = a[0];
        y = a[1];
        text = a[2];
        used = 3;
    } else {
        image_raise(IMG_ERR_NOT_ENOUGH_ARGS);
    }
    uint32_t color = image_color(image_option(REST(n, a, used), kw, 0, MP_QSTR_color),
                                 self->img.format);
    mp_float_t scale = float_option(image_option(REST(n, a, used), kw, 1, MP_QSTR_scale), 1);
    int x_spacing = int_option(image_option(REST(n, a, used), kw, 2, MP_QSTR_x_spacing), 0);
    int y_spacing = int_option(image_option(REST(n, a, used), kw, 3, MP_QSTR_y_spacing), 2);
    int mono = bool_option(image_option(REST(n, a, used), kw, 4, MP_QSTR_mono_space), 0);
    if (!(scale > 0)) {
        image_raise(IMG_ERR_SCALE); /* before the coordinates are read, as the host module */
    }
    int px = image_int(x), py = image_int(y);
    size_t len;
    const char *s;
    if (mp_obj_is_str(text)) {
        s = mp_obj_str_get_data(text, &len);
    } else { /* str(text) */
        vstr_t v;
        vstr_init(&v, 16);
        mp_print_t to_vstr = {&v, (mp_print_strn_t)vstr_add_strn};
        mp_obj_print_helper(&to_vstr, text, PRINT_STR);
        len = v.len;
        s = vstr_null_terminated_str(&v);
    }
    image_check(img_draw_string(&self->img, px, py, s, len, color, (double)scale, x_spacing,
                                y_spacing, mono));
    return args[0];
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_draw_string_obj, 1, image_draw_string);

/* src's pixels when they do not overlap dst's, else a copy (the core blits from separate
 * memory) */
static img_t separate(const img_t *src, const img_t *dst)
{
    img_t out = *src;
    size_t sn = img_pixels_size(src->w, src->h, src->format);
    size_t dn = img_pixels_size(dst->w, dst->h, dst->format);
    if (sn > 0 && dn > 0 && src->pixels < dst->pixels + dn && dst->pixels < src->pixels + sn) {
        out.pixels = image_alloc_bytes(sn);
        memcpy(out.pixels, src->pixels, sn);
        out.pix_ai = NULL;
    }
    return out;
}

/* draw_image(img, x, y[, x_scale, y_scale, alpha, mask]) or draw_image(img, (x, y), ...) */
static mp_obj_t image_draw_image(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = image_self(args[0]);
    size_t n = n_args - 1;
    const mp_obj_t *a = args + 1;
    if (n == 0) {
        image_raise(IMG_ERR_NOT_ENOUGH_ARGS);
    }
    image_mp_get(a[0]); /* TypeError for a non-Image */
    n--;
    a++;
    int xy[2];
    size_t used = image_take_ints(n, a, 2, xy);
    mp_float_t xs = float_option(image_option(REST(n, a, used), kw, 0, MP_QSTR_x_scale), 1);
    mp_float_t ys = float_option(image_option(REST(n, a, used), kw, 1, MP_QSTR_y_scale), 1);
    int alpha = int_option(image_option(REST(n, a, used), kw, 2, MP_QSTR_alpha), 256);
    mp_obj_t mask_in = image_option(REST(n, a, used), kw, 3, MP_QSTR_mask);
    if (xs < 0) {
        image_raise(IMG_ERR_X_SCALE);
    }
    if (ys < 0) {
        image_raise(IMG_ERR_Y_SCALE);
    }
    if (alpha < 0 || alpha > 256) {
        image_raise(IMG_ERR_ALPHA);
    }
    image_obj_t *src_obj = image_self(args[1]);
    img_t src = separate(&src_obj->img, &self->img);
    img_t mask, *maskp = NULL;
    if (mask_in != MP_OBJ_NULL && mask_in != mp_const_none) {
        image_mp_get(mask_in);
        mask = separate(&image_self(mask_in)->img, &self->img);
        maskp = &mask;
    }
    image_check(img_draw_image(&self->img, &src, xy[0], xy[1], (double)xs, (double)ys, alpha,
                               maskp, image_firmware()));
    return args[0];
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_draw_image_obj, 1, image_draw_image);

/* draw_line(x0, y0, x1, y1[, color, thickness]) or with an (x0, y0, x1, y1) */
static mp_obj_t image_draw_line(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = image_self(args[0]);
    size_t n = n_args - 1;
    const mp_obj_t *a = args + 1;
    int p[4];
    size_t used = image_take_ints(n, a, 4, p);
    uint32_t color = image_color(image_option(REST(n, a, used), kw, 0, MP_QSTR_color),
                                 self->img.format);
    int thickness = int_option(image_option(REST(n, a, used), kw, 1, MP_QSTR_thickness), 1);
    image_check(img_draw_line(&self->img, p[0], p[1], p[2], p[3], color, thickness));
    return args[0];
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_draw_line_obj, 1, image_draw_line);

/* draw_circle(x, y, radius[, color, thickness, fill]) or with an (x, y, radius) */
static mp_obj_t image_draw_circle(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = image_self(args[0]);
    size_t n = n_args - 1;
    const mp_obj_t *a = args + 1;
    int c[3];
    size_t used = image_take_ints(n, a, 3, c);
    uint32_t color = image_color(image_option(REST(n, a, used), kw, 0, MP_QSTR_color),
                                 self->img.format);
    int thickness = int_option(image_option(REST(n, a, used), kw, 1, MP_QSTR_thickness), 1);
    int fill = bool_option(image_option(REST(n, a, used), kw, 2, MP_QSTR_fill), 0);
    image_check(img_draw_circle(&self->img, c[0], c[1], c[2], color, thickness, fill));
    return args[0];
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_draw_circle_obj, 1, image_draw_circle);

/* draw_cross(x, y[, color, size=5, thickness=1]) or with an (x, y) */
static mp_obj_t image_draw_cross(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = image_self(args[0]);
    size_t n = n_args - 1;
    const mp_obj_t *a = args + 1;
    int xy[2];
    size_t used = image_take_ints(n, a, 2, xy);
    uint32_t color = image_color(image_option(REST(n, a, used), kw, 0, MP_QSTR_color),
                                 self->img.format);
    int size = int_option(image_option(REST(n, a, used), kw, 1, MP_QSTR_size), 5);
    int thickness = int_option(image_option(REST(n, a, used), kw, 2, MP_QSTR_thickness), 1);
    image_check(img_draw_cross(&self->img, xy[0], xy[1], color, size, thickness));
    return args[0];
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_draw_cross_obj, 1, image_draw_cross);
