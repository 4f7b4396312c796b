// MaixPy's `sensor` module for the board's OV2640 on the DVP (spec maixpy-image-subset.md
// section 3) over drivers/maix_camera.c. snapshot and get_fb make Images (MAIXKPU_WITH_IMAGE).
#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/objarray.h"
#include "py/runtime.h"
#include "k210_cache.h"
#include "k210_mmio.h"
#include "maix_camera.h"
#include "maix_errors.h"
#if MAIXKPU_WITH_IMAGE
#include "image_mp.h"
#endif

#if MICROPY_PY_SENSOR

// The frame buffers (two with reset(dual_buff=True)): one GC block, kept by
// MP_STATE_PORT(sensor_fb), holding per buffer the RGB565 pixels then the AI planes, each
// 128-byte aligned; the DVP and the Images use its non-cached alias. Snapshots alternate
// between the buffers, so with two the previous snapshot stays intact one frame longer.
MP_REGISTER_ROOT_POINTER(mp_obj_t sensor_fb);

static maix_camera_t cam;
static int fb_count = 1;      // 1, or 2 for dual_buff
static uint8_t *fb_pixels[2], *fb_ai[2];
static int fb_next, fb_last = -1; // the buffer the next snapshot fills, the last one filled

static void drop_buffers(void)
{
    MP_STATE_PORT(sensor_fb) = MP_OBJ_NULL;
    fb_pixels[0] = fb_pixels[1] = fb_ai[0] = fb_ai[1] = NULL;
    fb_next = 0;
    fb_last = -1;
}

// Soft reset (main.c): the heap holding the frame buffer is about to be swept.
void sensor_soft_reset(void)
{
    cam = (maix_camera_t){0};
    fb_count = 1;
    drop_buffers();
}

