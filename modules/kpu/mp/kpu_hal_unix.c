/* KPU HAL for MicroPython's unix port: the flash is a file (a raw 16 MiB flash image, e.g.
 * written by `maixkpu kfpkg unpack` or a bare kmodel at offset 0 plus padding), named by the
 * environment variable MAIXKPU_FLASH or ./maixkpu-flash.bin; models live in malloc memory. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kpu_alloc_std.h"
#include "kpu_hal.h"

#define KPU_HAL_DEFAULT_FLASH "maixkpu-flash.bin"
#define KPU_HAL_NOMINAL_SYS_HEAP (4u * 1024u * 1024u) /* as the host module reports */

static int flash_read(void *ctx, uint32_t addr, void *dst, size_t n)
{
    (void)ctx;
    const char *path = getenv("MAIXKPU_FLASH");
    FILE *f = fopen(path != NULL && path[0] != '\0' ? path : KPU_HAL_DEFAULT_FLASH, "rb");
    if (f == NULL) {
        return -1;
    }
    /* a read past the end of the image fails like a read past the chip */
    int ok = fseeko(f, (off_t)addr, SEEK_SET) == 0 && fread(dst, 1, n, f) == n;
    fclose(f);
    return ok ? 0 : -1;
}

static const kpu_flash_t unix_flash = {flash_read, NULL};

const kpu_flash_t *kpu_hal_flash(void)
{
    return &unix_flash;
}

/* models live in the C heap (outside MicroPython's GC heap), through the core's malloc
 * allocator */
const kpu_allocator_t *kpu_hal_allocator(void)
{
    return kpu_alloc_std_shared();
}

size_t kpu_hal_sys_heap_free(size_t held)
{
    return held < KPU_HAL_NOMINAL_SYS_HEAP ? KPU_HAL_NOMINAL_SYS_HEAP - held : 0;
}

const char *kpu_hal_strerror(int err)
{
    return strerror(err);
}
