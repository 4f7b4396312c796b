/* Image files: Image(path), Image(data, from_bytes=True), Image(file) and img.save(path[, roi,
 * quality]) through the port's file system (MicroPython's open() and stream methods), with
 * MaixPy's dispatch on the first bytes, its extension checks and error texts (spec 2.1, 2.2,
 * 2.14). BMP is decoded and written by the core; the core has no JPEG codec, so JPEG files
 * raise OSError("JPEG not supported in this build"). Ports without a file system (no
 * MICROPY_VFS, e.g. ports/k210 today) raise OSError(ENOENT) for paths. */
#include <string.h>
#include "py/builtin.h"
#include "py/mperrno.h"
#include "image_mp.h"

/* ----- reading --------------------------------------------------------------------------------- */

static mp_obj_t call_method(mp_obj_t obj, qstr name, size_t n_args, const mp_obj_t *args)
{
    mp_obj_t call[2 + 1];
    mp_load_method(obj, name, call);
    for (size_t i = 0; i < n_args; i++) {
        call[2 + i] = args[i];
    }
    return mp_call_method_n_kw(n_args, 0, call);
}

static mp_obj_t open_file(mp_obj_t path, qstr mode)
{
    #if MICROPY_VFS
    mp_obj_t args[2] = {path, MP_OBJ_NEW_QSTR(mode)};
    return mp_call_function_n_kw(MP_OBJ_FROM_PTR(&mp_builtin_open_obj), 2, 0, args);
    #else
    (void)path;
    (void)mode;
    mp_raise_OSError(MP_ENOENT);
    #endif
}

/* The whole file as a bytes object (the file is closed again). */
static mp_obj_t read_path(mp_obj_t path)
{
    mp_obj_t file = open_file(path, MP_QSTR_rb);
    mp_obj_t data = call_method(file, MP_QSTR_read, 0, NULL);
    call_method(file, MP_QSTR_close, 0, NULL);
    return data;
}

/* ----- decoding -------------------------------------------------------------------------------- */

static void decode_bmp(image_obj_t *self, const uint8_t *data, size_t len)
{
    img_bmp_info_t info;
    image_check(img_bmp_info(data, len, &info));
    image_obj_t *fresh = image_alloc(info.w, info.h, info.format);
    image_check(img_bmp_decode(data, len, &fresh->img));
    self->img = fresh->img;
    self->pix_cap = fresh->pix_cap;
}

static void decode_jpeg(image_obj_t *self, const uint8_t *data, size_t len)
{
    image_check(img_jpeg_decode(data, len, &self->img)); /* not in the core: raises */
}

/* MaixPy's "Failed loading source image!" result: a 0 x 0 binary image, no exception. */
static void make_empty(image_obj_t *self)
{
    mp_printf(&mp_plat_print, "Failed loading source image!\n");
    self->img.w = 0;
    self->img.h = 0;
    self->img.format = IMG_GRAYSCALE;
    self->img.pixels = NULL;
    self->pix_cap = 0;
    self->empty = 1;
}

enum source_kind { FROM_PATH, FROM_BYTES, FROM_FILE };

static void decode(image_obj_t *self, mp_obj_t data_obj, enum source_kind from)
{
    mp_buffer_info_t bi;
    mp_get_buffer_raise(data_obj, &bi, MP_BUFFER_READ);
    const uint8_t *data = bi.buf;
    switch (img_file_kind(data, bi.len)) {
    case IMG_FILE_BMP:
        if (from != FROM_PATH) {
            image_raise(IMG_ERR_NOT_SUPPORT); /* BMP only loads from a path */
        }
        decode_bmp(self, data, bi.len);
        break;
    case IMG_FILE_JPEG:
        decode_jpeg(self, data, bi.len);
        break;
    default:
        if (from == FROM_BYTES) {
            make_empty(self); /* from_bytes never raises for a bad stream */
            return;
        }
        image_raise(IMG_ERR_UNKNOWN_FILE);
    }
}