static mp_obj_t sensor_reset(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args)
{
    enum { ARG_freq, ARG_set_regs, ARG_dual_buff, ARG_choice };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_freq, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = MICROPY_HW_CAMERA_XCLK} },
        { MP_QSTR_set_regs, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = true} },
        { MP_QSTR_dual_buff, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_choice, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    // MaixPy ignores positional arguments
    mp_arg_parse_all(0, pos_args + n_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    static const maix_camera_pins_t pins = {
        MICROPY_HW_DVP_PIN_SDA, MICROPY_HW_DVP_PIN_SCL, MICROPY_HW_DVP_PIN_RST,
        MICROPY_HW_DVP_PIN_VSYNC, MICROPY_HW_DVP_PIN_PWDN, MICROPY_HW_DVP_PIN_HREF,
        MICROPY_HW_DVP_PIN_XCLK, MICROPY_HW_DVP_PIN_PCLK, MICROPY_HW_DVP_IO_BANKS_1V8,
    };
    drop_buffers();
    fb_count = args[ARG_dual_buff].u_bool ? 2 : 1;
    mp_int_t freq = args[ARG_freq].u_int;
    maix_check(maix_camera_reset(&cam, &pins, freq > 0 ? (uint32_t)freq : 1u));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(sensor_reset_obj, 0, sensor_reset);

static mp_obj_t one_positional(size_t n_args, const mp_obj_t *args)
{
    if (n_args != 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("arg err"));
    }
    return args[0];
}

static mp_obj_t sensor_set_pixformat(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    (void)kw; // set_regs
    int fmt = (int)mp_obj_get_int(one_positional(n_args, args));
    maix_check(maix_camera_set_pixformat(&cam, fmt));
    fb_last = -1; // get_fb: the buffer holds the other format
    return mp_const_true;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(sensor_set_pixformat_obj, 0, sensor_set_pixformat);

static mp_obj_t sensor_set_framesize(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    (void)kw;
    int fs = (int)mp_obj_get_int(one_positional(n_args, args));
    maix_check(maix_camera_set_framesize(&cam, fs));
    // MaixPy's sizes: pixels rounded up to 128 bytes, the planes to 64
    size_t pix = ((size_t)cam.res_w * cam.res_h * 2u + 127u) / 128u * 128u;
    size_t ai = ((size_t)cam.res_w * cam.res_h * 3u + 63u) / 64u * 64u;
    size_t stride = (pix + ai + 127u) / 128u * 128u;
    drop_buffers();
    size_t total = stride * (size_t)fb_count + 128u;
    uint8_t *block = m_malloc_maybe(total);
    if (block == NULL) {
        mp_raise_OSError(MP_ENOMEM);
    }
    MP_STATE_PORT(sensor_fb) = mp_obj_new_bytearray_by_ref(total, block);
    k210_dcache_evict(); // the zeroing above must not be written back over DVP data
    uint8_t *base = k210_uncached((void *)(((uintptr_t)block + 127u) & ~(uintptr_t)127u));
    for (int i = 0; i < fb_count; i++) {
        fb_pixels[i] = base + stride * (size_t)i;
        fb_ai[i] = fb_pixels[i] + pix;
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(sensor_set_framesize_obj, 0, sensor_set_framesize);

static mp_obj_t sensor_set_windowing(mp_obj_t roi_obj)
{
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(roi_obj, &n, &items);
    int roi[4] = {0};
    for (size_t i = 0; i < n && i < 4; i++) {
        roi[i] = (int)mp_obj_get_int(items[i]);
    }
    maix_check(maix_camera_set_windowing(&cam, roi, (int)n));
    fb_last = -1;
    return mp_const_true;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sensor_set_windowing_obj, sensor_set_windowing);

static mp_obj_t sensor_set_hmirror(mp_obj_t on)
{
    maix_check(maix_camera_set_hmirror(&cam, mp_obj_is_true(on)));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sensor_set_hmirror_obj, sensor_set_hmirror);

static mp_obj_t sensor_set_vflip(mp_obj_t on)
{
    maix_check(maix_camera_set_vflip(&cam, mp_obj_is_true(on)));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sensor_set_vflip_obj, sensor_set_vflip);

static mp_obj_t sensor_run(mp_obj_t enable)
{
    (void)enable; // frames are captured on demand; nothing runs in the background
    return mp_const_true;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sensor_run_obj, sensor_run);

// One frame into the frame buffer; the status of the drivers.
static maix_status_t capture(void)
{
    int i = fb_next;
    maix_status_t st = maix_camera_snapshot(&cam, fb_pixels[i], fb_ai[i],
                                            MAIX_SNAPSHOT_TIMEOUT_US);
    if (st == MAIX_OK) {
        fb_last = i;
        fb_next = (i + 1) % fb_count;
    }
    return st;
}

static mp_obj_t sensor_skip_frames(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args)
{
    enum { ARG_n, ARG_time };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_n, MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_time, MP_ARG_OBJ, {.u_obj = mp_const_none} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    int has_n = args[ARG_n].u_obj != mp_const_none;
    int has_time = args[ARG_time].u_obj != mp_const_none;
    mp_int_t n = has_n ? mp_obj_get_int(args[ARG_n].u_obj) : 0;
    mp_int_t ms = has_time ? mp_obj_get_int(args[ARG_time].u_obj) : 300;
    mp_uint_t start = mp_hal_ticks_ms();
    for (mp_int_t i = 0; has_n ? i < n : 1; i++) {
        if ((!has_n || has_time) && (mp_int_t)(mp_hal_ticks_ms() - start) >= ms) {
            break;
        }
        maix_status_t st = capture();
        if (st == MAIX_ERR_CAM_NO_VSYNC || st == MAIX_ERR_CAM_NO_FINISH) {
            maix_print_detail(st);
            mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("Sensor Timeout!!"));
        }
        maix_check(st);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(sensor_skip_frames_obj, 0, sensor_skip_frames);

#if MAIXKPU_WITH_IMAGE
// An Image over the frame buffer (no copy; the next snapshot overwrites it, spec 3.6).
static mp_obj_t fb_image(void)
{
    img_t view = {cam.win_w, cam.win_h, IMG_RGB565, fb_pixels[fb_last], fb_ai[fb_last]};
    if (cam.pixformat == MAIX_PIXFORMAT_GRAYSCALE) {
        view.format = IMG_GRAYSCALE;
        view.pixels = fb_ai[fb_last]; // the gray pixels are the first AI plane
        // the other planes follow, as in MaixPy (resize's box path reads past the image)
        return image_mp_wrap_bytes(&view, MP_STATE_PORT(sensor_fb),
                                   (size_t)cam.win_w * (size_t)cam.win_h * 3u);
    }
    return image_mp_wrap(&view, MP_STATE_PORT(sensor_fb));
}

static mp_obj_t sensor_snapshot(size_t n_args, const mp_obj_t *args, mp_map_t *kw)
{
    (void)n_args;
    (void)args;
    (void)kw; // update_jb
    maix_check(capture());
    return fb_image();
}
static MP_DEFINE_CONST_FUN_OBJ_KW(sensor_snapshot_obj, 0, sensor_snapshot);

static mp_obj_t sensor_get_fb(void)
{
    return fb_last >= 0 ? fb_image() : mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(sensor_get_fb_obj, sensor_get_fb);
#endif

static mp_obj_t sensor_width(void)
{
    return MP_OBJ_NEW_SMALL_INT(cam.framesize ? cam.res_w : 0);
}
static MP_DEFINE_CONST_FUN_OBJ_0(sensor_width_obj, sensor_width);

static mp_obj_t sensor_height(void)
{
    return MP_OBJ_NEW_SMALL_INT(cam.framesize ? cam.res_h : 0);
}
static MP_DEFINE_CONST_FUN_OBJ_0(sensor_height_obj, sensor_height);

static mp_obj_t sensor_get_id(void)
{
    return MP_OBJ_NEW_SMALL_INT(cam.id);
}
static MP_DEFINE_CONST_FUN_OBJ_0(sensor_get_id_obj, sensor_get_id);

static const mp_rom_map_elem_t sensor_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_sensor) },
    { MP_ROM_QSTR(MP_QSTR_reset), MP_ROM_PTR(&sensor_reset_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_pixformat), MP_ROM_PTR(&sensor_set_pixformat_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_framesize), MP_ROM_PTR(&sensor_set_framesize_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_windowing), MP_ROM_PTR(&sensor_set_windowing_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_hmirror), MP_ROM_PTR(&sensor_set_hmirror_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_vflip), MP_ROM_PTR(&sensor_set_vflip_obj) },
    { MP_ROM_QSTR(MP_QSTR_run), MP_ROM_PTR(&sensor_run_obj) },
    { MP_ROM_QSTR(MP_QSTR_skip_frames), MP_ROM_PTR(&sensor_skip_frames_obj) },
    #if MAIXKPU_WITH_IMAGE
    { MP_ROM_QSTR(MP_QSTR_snapshot), MP_ROM_PTR(&sensor_snapshot_obj) },
    { MP_ROM_QSTR(MP_QSTR_get_fb), MP_ROM_PTR(&sensor_get_fb_obj) },
    #endif
    { MP_ROM_QSTR(MP_QSTR_width), MP_ROM_PTR(&sensor_width_obj) },
    { MP_ROM_QSTR(MP_QSTR_height), MP_ROM_PTR(&sensor_height_obj) },
    { MP_ROM_QSTR(MP_QSTR_get_id), MP_ROM_PTR(&sensor_get_id_obj) },
    { MP_ROM_QSTR(MP_QSTR_BAYER), MP_ROM_INT(1) },
    { MP_ROM_QSTR(MP_QSTR_RGB565), MP_ROM_INT(2) },
    { MP_ROM_QSTR(MP_QSTR_YUV422), MP_ROM_INT(3) },
    { MP_ROM_QSTR(MP_QSTR_GRAYSCALE), MP_ROM_INT(4) },
    { MP_ROM_QSTR(MP_QSTR_JPEG), MP_ROM_INT(5) },
    { MP_ROM_QSTR(MP_QSTR_QQCIF), MP_ROM_INT(1) },
    { MP_ROM_QSTR(MP_QSTR_QCIF), MP_ROM_INT(2) },
    { MP_ROM_QSTR(MP_QSTR_CIF), MP_ROM_INT(3) },
    { MP_ROM_QSTR(MP_QSTR_QQSIF), MP_ROM_INT(4) },
    { MP_ROM_QSTR(MP_QSTR_QSIF), MP_ROM_INT(5) },
    { MP_ROM_QSTR(MP_QSTR_SIF), MP_ROM_INT(6) },
    { MP_ROM_QSTR(MP_QSTR_QQQQVGA), MP_ROM_INT(7) },
    { MP_ROM_QSTR(MP_QSTR_QQQVGA), MP_ROM_INT(8) },
    { MP_ROM_QSTR(MP_QSTR_QQVGA), MP_ROM_INT(9) },
    { MP_ROM_QSTR(MP_QSTR_QVGA), MP_ROM_INT(10) },
    { MP_ROM_QSTR(MP_QSTR_VGA), MP_ROM_INT(11) },
    { MP_ROM_QSTR(MP_QSTR_HQQQVGA), MP_ROM_INT(12) },
    { MP_ROM_QSTR(MP_QSTR_HQQVGA), MP_ROM_INT(13) },
    { MP_ROM_QSTR(MP_QSTR_HQVGA), MP_ROM_INT(14) },
    { MP_ROM_QSTR(MP_QSTR_B64X32), MP_ROM_INT(15) },
    { MP_ROM_QSTR(MP_QSTR_B64X64), MP_ROM_INT(16) },
    { MP_ROM_QSTR(MP_QSTR_B128X64), MP_ROM_INT(17) },
    { MP_ROM_QSTR(MP_QSTR_B128X128), MP_ROM_INT(18) },
    { MP_ROM_QSTR(MP_QSTR_B240X240), MP_ROM_INT(19) },
    { MP_ROM_QSTR(MP_QSTR_LCD), MP_ROM_INT(20) },
    { MP_ROM_QSTR(MP_QSTR_QQVGA2), MP_ROM_INT(21) },
    { MP_ROM_QSTR(MP_QSTR_WVGA), MP_ROM_INT(22) },
    { MP_ROM_QSTR(MP_QSTR_WVGA2), MP_ROM_INT(23) },
    { MP_ROM_QSTR(MP_QSTR_SVGA), MP_ROM_INT(24) },
    { MP_ROM_QSTR(MP_QSTR_SXGA), MP_ROM_INT(25) },
    { MP_ROM_QSTR(MP_QSTR_UXGA), MP_ROM_INT(26) },
};
static MP_DEFINE_CONST_DICT(sensor_globals, sensor_globals_table);

const mp_obj_module_t sensor_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&sensor_globals,
};

MP_REGISTER_MODULE(MP_QSTR_sensor, sensor_module);

#endif // MICROPY_PY_SENSOR
