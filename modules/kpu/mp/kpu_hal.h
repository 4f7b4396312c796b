/* What the KPU module needs from the platform, kept free of MicroPython headers so a port's
 * implementation is plain C: the flash that KPU.load(offset) / load_flash read, the allocator
 * that holds models outside the GC heap, and the figures memtest prints.
 *
 * Implementations: kpu_hal_unix.c (a file: $MAIXKPU_FLASH or ./maixkpu-flash.bin; malloc),
 * kpu_hal_qemu.c (a memory-mapped image loaded with QEMU's -device loader; a dedicated RAM
 * region), ports/k210/kpu_hal_k210.c (SPI3 flash; the system heap). */
#ifndef KPU_HAL_H
#define KPU_HAL_H

#include <stddef.h>
#include "kpu_alloc.h"
#include "kpu_api.h"
#include "kpu_backend.h"

/* The flash KPU.load(offset) and load_flash read. Valid for the life of the program. */
const kpu_flash_t *kpu_hal_flash(void);

/* Where models, the software KPU and load buffers live (never the GC heap). */
const kpu_allocator_t *kpu_hal_allocator(void);

/* Free bytes of that memory for memtest's "sys heap" line; held = bytes the nets hold now. */
size_t kpu_hal_sys_heap_free(size_t held);

/* The text of an errno value as the C library's strerror gives it (load(path) failures). */
const char *kpu_hal_strerror(int err);

#if defined(MAIXKPU_BACKEND_K210)
/* The K210 register backend (ports/k210). */
kpu_status_t kpu_hal_k210_backend(const kpu_backend_t **out, kpu_diag_t *diag);
#endif

#endif
