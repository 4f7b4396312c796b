/* MaixPy's `image` module (import image) as a MicroPython user C module: the module table.
 * The Image type is in image_obj.c; like the CPython module tools/maixkpu/maixpy/image.py it
 * exports the Image class only (MaixPy's format constants live in `sensor`). */
#include "image_mp.h"

static const mp_rom_map_elem_t image_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_image) },
    { MP_ROM_QSTR(MP_QSTR_Image), MP_ROM_PTR(&image_Image_type) },
};
static MP_DEFINE_CONST_DICT(image_module_globals, image_module_globals_table);

const mp_obj_module_t image_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&image_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_image, image_user_cmodule);
