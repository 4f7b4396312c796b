/* MaixPy's `image` module for MicroPython: the glue over the portable core (core/img.h).
 * The public part (image_Image_type, image_mp_new, image_mp_wrap, image_mp_get) is what other
 * modules use (KPU, sensor, lcd); the rest is shared by the files of this folder. Behaviour,
 * reprs and error texts follow the CPython module tools/maixkpu/maixpy/image.py. */
#ifndef IMAGE_MP_H
#define IMAGE_MP_H

#include "py/obj.h"
#include "py/runtime.h"
#include "img.h"

/* MicroPython before v1.26 spells MP_NORETURN as NORETURN. */
#ifndef MP_NORETURN
#define MP_NORETURN NORETURN
#endif

/* ----- public interface ---------------------------------------------------------------------- */
extern const mp_obj_type_t image_Image_type;
/* A new black w x h image (pixels on the GC heap); with_ai also allocates a zeroed pix_ai of
 * MaixPy's size. MemoryError with MaixPy's text when the heap is short. */
mp_obj_t image_mp_new(int w, int h, img_format_t fmt, int with_ai);
/* An Image over view's memory (no copy); owner is kept alive as long as the Image (pass the
 * object that holds the memory, or mp_const_none for memory outside the GC heap). */
mp_obj_t image_mp_wrap(img_t *view, mp_obj_t owner);
/* image_mp_wrap where `readable` bytes from view->pixels may be read (>= the image's bytes;
 * resize's box path reads past the image, spec 2.7: a feature map's channel is followed by
 * the next ones). */
mp_obj_t image_mp_wrap_bytes(img_t *view, mp_obj_t owner, size_t readable);
/* How many bytes at the image's pix_ai may be read (0 without pix_ai). */
size_t image_mp_ai_bytes(mp_obj_t obj);
/* The img_t of an Image; TypeError "Can't convert <type> to type" (MaixPy) otherwise. */
img_t *image_mp_get(mp_obj_t obj);

/* ----- the object (image_obj.c) --------------------------------------------------------------- */
typedef struct _image_obj_t {
    mp_obj_base_t base;
    img_t img;
    size_t pix_cap;  /* readable bytes from img.pixels (the backing buffer; resize reads past
                      * the image, spec 2.7) */
    size_t ai_cap;   /* bytes at img.pix_ai */
    mp_obj_t owner;  /* keeps borrowed memory alive (views), else MP_OBJ_NULL */
    uint8_t empty;   /* MaixPy's 0x0 "binary" image of a failed decode: no pixel methods */
} image_obj_t;

/* The object behind self_in; OSError "Image format is not supported!" for the empty binary
 * image (every pixel method starts here). */
image_obj_t *image_self(mp_obj_t self_in);
/* A new image object owning a fresh zeroed buffer of w x h fmt (no pix_ai). */
image_obj_t *image_alloc(int w, int h, img_format_t fmt);
/* GC-heap bytes for pixel data; MemoryError (MaixPy's text) when the heap is short. */
uint8_t *image_alloc_bytes(size_t n);
/* pix_ai of at least need bytes (allocated with alloc bytes when missing or too small). */
void image_ensure_ai(image_obj_t *self, size_t need, size_t alloc);
/* The image module's firmware flavour (full unless built with MAIXKPU_IMAGE_MINIMUM=1). */
img_firmware_t image_firmware(void);

/* ----- errors (image_errors.c) ---------------------------------------------------------------- */
/* Raises the exception the core's status table gives st (nothing for IMG_OK / IMG_NONE). */
void image_check(img_status_t st);
MP_NORETURN void image_raise(img_status_t st);
MP_NORETURN void image_raise_not_image(mp_obj_t obj);

/* ----- argument parsing (image_args.c) -------------------------------------------------------- */
/* Python's int(v) for ints, bools and floats (truncated), kept within +-2^30 so that sums of
 * coordinates cannot overflow a C int. */
int image_int(mp_obj_t v);
mp_float_t image_float(mp_obj_t v);
/* `(a, b, ...)` or `((a, b, ...), ...)`: count ints into out; returns how many positional
 * arguments they used (1 or count). OSError "Not enough positional arguments!" when short. */
size_t image_take_ints(size_t n_args, const mp_obj_t *args, size_t count, int *out);
/* An argument after the coordinates: keyword name, else rest[index], else MP_OBJ_NULL. */
mp_obj_t image_option(size_t n_rest, const mp_obj_t *rest, mp_map_t *kw, size_t index,
                      qstr name);
/* A colour argument (int, (r, g, b), None or absent = white) as stored in fmt. */
uint32_t image_color(mp_obj_t color, img_format_t fmt);
/* An (x, y, w, h) ROI argument (None or absent: NULL = whole image). */
const img_rect_t *image_roi_arg(mp_obj_t roi, img_rect_t *out);

/* ----- method tables of the other files ------------------------------------------------------- */
MP_DECLARE_CONST_FUN_OBJ_KW(image_draw_rectangle_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(image_draw_string_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(image_draw_image_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(image_draw_line_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(image_draw_circle_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(image_draw_cross_obj);

MP_DECLARE_CONST_FUN_OBJ_KW(image_to_grayscale_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(image_to_rgb565_obj);
MP_DECLARE_CONST_FUN_OBJ_1(image_invert_obj);
MP_DECLARE_CONST_FUN_OBJ_3(image_resize_obj);
MP_DECLARE_CONST_FUN_OBJ_VAR_BETWEEN(image_cut_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(image_copy_obj);
MP_DECLARE_CONST_FUN_OBJ_KW(image_crop_obj);
MP_DECLARE_CONST_FUN_OBJ_3(image_stretch_obj);
MP_DECLARE_CONST_FUN_OBJ_2(image_strech_char_obj);
MP_DECLARE_CONST_FUN_OBJ_1(image_pix_to_ai_obj);
MP_DECLARE_CONST_FUN_OBJ_1(image_ai_to_pix_obj);

MP_DECLARE_CONST_FUN_OBJ_KW(image_save_obj);
/* Image(path) / Image(data, from_bytes=True) / Image(file): fills self (image_file.c). */
void image_load_into(image_obj_t *self, mp_obj_t source, int from_bytes);

#endif
