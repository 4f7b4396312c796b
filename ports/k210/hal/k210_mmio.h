/* Register access and the K210 addresses the port's HAL uses (K210 datasheet memory map). */
#ifndef K210_MMIO_H
#define K210_MMIO_H

#include <stdint.h>

#define K210_CLINT_BASE 0x02000000u
#define K210_UARTHS_BASE 0x38000000u
#define K210_SYSCTL_BASE 0x50440000u
#define K210_SPI3_BASE 0x54000000u

#define K210_OSC_HZ 26000000u /* IN0, the board crystal */

static inline uint32_t k210_read32(uintptr_t addr)
{
    return *(volatile const uint32_t *)addr;
}

static inline void k210_write32(uintptr_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

static inline uint64_t k210_read64(uintptr_t addr)
{
    return *(volatile const uint64_t *)addr;
}

#endif
