// K210 port entry: console, flash, GC heap, then the REPL (raw REPL too, for mpremote).
// Soft reset (Ctrl-D) sweeps the heap with finalisers, so loaded models are freed.
#include <stdio.h>
#include <stdlib.h>
#include "py/builtin.h"
#include "py/compile.h"
#include "py/gc.h"
#include "py/lexer.h"
#include "py/mperrno.h"
#include "py/runtime.h"
#include "py/stackctrl.h"
#include "shared/runtime/gchelper.h"
#include "shared/runtime/pyexec.h"
#include "k210_flash.h"
#include "k210_uarths.h"

// MicroPython before v1.26 names it NORETURN.
#ifndef MP_NORETURN
#define MP_NORETURN NORETURN
#endif

static uint64_t gc_heap[MICROPY_HEAP_SIZE / sizeof(uint64_t)];

void sensor_soft_reset(void); // mp/modsensor.c

extern char __stack_top[];
extern char __stack_bottom[];

int main(void)
{
    k210_uarths_init(MICROPY_HW_CONSOLE_BAUD);
    k210_flash_init(MICROPY_HW_FLASH_BAUD_DIV);
    mp_stack_set_top(__stack_top);
    mp_stack_set_limit((mp_uint_t)(__stack_top - __stack_bottom) - 4096u);
    gc_init(gc_heap, (char *)gc_heap + sizeof gc_heap);
    for (;;) {
        mp_init();
        for (;;) {
            if (pyexec_mode_kind == PYEXEC_MODE_RAW_REPL) {
                if (pyexec_raw_repl() != 0) {
                    break;
                }
            } else if (pyexec_friendly_repl() != 0) {
                break;
            }
        }
        mp_printf(&mp_plat_print, "MPY: soft reboot\n");
        #if MICROPY_PY_SENSOR
        sensor_soft_reset(); // its frame buffer is on the heap swept next
        #endif
        gc_sweep_all();
        mp_deinit();
    }
}

void gc_collect(void)
{
    gc_collect_start();
    gc_helper_collect_regs_and_stack();
    gc_collect_end();
}

// No file system yet: imports and open() find nothing. (MicroPython before v1.22 passes the
// file name as a C string.)
#if MICROPY_VERSION < 0x011600 // v1.22.0
mp_lexer_t *mp_lexer_new_from_file(const char *filename)
#else
mp_lexer_t *mp_lexer_new_from_file(qstr filename)
#endif
{
    (void)filename;
    mp_raise_OSError(MP_ENOENT);
}

mp_import_stat_t mp_import_stat(const char *path)
{
    (void)path;
    return MP_IMPORT_STAT_NO_EXIST;
}

void nlr_jump_fail(void *val)
{
    (void)val;
    mp_printf(&mp_plat_print, "FATAL: uncaught NLR\n");
    for (;;) {
    }
}

void MP_NORETURN __fatal_error(const char *msg)
{
    mp_printf(&mp_plat_print, "FATAL: %s\n", msg);
    for (;;) {
    }
}

#ifndef NDEBUG
void __assert_func(const char *file, int line, const char *func, const char *expr)
{
    (void)func;
    mp_printf(&mp_plat_print, "assertion '%s' failed, %s:%d\n", expr, file, line);
    __fatal_error("assertion failed");
}
#endif
