// MicroPython configuration for the K210 port (Sipeed Maix boards). Board specifics (pins,
// flash, LCD and camera models) are in boards/<BOARD>/mpconfigboard.h.
#include <stddef.h> // size_t: MicroPython v1.20's headers use it without including it
#include <stdint.h>
#include "mpconfigboard.h"

#define MICROPY_CONFIG_ROM_LEVEL            (MICROPY_CONFIG_ROM_LEVEL_CORE_FEATURES)

#define MICROPY_ENABLE_GC                   (1)
#if MICROPY_VERSION < 0x011800 // v1.24.0: before it, gchelper_generic.c has no RISC-V code
#define MICROPY_GCREGS_SETJMP               (1)
#endif
#define MICROPY_ENABLE_FINALISER            (1) // kpu_net frees its model in __del__
#define MICROPY_HELPER_REPL                 (1)
#define MICROPY_REPL_AUTO_INDENT            (1)
#define MICROPY_ENABLE_EMERGENCY_EXCEPTION_BUF (1)
#define MICROPY_LONGINT_IMPL                (MICROPY_LONGINT_IMPL_MPZ)
#define MICROPY_PY_BUILTINS_SLICE           (1)
#define MICROPY_PY_SYS_PLATFORM             "k210"
#define MICROPY_PY_SYS_STDFILES             (1)
#define MICROPY_PY_GC                       (1)
#define MICROPY_PY_ARRAY                    (1)
#define MICROPY_PY_BUILTINS_MEMORYVIEW      (1) // KPU.fmap returns one
#define MICROPY_PY_IO                       (0) // no open() without a file system
#define MICROPY_PY_STRUCT                   (1)
#define MICROPY_PY_MATH                     (1)
#define MICROPY_PY_HASHLIB                  (1)
#define MICROPY_PY_BINASCII                 (1)
#define MICROPY_PY_TIME                     (1)
#define MICROPY_PY_TIME_TIME_TIME_NS        (0)
#define MICROPY_PY_MACHINE                  (0)
#define MICROPY_PY_LCD                      (1) // mp/modlcd.c: the ST7789 (drivers/maix_lcd.c)
#define MICROPY_PY_SENSOR                   (1) // mp/modsensor.c: the OV2640 on the DVP
#define MICROPY_VFS                         (0) // no flash file system yet (README)
#define MICROPY_READER_VFS                  (0)
#define MICROPY_ENABLE_EXTERNAL_IMPORT      (0)
#define MICROPY_KBD_EXCEPTION               (1)
#define MICROPY_USE_INTERNAL_PRINTF         (0) // picolibc's printf

#define MP_SSIZE_MAX                        (0x7fffffffffffffff)
#define MICROPY_MAKE_POINTER_CALLABLE(p)    ((void *)((uintptr_t)(p)))

typedef int64_t mp_int_t;
typedef uint64_t mp_uint_t;
typedef long mp_off_t;

#define MP_STATE_PORT MP_STATE_VM

// Heap sizes: MICROPY_HEAP_SIZE (GC heap, in .bss) comes from the board's mpconfigboard.mk;
// everything from the end of .bss to the stack is the system heap that holds models.
#ifndef MICROPY_HEAP_SIZE
#define MICROPY_HEAP_SIZE                   (1024 * 1024)
#endif

#include <alloca.h>
