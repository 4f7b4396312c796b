// HAL glue between MicroPython and the K210 port's hal/ (console on UARTHS, CLINT time).
#include <stdint.h>
#include "shared/runtime/interrupt_char.h"
#include "k210_time.h"

static inline mp_uint_t mp_hal_ticks_ms(void)
{
    return (mp_uint_t)(k210_time_us() / 1000u);
}

static inline mp_uint_t mp_hal_ticks_us(void)
{
    return (mp_uint_t)k210_time_us();
}

static inline mp_uint_t mp_hal_ticks_cpu(void)
{
    uint64_t cycles;
    __asm__ volatile ("rdcycle %0" : "=r" (cycles));
    return (mp_uint_t)cycles;
}

static inline void mp_hal_delay_us(mp_uint_t us)
{
    k210_time_delay_us(us);
}

static inline void mp_hal_delay_ms(mp_uint_t ms)
{
    k210_time_delay_us((uint64_t)ms * 1000u);
}