void image_load_into(image_obj_t *self, mp_obj_t source, int from_bytes)
{
    if (from_bytes) {
        decode(self, source, FROM_BYTES);
        return;
    }
    if (mp_obj_is_str(source)) {
        decode(self, read_path(source), FROM_PATH);
        /* the kind is known to be BMP here (JPEG and others raised above) */
        image_check(img_check_extension(mp_obj_str_get_str(source), IMG_FILE_BMP,
                                        self->img.format));
        return;
    }
    mp_obj_t method[2];
    mp_load_method_maybe(source, MP_QSTR_read, method);
    if (method[0] != MP_OBJ_NULL) {
        mp_obj_t data = mp_call_method_n_kw(0, 0, method);
        decode(self, data, FROM_FILE);
        return;
    }
    mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("can't convert %s to str"),
                      mp_obj_get_type_str(source));
}

/* ----- saving ---------------------------------------------------------------------------------- */

/* The extension as Python's os.path.splitext gives it (leading dots of the name do not
 * count), or "". */
static const char *extension(const char *path)
{
    const char *name = strrchr(path, '/');
    name = name != NULL ? name + 1 : path;
    while (*name == '.') {
        name++;
    }
    const char *dot = strrchr(name, '.');
    return dot != NULL ? dot : "";
}

static int ext_is(const char *ext, const char *want)
{
    size_t n = strlen(want);
    if (strlen(ext) != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = ext[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != want[i]) {
            return 0;
        }
    }
    return 1;
}

static void write_file(mp_obj_t path, const uint8_t *data, size_t len)
{
    mp_obj_t file = open_file(path, MP_QSTR_wb);
    mp_obj_t buf = mp_obj_new_bytearray_by_ref(len, (void *)data);
    call_method(file, MP_QSTR_write, 1, &buf);
    call_method(file, MP_QSTR_close, 0, NULL);
}

/* save(path[, roi, quality=50]): .bmp as MaixPy writes it (top-down, gray with a palette,
 * RGB565 as BI_BITFIELDS); .jpg/.jpeg need a JPEG encoder (not in the core); .ppm/.pgm/.raw get
 * the format check and, like any other extension, write nothing (MaixPy). Returns the image. */
static mp_obj_t image_save(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    image_obj_t *self = image_self(args[0]);
    if (n_args < 2) {
        mp_raise_TypeError(MP_ERROR_TEXT("function missing 1 required positional arguments"));
    }
    const char *path = mp_obj_str_get_str(args[1]);
    img_rect_t roi_buf, clipped;
    const img_rect_t *roi = image_roi_arg(image_option(n_args - 2, args + 2, kw, 0, MP_QSTR_roi),
                                          &roi_buf);
    mp_obj_t q_in = image_option(n_args - 2, args + 2, kw, 1, MP_QSTR_quality);
    image_check(img_clip_roi(&self->img, roi, &clipped));
    int quality = q_in != MP_OBJ_NULL ? image_int(q_in) : 50;
    if (quality < 1 || quality > 100) {
        image_raise(IMG_ERR_QUALITY);
    }
    const char *ext = extension(path);
    if (ext_is(ext, ".bmp")) {
        size_t size = img_bmp_encoded_size(clipped.w, clipped.h, self->img.format);
        if (size == 0) {
            image_raise(IMG_ERR_NO_MEMORY);
        }
        uint8_t *out = image_alloc_bytes(size);
        size_t written = 0;
        image_check(img_bmp_encode(&self->img, &clipped, out, size, &written));
        write_file(args[1], out, written);
        m_del(uint8_t, out, size);
    } else if (ext_is(ext, ".jpg") || ext_is(ext, ".jpeg")) {
        image_check(img_jpeg_encode(&self->img, quality, NULL, 0, NULL));
    } else {
        image_check(img_check_extension(path, IMG_FILE_OTHER, self->img.format));
    }
    return args[0];
}
MP_DEFINE_CONST_FUN_OBJ_KW(image_save_obj, 1, image_save);
