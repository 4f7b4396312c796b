// The one mapping from maix_status_t to MicroPython exceptions.
#include "maix_errors.h"

MP_NORETURN void maix_raise(maix_status_t st)
{
    const maix_status_info_t *info = maix_status_info(st);
    if (info->err_no != 0) {
        mp_raise_OSError(info->err_no);
    }
    const mp_obj_type_t *type = info->kind == MAIX_EXC_VALUEERROR ? &mp_type_ValueError
                              : info->kind == MAIX_EXC_RUNTIMEERROR ? &mp_type_RuntimeError
                              : info->kind == MAIX_EXC_TYPEERROR ? &mp_type_TypeError
                              : &mp_type_OSError;
    if (info->detail == NULL) {
        mp_raise_msg_varg(type, MP_ERROR_TEXT("%s"), info->maixpy_text);
    }
    mp_raise_msg_varg(type, MP_ERROR_TEXT("%s (%s)"), info->maixpy_text, info->detail);
}

void maix_check(maix_status_t st)
{
    if (st != MAIX_OK) {
        maix_raise(st);
    }
}
