/* KPU HAL for MicroPython's ports/qemu (RISC-V virt): the flash is a raw image that QEMU maps
 * into RAM with `-device loader,file=flash.bin,addr=MAIXKPU_QEMU_FLASH_BASE,force-raw=on`, and
 * models live in a RAM region of their own (the firmware's 2 MiB RAM holds the GC heap; QEMU's
 * virt machine has 128 MiB by default). Both are configurable at build time. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "kpu_hal.h"

#ifndef MAIXKPU_QEMU_FLASH_BASE
#define MAIXKPU_QEMU_FLASH_BASE 0x81000000u
#endif
#ifndef MAIXKPU_QEMU_FLASH_SIZE
#define MAIXKPU_QEMU_FLASH_SIZE 0x01000000u /* 16 MiB, as the boards' SPI flash */
#endif
#ifndef MAIXKPU_QEMU_HEAP_BASE
#define MAIXKPU_QEMU_HEAP_BASE 0x82000000u
#endif
#ifndef MAIXKPU_QEMU_HEAP_SIZE
#define MAIXKPU_QEMU_HEAP_SIZE 0x02000000u /* 32 MiB: ends at 0x84000000 with the defaults */
#endif

static int flash_read(void *ctx, uint32_t addr, void *dst, size_t n)
{
    (void)ctx;
    if (addr > MAIXKPU_QEMU_FLASH_SIZE || n > MAIXKPU_QEMU_FLASH_SIZE - addr) {
        return -1;
    }
    memcpy(dst, (const void *)(uintptr_t)(MAIXKPU_QEMU_FLASH_BASE + addr), n);
    return 0;
}

static const kpu_flash_t qemu_flash = {flash_read, NULL};

const kpu_flash_t *kpu_hal_flash(void)
{
    return &qemu_flash;
}

/* ----- region allocator: address-ordered blocks, first fit, merged on free -------------------
 * Each block starts with its header; the user pointer is aligned as asked and the word before
 * it points back to the header. */
typedef struct region_block {
    size_t size; /* bytes of the block, header included; a multiple of REGION_GRAIN */
    size_t used;
} region_block_t;

#define REGION_GRAIN 16u
#define REGION_MIN_SPLIT 64u

static int region_ready;

static region_block_t *region_first(void)
{
    region_block_t *b = (region_block_t *)(uintptr_t)MAIXKPU_QEMU_HEAP_BASE;
    if (!region_ready) {
        b->size = MAIXKPU_QEMU_HEAP_SIZE;
        b->used = 0;
        region_ready = 1;
    }
    return b;
}

static region_block_t *region_next(region_block_t *b)
{
    uintptr_t next = (uintptr_t)b + b->size;
    return next < MAIXKPU_QEMU_HEAP_BASE + MAIXKPU_QEMU_HEAP_SIZE ? (region_block_t *)next : NULL;
}

static void *region_alloc(void *ctx, size_t size, size_t align)
{
    (void)ctx;
    if (align < sizeof(void *)) {
        align = sizeof(void *);
    }
    if (size > MAIXKPU_QEMU_HEAP_SIZE) {
        return NULL;
    }
    for (region_block_t *b = region_first(); b != NULL; b = region_next(b)) {
        if (b->used) {
            continue;
        }
        uintptr_t start = (uintptr_t)b + sizeof(region_block_t) + sizeof(void *);
        uintptr_t user = (start + align - 1) & ~(uintptr_t)(align - 1);
        size_t need = (size_t)(user - (uintptr_t)b) + size;
        need = (need + REGION_GRAIN - 1) & ~(size_t)(REGION_GRAIN - 1);
        if (need > b->size) {
            continue;
        }
        if (b->size - need >= REGION_MIN_SPLIT) {
            region_block_t *rest = (region_block_t *)((uintptr_t)b + need);
            rest->size = b->size - need;
            rest->used = 0;
            b->size = need;
        }
        b->used = 1;
        ((region_block_t **)user)[-1] = b;
        return (void *)user;
    }
    return NULL;
}

static void region_free(void *ctx, void *ptr)
{
    (void)ctx;
    if (ptr == NULL) {
        return;
    }
    ((region_block_t **)ptr)[-1]->used = 0;
    for (region_block_t *b = region_first(); b != NULL; b = region_next(b)) {
        region_block_t *n;
        while (!b->used && (n = region_next(b)) != NULL && !n->used) {
            b->size += n->size;
        }
    }
}

static const kpu_allocator_t qemu_allocator = {region_alloc, region_free, NULL};

const kpu_allocator_t *kpu_hal_allocator(void)
{
    return &qemu_allocator;
}

size_t kpu_hal_sys_heap_free(size_t held)
{
    (void)held;
    size_t free_bytes = 0;
    for (region_block_t *b = region_first(); b != NULL; b = region_next(b)) {
        if (!b->used) {
            free_bytes += b->size - sizeof(region_block_t);
        }
    }
    return free_bytes;
}

/* The texts glibc gives, for the errors a file open or read can report here. */
const char *kpu_hal_strerror(int err)
{
    switch (err) {
    case ENOENT: return "No such file or directory";
    case EIO: return "Input/output error";
    case EACCES: return "Permission denied";
    case ENODEV: return "No such device";
    case EISDIR: return "Is a directory";
    case EINVAL: return "Invalid argument";
    case ENOMEM: return "Cannot allocate memory";
    case EROFS: return "Read-only file system";
    default: return "Unknown error";
    }
}
