/* CLINT mtime as microseconds, for mp_hal_ticks and the KPU backend's timeout. */
#include "k210_mmio.h"
#include "k210_sysctl.h"
#include "k210_time.h"

#define CLINT_MTIME (K210_CLINT_BASE + 0xBFF8u)
#define CLINT_DIVIDER 50u

uint64_t k210_time_us(void)
{
    static uint32_t ticks_per_us; /* the clock is set before the first call */
    if (ticks_per_us == 0) {
        ticks_per_us = k210_sysctl_cpu_hz() / CLINT_DIVIDER / 1000000u;
        if (ticks_per_us == 0) {
            ticks_per_us = 1;
        }
    }
    return k210_read64(CLINT_MTIME) / ticks_per_us;
}

void k210_time_delay_us(uint64_t us)
{
    uint64_t start = k210_time_us();
    while (k210_time_us() - start < us) {
    }
}
