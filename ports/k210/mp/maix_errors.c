// The one mapping from maix_status_t to MicroPython exceptions.
#include "maix_errors.h"

void maix_print_detail(maix_status_t st)
{
    const char *detail = maix_status_info(st)->detail;
    if (detail != NULL) {
        mp_printf(&mp_plat_print, "%s\n", detail);
    }
}

MP_NORETURN void maix_raise(maix_status_t st)
{
    const maix_status_info_t *info = maix_status_info(st);
    maix_print_detail(st);
    if (info->err_no != 0) {
        mp_raise_OSError(info->err_no);
    }
    const mp_obj_type_t *type = info->kind == MAIX_EXC_VALUEERROR ? &mp_type_ValueError
                              : info->kind == MAIX_EXC_RUNTIMEERROR ? &mp_type_RuntimeError
                              : info->kind == MAIX_EXC_TYPEERROR ? &mp_type_TypeError
                              : &mp_type_OSError;
    mp_raise_msg_varg(type, MP_ERROR_TEXT("%s"), info->maixpy_text);
}

void maix_check(maix_status_t st)
{
    if (st != MAIX_OK) {
        maix_raise(st);
    }
}
