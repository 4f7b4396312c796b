/* Minimal sysctl: clock frequencies the boot ROM (or the port) left configured, and the clock
 * gates, resets, dividers and IO settings the LCD and camera drivers need. */
#ifndef K210_SYSCTL_H
#define K210_SYSCTL_H

#include <stdint.h>

/* Peripherals this port switches on: the bit in clk_en_peri (0x2C) and peri_reset (0x34). */
typedef enum {
    K210_PERIPH_DVP = 3,
    K210_PERIPH_SPI0 = 6,
    K210_PERIPH_FPIOA = 20,
} k210_periph_t;

/* CPU (ACLK) frequency in Hz from PLL0 and the ACLK selector/divider. */
uint32_t k210_sysctl_cpu_hz(void);
uint32_t k210_sysctl_pll0_hz(void);
/* APB1 (the DVP's bus, its XCLK and SCCB clock source): ACLK / (apb1_clk_sel + 1). */
uint32_t k210_sysctl_apb1_hz(void);
/* Gate the peripheral's bus clock and its own clock on. */
void k210_sysctl_clock_enable(k210_periph_t p);
/* Pulse the peripheral's reset (held 10 us). */
void k210_sysctl_reset(k210_periph_t p);
/* SPI0's clock: PLL0 / ((clk_th1 spi0 threshold + 1) * 2). */
uint32_t k210_sysctl_spi0_hz(void);
/* misc.spi_dvp_data_enable: SPI0 D0-D7 and the DVP data bus on their dedicated pins. */
void k210_sysctl_spi0_dvp_data_pins(int enable);
/* power_sel: IO bank b (IO 6b..6b+5) at 1.8 V for each set bit of banks_mask. */
void k210_sysctl_set_io_banks_1v8(uint32_t banks_mask);

#endif
