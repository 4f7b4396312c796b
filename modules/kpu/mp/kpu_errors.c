/* kpu_status_t -> MicroPython exceptions, with MaixPy's texts from the core's status table
 * (kpu_status_maixpy_code / kpu_api_error_text). One table says, per calling context, which
 * exception type is raised and how code, text and the core's detail are put together; the
 * CPython module (tools/maixkpu/maixpy/kpu_net.py) builds the same messages. */
#include <stdarg.h>
#include "py/mpprint.h"
#include "kpu_mp.h"

typedef enum kpu_err_layout {
    LAYOUT_CODE_TEXT,   /* "<prefix><code>, <text>" + " (<detail>)" */
    LAYOUT_TEXT,        /* "<text>" + ": <detail>" */
    LAYOUT_CODE_DETAIL, /* "<code>: <detail>" */
    LAYOUT_DETAIL,      /* "<detail>" */
} kpu_err_layout_t;

typedef struct kpu_err_rule {
    const mp_obj_type_t *type;
    const char *prefix;
    kpu_err_layout_t layout;
} kpu_err_rule_t;

static const kpu_err_rule_t kpu_err_rules[] = {
    [KPU_ERR_CTX_LOAD] = {&mp_type_ValueError, KPU_PREFIX "load error:", LAYOUT_CODE_TEXT},
    [KPU_ERR_CTX_LOAD_FLASH] = {&mp_type_ValueError, KPU_PREFIX "load_flash error:",
                                LAYOUT_CODE_TEXT},
    [KPU_ERR_CTX_RUN] = {&mp_type_OSError, "", LAYOUT_TEXT},
    [KPU_ERR_CTX_CODE] = {&mp_type_OSError, "", LAYOUT_CODE_DETAIL},
    [KPU_ERR_CTX_DIAG] = {&mp_type_ValueError, "", LAYOUT_DETAIL},
};

static MP_NORETURN void raise_vstr(const mp_obj_type_t *type, vstr_t *msg)
{
    mp_obj_t text = mp_obj_new_str_from_vstr(msg);
    nlr_raise(mp_obj_new_exception_args(type, 1, &text));
}

MP_NORETURN void kpu_raise_status(kpu_err_context_t ctx, kpu_status_t st, const kpu_diag_t *diag)
{
    const kpu_err_rule_t *rule = &kpu_err_rules[ctx];
    const char *detail = diag != NULL ? diag->text : "";
    int code = kpu_status_maixpy_code(st);
    const char *text = kpu_api_error_text(st);
    vstr_t msg;
    vstr_init(&msg, 96);
    vstr_add_str(&msg, rule->prefix);
    switch (rule->layout) {
    case LAYOUT_CODE_TEXT:
        vstr_printf(&msg, "%d, %s", code, text);
        if (detail[0] != '\0') {
            vstr_printf(&msg, " (%s)", detail);
        }
        break;
    case LAYOUT_TEXT:
        vstr_add_str(&msg, text);
        if (detail[0] != '\0') {
            vstr_printf(&msg, ": %s", detail);
        }
        break;
    case LAYOUT_CODE_DETAIL:
        vstr_printf(&msg, "%d: %s", code, detail);
        break;
    case LAYOUT_DETAIL:
        vstr_add_str(&msg, detail);
        break;
    }
    raise_vstr(rule->type, &msg);
}

MP_NORETURN void kpu_raise_fmt(const mp_obj_type_t *type, const char *fmt, ...)
{
    vstr_t msg;
    vstr_init(&msg, 96);
    mp_print_t print = {&msg, (mp_print_strn_t)vstr_add_strn};
    va_list ap;
    va_start(ap, fmt);
    mp_vprintf(&print, fmt, ap);
    va_end(ap);
    raise_vstr(type, &msg);
}

void kpu_print_diag(const kpu_diag_t *diag)
{
    mp_printf(&mp_plat_print, "%s\n", diag->text);
}
