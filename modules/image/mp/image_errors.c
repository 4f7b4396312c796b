/* img_status_t -> MicroPython exceptions, from the core's one status table (img_status.c):
 * its exception kind, MaixPy's exact text, or an errno for OSError(errno). */
#include <string.h>
#include "py/mperrno.h"
#include "image_mp.h"

MP_NORETURN void image_raise(img_status_t st)
{
    const char *text = img_status_message(st);
    int err = img_status_errno(st);
    const mp_obj_type_t *type;
    switch (img_status_exception(st)) {
    case IMG_EXC_OS_ERROR:
        if (err != 0) {
            mp_raise_OSError(err); /* prints "[Errno 5] EIO" like the host's OSError(5, "EIO") */
        }
        type = &mp_type_OSError;
        break;
    case IMG_EXC_TYPE_ERROR:
        type = &mp_type_TypeError;
        break;
    case IMG_EXC_INDEX_ERROR:
        type = &mp_type_IndexError;
        break;
    case IMG_EXC_MEMORY_ERROR:
        type = &mp_type_MemoryError;
        break;
    default:
        type = &mp_type_ValueError;
        break;
    }
    /* the texts come from a C table, so they are not MP_ERROR_TEXT-compressed */
    mp_obj_t msg = mp_obj_new_str(text, strlen(text));
    nlr_raise(mp_obj_new_exception_args(type, 1, &msg));
}

void image_check(img_status_t st)
{
    if (st != IMG_OK && st != IMG_NONE) {
        image_raise(st);
    }
}

/* IMG_ERR_NOT_IMAGE's text has a %s for the argument's type name. */
MP_NORETURN void image_raise_not_image(mp_obj_t obj)
{
    vstr_t msg;
    vstr_init(&msg, 48);
    vstr_printf(&msg, img_status_message(IMG_ERR_NOT_IMAGE), mp_obj_get_type_str(obj));
    mp_obj_t text = mp_obj_new_str_from_vstr(&msg);
    nlr_raise(mp_obj_new_exception_args(&mp_type_TypeError, 1, &text));
}
