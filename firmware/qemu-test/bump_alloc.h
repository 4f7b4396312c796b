/* A bump allocator over the linker's heap region: kpu_allocator_t for the bare-metal test,
 * where every model is freed only at exit. free() releases the last block only. */
#ifndef QEMU_TEST_BUMP_ALLOC_H
#define QEMU_TEST_BUMP_ALLOC_H

#include "kpu_alloc.h"

kpu_allocator_t bump_allocator(void);
size_t bump_allocated(void);

#endif
