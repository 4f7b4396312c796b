/* MaixPy-style argument parsing shared by the Image methods, as tools/maixkpu/maixpy/imaging/
 * args.py and tables.parse_color do it: coordinates given one by one or as one tuple, options
 * after them positionally or by keyword, colours as ints or (r, g, b). */
#include <math.h>
#include "py/objint.h"
#include "image_mp.h"

#define IMAGE_INT_LIMIT (1 << 30)

static int clamp_int(mp_int_t v)
{
    return v < -IMAGE_INT_LIMIT ? -IMAGE_INT_LIMIT : (v > IMAGE_INT_LIMIT ? IMAGE_INT_LIMIT : (int)v);
}

int image_int(mp_obj_t v)
{
    if (mp_obj_is_small_int(v)) {
        return clamp_int(MP_OBJ_SMALL_INT_VALUE(v));
    }
    if (mp_obj_is_bool(v)) {
        return v == mp_const_true;
    }
    if (mp_obj_is_int(v)) { /* a big int: only its side matters once clamped */
        return mp_obj_int_sign(v) < 0 ? -IMAGE_INT_LIMIT : IMAGE_INT_LIMIT;
    }
    #if MICROPY_PY_BUILTINS_FLOAT
    if (mp_obj_is_float(v)) {
        mp_float_t f = mp_obj_get_float(v);
        if (isnan(f)) {
            mp_raise_ValueError(MP_ERROR_TEXT("cannot convert float NaN to integer"));
        }
        if (isinf(f)) {
            mp_raise_msg(&mp_type_OverflowError,
                         MP_ERROR_TEXT("cannot convert float infinity to integer"));
        }
        if (f < (mp_float_t)-IMAGE_INT_LIMIT) {
            return -IMAGE_INT_LIMIT;
        }
        return f > (mp_float_t)IMAGE_INT_LIMIT ? IMAGE_INT_LIMIT : (int)f;
    }
    #endif
    return clamp_int(mp_obj_get_int(v)); /* TypeError "can't convert <type> to int" */
}

mp_float_t image_float(mp_obj_t v)
{
    return mp_obj_get_float(v);
}

size_t image_take_ints(size_t n_args, const mp_obj_t *args, size_t count, int *out)
{
    if (n_args > 0 && (mp_obj_is_type(args[0], &mp_type_tuple)
                       || mp_obj_is_type(args[0], &mp_type_list))) {
        size_t len;
        mp_obj_t *items;
        mp_obj_get_array(args[0], &len, &items);
        if (len < count) {
            image_raise(IMG_ERR_NOT_ENOUGH_ARGS);
        }
        for (size_t i = 0; i < count; i++) {
            out[i] = image_int(items[i]);
        }
        return 1;
    }
    if (n_args < count) {
        image_raise(IMG_ERR_NOT_ENOUGH_ARGS);
    }
    for (size_t i = 0; i < count; i++) {
        out[i] = image_int(args[i]);
    }
    return count;
}

mp_obj_t image_option(size_t n_rest, const mp_obj_t *rest, mp_map_t *kw, size_t index,
                      qstr name)
{
    if (kw != NULL) {
        mp_map_elem_t *e = mp_map_lookup(kw, MP_OBJ_NEW_QSTR(name), MP_MAP_LOOKUP);
        if (e != NULL) {
            return e->value;
        }
    }
    return index < n_rest ? rest[index] : MP_OBJ_NULL;
}

uint32_t image_color(mp_obj_t color, img_format_t fmt)
{
    if (color == MP_OBJ_NULL || color == mp_const_none) {
        return img_color_from_int(fmt, -1);
    }
    if (mp_obj_is_int(color) || mp_obj_is_bool(color)) {
        /* only the low 16 bits are kept, so a big int's low word is enough */
        mp_int_t v = mp_obj_is_small_int(color) || mp_obj_is_bool(color)
            ? mp_obj_get_int(color) : mp_obj_int_get_truncated(color);
        return img_color_from_int(fmt, (int64_t)v);
    }
    mp_obj_t *items;
    mp_obj_get_array_fixed_n(color, 3, &items); /* "requested length 3 but object has length N" */
    return img_color_from_rgb(fmt, image_int(items[0]), image_int(items[1]), image_int(items[2]),
                              image_firmware());
}

const img_rect_t *image_roi_arg(mp_obj_t roi, img_rect_t *out)
{
    if (roi == MP_OBJ_NULL || roi == mp_const_none) {
        return NULL;
    }
    mp_obj_t *items;
    mp_obj_get_array_fixed_n(roi, 4, &items);
    out->x = image_int(items[0]);
    out->y = image_int(items[1]);
    out->w = image_int(items[2]);
    out->h = image_int(items[3]);
    return out;
}
