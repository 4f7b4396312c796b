// MaixPy's `lcd` module on the board's ST7789 (spec maixpy-image-subset.md section 4) over
// drivers/maix_lcd.c. display and draw_string need the image module (MAIXKPU_WITH_IMAGE).
#include <string.h>
#include "py/runtime.h"
#include "maix_errors.h"
#include "maix_lcd.h"
#if MAIXKPU_WITH_IMAGE
#include "image_mp.h"
#endif

#if MICROPY_PY_LCD

static maix_lcd_t lcd_state;
static int lcd_type; // 0 = none, 1 = the ST7789 shield

// A colour argument: a raw int (spec 1.2), or (r, g, b) clamped and rounded to 5/6/5 bits.
static uint16_t lcd_color(mp_obj_t obj)
{
    if (mp_obj_is_int(obj)) {
        return (uint16_t)mp_obj_get_int(obj);
    }
    mp_obj_t *rgb;
    mp_obj_get_array_fixed_n(obj, 3, &rgb);
    int c[3];
    for (int i = 0; i < 3; i++) {
        mp_int_t v = mp_obj_get_int(rgb[i]);
        c[i] = v < 0 ? 0 : v > 255 ? 255 : (int)v;
    }
    unsigned r5 = (31u * (unsigned)c[0] + 127u) / 255u;
    unsigned g6 = (63u * (unsigned)c[1] + 127u) / 255u;
    unsigned b5 = (31u * (unsigned)c[2] + 127u) / 255u;
    return (uint16_t)((r5 << 3) | (g6 >> 3) | ((g6 & 7u) << 13) | (b5 << 8));
}

