/* Register access and the K210 addresses the port's HAL uses (K210 datasheet memory map).
 * Built with -DK210_MMIO_SIM (host tests), every access goes to a simulated register file
 * (host_tests/firmware/k210_sim) instead of the bus; the drivers are the same sources. */
#ifndef K210_MMIO_H
#define K210_MMIO_H

#include <stdint.h>

#define K210_CLINT_BASE 0x02000000u
#define K210_UARTHS_BASE 0x38000000u
#define K210_GPIOHS_BASE 0x38001000u
#define K210_FPIOA_BASE 0x502B0000u
#define K210_DVP_BASE 0x50430000u
#define K210_SYSCTL_BASE 0x50440000u
#define K210_SPI0_BASE 0x52000000u
#define K210_SPI3_BASE 0x54000000u

#define K210_OSC_HZ 26000000u /* IN0, the board crystal */

#ifdef K210_MMIO_SIM
uint32_t k210_sim_read32(uintptr_t addr);
void k210_sim_write32(uintptr_t addr, uint32_t value);
uint64_t k210_sim_read64(uintptr_t addr);
/* The bus address of host memory the simulated DMA masters may write; 0 if it has none. */
uint32_t k210_sim_bus_addr(const void *p);

static inline uint32_t k210_read32(uintptr_t addr)
{
    return k210_sim_read32(addr);
}

static inline void k210_write32(uintptr_t addr, uint32_t value)
{
    k210_sim_write32(addr, value);
}

static inline uint64_t k210_read64(uintptr_t addr)
{
    return k210_sim_read64(addr);
}

static inline uint32_t k210_bus_addr(const void *p)
{
    return k210_sim_bus_addr(p);
}

static inline void *k210_uncached(void *p)
{
    return p;
}
#else
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

/* The address a DMA master (DVP) is given for p: SRAM lies below 4 GiB, so the CPU address
 * itself; 0 for anything outside the 8 MiB of SRAM and its non-cached alias. */
static inline uint32_t k210_bus_addr(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    if ((a >= 0x80000000u && a < 0x80800000u) || (a >= 0x40000000u && a < 0x40800000u)) {
        return (uint32_t)a;
    }
    return 0;
}

/* The same SRAM through its non-cached alias (0x40000000..): memory a DMA master writes is
 * read there, so no stale cache line hides the new data. */
static inline void *k210_uncached(void *p)
{
    uintptr_t a = (uintptr_t)p;
    if (a >= 0x80000000u && a < 0x80800000u) {
        return (void *)(a - 0x40000000u);
    }
    return p;
}
#endif

static inline void k210_set_bits32(uintptr_t addr, uint32_t bits)
{
    k210_write32(addr, k210_read32(addr) | bits);
}

static inline void k210_clear_bits32(uintptr_t addr, uint32_t bits)
{
    k210_write32(addr, k210_read32(addr) & ~bits);
}

#endif