static mp_obj_t lcd_init(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args)
{
    enum { ARG_type, ARG_freq, ARG_color, ARG_width, ARG_height, ARG_invert, ARG_offset_w0,
           ARG_offset_h0, ARG_offset_w1, ARG_offset_h1, ARG_rst, ARG_dcx, ARG_ss, ARG_clk,
           ARG_lcd_type };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_type, MP_ARG_INT, {.u_int = 1} },
        { MP_QSTR_freq, MP_ARG_INT, {.u_int = MICROPY_HW_LCD_FREQ} },
        { MP_QSTR_color, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_width, MP_ARG_INT, {.u_int = MICROPY_HW_LCD_WIDTH} },
        { MP_QSTR_height, MP_ARG_INT, {.u_int = MICROPY_HW_LCD_HEIGHT} },
        { MP_QSTR_invert, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_offset_w0, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_offset_h0, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_offset_w1, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_offset_h1, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_rst, MP_ARG_INT, {.u_int = MICROPY_HW_LCD_PIN_RST} },
        { MP_QSTR_dcx, MP_ARG_INT, {.u_int = MICROPY_HW_LCD_PIN_DC} },
        { MP_QSTR_ss, MP_ARG_INT, {.u_int = MICROPY_HW_LCD_PIN_CS} },
        { MP_QSTR_clk, MP_ARG_INT, {.u_int = MICROPY_HW_LCD_PIN_WR} },
        { MP_QSTR_lcd_type, MP_ARG_INT | MP_ARG_KW_ONLY, {.u_int = 0} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    uint16_t color = args[ARG_color].u_obj ? lcd_color(args[ARG_color].u_obj) : 0;
    mp_int_t type = args[ARG_type].u_int;
    lcd_state.inited = 0;
    lcd_type = 0;
    if (type == 0) {
        return mp_const_none;
    }
    if (type < 0 || type > 5) {
        maix_raise(MAIX_ERR_LCD_TYPE);
    }
    if (type != 1) { // Cube IPS, M5StickV, T-Watch, RGB converter: other wiring and panels
        mp_raise_msg(&mp_type_NotImplementedError,
                     MP_ERROR_TEXT("only lcd type 1 (the ST7789 shield) is supported"));
    }
    if (args[ARG_offset_w0].u_int || args[ARG_offset_h0].u_int || args[ARG_offset_w1].u_int ||
        args[ARG_offset_h1].u_int) {
        mp_raise_msg(&mp_type_NotImplementedError, MP_ERROR_TEXT("LCD offsets"));
    }
    const maix_lcd_pins_t pins = {
        (int)args[ARG_ss].u_int, (int)args[ARG_rst].u_int, (int)args[ARG_dcx].u_int,
        (int)args[ARG_clk].u_int, MICROPY_HW_LCD_SPI_SS, MICROPY_HW_LCD_DC_GPIOHS,
        MICROPY_HW_LCD_RST_GPIOHS, MICROPY_HW_DVP_IO_BANKS_1V8,
    };
    mp_int_t freq = args[ARG_freq].u_int;
    maix_status_t st = maix_lcd_init(&lcd_state, &pins, freq > 0 ? (uint32_t)freq : 1u,
                                     (int)args[ARG_width].u_int, (int)args[ARG_height].u_int,
                                     (int)args[ARG_invert].u_int, color);
    if (st != MAIX_OK) {
        lcd_state.inited = 0;
        maix_raise(st);
    }
    lcd_type = 1;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(lcd_init_obj, 0, lcd_init);

static mp_obj_t lcd_deinit(void)
{
    lcd_state.inited = 0;
    lcd_type = 0;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(lcd_deinit_obj, lcd_deinit);

static mp_obj_t lcd_width(void)
{
    return lcd_type ? MP_OBJ_NEW_SMALL_INT(maix_lcd_width(&lcd_state)) : mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(lcd_width_obj, lcd_width);

static mp_obj_t lcd_height(void)
{
    return lcd_type ? MP_OBJ_NEW_SMALL_INT(maix_lcd_height(&lcd_state)) : mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(lcd_height_obj, lcd_height);

static mp_obj_t lcd_type_fn(void)
{
    return lcd_type ? MP_OBJ_NEW_SMALL_INT(lcd_type) : mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(lcd_type_obj, lcd_type_fn);

static mp_obj_t lcd_freq(size_t n_args, const mp_obj_t *args)
{
    if (n_args == 1) {
        mp_raise_msg(&mp_type_NotImplementedError, MP_ERROR_TEXT("changing the LCD clock"));
    }
    return mp_obj_new_int_from_uint(lcd_state.freq);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lcd_freq_obj, 0, 1, lcd_freq);

static mp_obj_t lcd_clear(size_t n_args, const mp_obj_t *args)
{
    maix_check(maix_lcd_clear(&lcd_state, n_args ? lcd_color(args[0]) : 0));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lcd_clear_obj, 0, 1, lcd_clear);

static mp_obj_t lcd_rotation(size_t n_args, const mp_obj_t *args)
{
    if (n_args == 1) {
        maix_check(maix_lcd_set_rotation(&lcd_state, (int)mp_obj_get_int(args[0])));
    }
    return MP_OBJ_NEW_SMALL_INT(lcd_state.rotation);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lcd_rotation_obj, 0, 1, lcd_rotation);

static mp_obj_t lcd_mirror(size_t n_args, const mp_obj_t *args)
{
    if (n_args == 1) {
        maix_check(maix_lcd_set_mirror(&lcd_state, mp_obj_is_true(args[0])));
    }
    return MP_OBJ_NEW_SMALL_INT(lcd_state.mirror);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lcd_mirror_obj, 0, 1, lcd_mirror);

static mp_obj_t lcd_direction(mp_obj_t dir)
{
    // raw MADCTL direction values (lcd.XY_RLUD ...): sent as they are, rotation unchanged
    uint8_t v = (uint8_t)mp_obj_get_int(dir);
    if (lcd_state.inited &&
        st7789_command(&lcd_state.panel, ST7789_MADCTL, &v, 1) != 0) {
        maix_raise(MAIX_ERR_LCD_BUS);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(lcd_direction_obj, lcd_direction);

static mp_obj_t lcd_fill_rectangle(size_t n_args, const mp_obj_t *args)
{
    maix_check(maix_lcd_fill_rectangle(&lcd_state, (int)mp_obj_get_int(args[0]),
                                       (int)mp_obj_get_int(args[1]), (int)mp_obj_get_int(args[2]),
                                       (int)mp_obj_get_int(args[3]), lcd_color(args[4])));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lcd_fill_rectangle_obj, 5, 5, lcd_fill_rectangle);

#if MAIXKPU_WITH_IMAGE
static void get_ints(mp_obj_t obj, int *out, size_t n)
{
    mp_obj_t *items;
    mp_obj_get_array_fixed_n(obj, n, &items);
    for (size_t i = 0; i < n; i++) {
        out[i] = (int)mp_obj_get_int(items[i]);
    }
}

static mp_obj_t lcd_display(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args)
{
    enum { ARG_img, ARG_roi, ARG_oft };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_img, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_roi, MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_oft, MP_ARG_OBJ, {.u_obj = mp_const_none} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    img_t *img = image_mp_get(args[ARG_img].u_obj);
    if (img->w <= 0 || img->h <= 0 || img->pixels == NULL) {
        maix_raise(MAIX_ERR_LCD_FORMAT);
    }
    maix_view_t view = {img->w, img->h, (int)img->format, img->pixels};
    maix_rect_t roi;
    int oft[2];
    if (args[ARG_roi].u_obj != mp_const_none) {
        get_ints(args[ARG_roi].u_obj, &roi.x, 4);
    }
    if (args[ARG_oft].u_obj != mp_const_none) {
        get_ints(args[ARG_oft].u_obj, oft, 2);
    }
    maix_check(maix_lcd_display(&lcd_state, &view,
                                args[ARG_roi].u_obj != mp_const_none ? &roi : NULL,
                                args[ARG_oft].u_obj != mp_const_none ? oft : NULL));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(lcd_display_obj, 1, lcd_display);

// draw_string(x, y, text[, fg, bg]): 8x12 mono-spaced text on a bg strip, cut to the width.
static mp_obj_t lcd_draw_string(size_t n_args, const mp_obj_t *args)
{
    if (!lcd_state.inited) {
        maix_raise(MAIX_ERR_LCD_NOT_INIT);
    }
    mp_int_t x = mp_obj_get_int(args[0]), y = mp_obj_get_int(args[1]);
    size_t len;
    const char *text = mp_obj_str_get_data(args[2], &len);
    uint16_t fg = n_args > 3 ? (uint16_t)mp_obj_get_int(args[3]) : 0x00F8; // lcd.RED
    uint16_t bg = n_args > 4 ? (uint16_t)mp_obj_get_int(args[4]) : 0;
    int w = maix_lcd_width(&lcd_state);
    if (x < 0 || y < 0 || x >= w || y > w - 16) { // MaixPy compares y with the width too
        return mp_const_none;
    }
    if (len > (size_t)(w - x) / 8) {
        len = (size_t)(w - x) / 8;
    }
    if (len == 0) {
        return mp_const_none;
    }
    img_t strip = {(int)len * 8, 12, IMG_RGB565, NULL, NULL};
    size_t n = (size_t)strip.w * 12;
    strip.pixels = m_new(uint8_t, n * 2);
    for (size_t i = 0; i < n; i++) {
        strip.pixels[2 * i] = (uint8_t)bg;
        strip.pixels[2 * i + 1] = (uint8_t)(bg >> 8);
    }
    img_draw_string(&strip, 0, 0, text, len, fg, 1.0, 0, 0, 1);
    maix_view_t view = {strip.w, 12, 2, strip.pixels};
    int oft[2] = {(int)x, (int)y};
    maix_status_t st = maix_lcd_display(&lcd_state, &view, NULL, oft);
    m_del(uint8_t, strip.pixels, n * 2);
    maix_check(st);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lcd_draw_string_obj, 3, 5, lcd_draw_string);
#endif

static const mp_rom_map_elem_t lcd_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_lcd) },
    { MP_ROM_QSTR(MP_QSTR_init), MP_ROM_PTR(&lcd_init_obj) },
    { MP_ROM_QSTR(MP_QSTR_deinit), MP_ROM_PTR(&lcd_deinit_obj) },
    { MP_ROM_QSTR(MP_QSTR_width), MP_ROM_PTR(&lcd_width_obj) },
    { MP_ROM_QSTR(MP_QSTR_height), MP_ROM_PTR(&lcd_height_obj) },
    { MP_ROM_QSTR(MP_QSTR_type), MP_ROM_PTR(&lcd_type_obj) },
    { MP_ROM_QSTR(MP_QSTR_freq), MP_ROM_PTR(&lcd_freq_obj) },
    { MP_ROM_QSTR(MP_QSTR_clear), MP_ROM_PTR(&lcd_clear_obj) },
    { MP_ROM_QSTR(MP_QSTR_rotation), MP_ROM_PTR(&lcd_rotation_obj) },
    { MP_ROM_QSTR(MP_QSTR_mirror), MP_ROM_PTR(&lcd_mirror_obj) },
    { MP_ROM_QSTR(MP_QSTR_direction), MP_ROM_PTR(&lcd_direction_obj) },
    { MP_ROM_QSTR(MP_QSTR_fill_rectangle), MP_ROM_PTR(&lcd_fill_rectangle_obj) },
    #if MAIXKPU_WITH_IMAGE
    { MP_ROM_QSTR(MP_QSTR_display), MP_ROM_PTR(&lcd_display_obj) },
    { MP_ROM_QSTR(MP_QSTR_draw_string), MP_ROM_PTR(&lcd_draw_string_obj) },
    #endif
    // directions (MADCTL values) and colours in the raw layout (spec 4.6)
    { MP_ROM_QSTR(MP_QSTR_XY_RLUD), MP_ROM_INT(0x00) },
    { MP_ROM_QSTR(MP_QSTR_YX_RLUD), MP_ROM_INT(0x20) },
    { MP_ROM_QSTR(MP_QSTR_XY_LRUD), MP_ROM_INT(0x40) },
    { MP_ROM_QSTR(MP_QSTR_YX_LRUD), MP_ROM_INT(0x60) },
    { MP_ROM_QSTR(MP_QSTR_XY_RLDU), MP_ROM_INT(0x80) },
    { MP_ROM_QSTR(MP_QSTR_YX_RLDU), MP_ROM_INT(0xA0) },
    { MP_ROM_QSTR(MP_QSTR_XY_LRDU), MP_ROM_INT(0xC0) },
    { MP_ROM_QSTR(MP_QSTR_YX_LRDU), MP_ROM_INT(0xE0) },
    { MP_ROM_QSTR(MP_QSTR_BLACK), MP_ROM_INT(0x0000) },
    { MP_ROM_QSTR(MP_QSTR_NAVY), MP_ROM_INT(0x0F00) },
    { MP_ROM_QSTR(MP_QSTR_DARKGREEN), MP_ROM_INT(0xE003) },
    { MP_ROM_QSTR(MP_QSTR_DARKCYAN), MP_ROM_INT(0xEF03) },
    { MP_ROM_QSTR(MP_QSTR_MAROON), MP_ROM_INT(0x0078) },
    { MP_ROM_QSTR(MP_QSTR_PURPLE), MP_ROM_INT(0x0F78) },
    { MP_ROM_QSTR(MP_QSTR_OLIVE), MP_ROM_INT(0xE07B) },
    { MP_ROM_QSTR(MP_QSTR_LIGHTGREY), MP_ROM_INT(0x18C6) },
    { MP_ROM_QSTR(MP_QSTR_DARKGREY), MP_ROM_INT(0xEF7B) },
    { MP_ROM_QSTR(MP_QSTR_BLUE), MP_ROM_INT(0x1F00) },
    { MP_ROM_QSTR(MP_QSTR_GREEN), MP_ROM_INT(0xE007) },
    { MP_ROM_QSTR(MP_QSTR_CYAN), MP_ROM_INT(0xFF07) },
    { MP_ROM_QSTR(MP_QSTR_RED), MP_ROM_INT(0x00F8) },
    { MP_ROM_QSTR(MP_QSTR_MAGENTA), MP_ROM_INT(0x1FF8) },
    { MP_ROM_QSTR(MP_QSTR_YELLOW), MP_ROM_INT(0xE0FF) },
    { MP_ROM_QSTR(MP_QSTR_WHITE), MP_ROM_INT(0xFFFF) },
    { MP_ROM_QSTR(MP_QSTR_ORANGE), MP_ROM_INT(0x20FD) },
    { MP_ROM_QSTR(MP_QSTR_GREENYELLOW), MP_ROM_INT(0xE5AF) },
    { MP_ROM_QSTR(MP_QSTR_PINK), MP_ROM_INT(0x1FF8) },
};
static MP_DEFINE_CONST_DICT(lcd_globals, lcd_globals_table);

const mp_obj_module_t lcd_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&lcd_globals,
};

MP_REGISTER_MODULE(MP_QSTR_lcd, lcd_module);

#endif // MICROPY_PY_LCD
