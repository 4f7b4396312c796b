/* Host model of the K210 peripherals the LCD and camera drivers use (ports/k210/hal built with
 * -DK210_MMIO_SIM): sysctl, FPIOA, GPIOHS, SPI0 with an 8080 panel bus behind it, the DVP with
 * its SCCB master, a fake OV2640 register file and a frame generator, CLINT time. Everything the
 * bus sees is written as text lines to the trace (stdout) for host_tests/firmware/test_k210_drivers.py:
 *   RST <level> <t_us>           LCD reset line changed (GPIOHS routed to IO 37)
 *   C <byte> <t_us>              byte clocked out of SPI0 with DC low (a panel command)
 *   D <hex bytes>                bytes clocked out with DC high (parameters, pixels)
 *   SCCB W|R <bank> <reg> <val>  camera register write / read
 *   FRAME <w> <h> <format>       the DVP wrote a frame
 *   ERR <text>                   the drivers did something the hardware would not accept */
#ifndef K210_SIM_H
#define K210_SIM_H

#include <stddef.h>
#include <stdint.h>

/* Board wiring the model assumes (Sipeed Maix boards, boards/maix_common.h). */
#define SIM_IO_LCD_CS 36
#define SIM_IO_LCD_RST 37
#define SIM_IO_LCD_DC 38
#define SIM_IO_LCD_WR 39
#define SIM_IO_SCCB_SDA 40
#define SIM_IO_SCCB_SCL 41
#define SIM_IO_CMOS_RST 42
#define SIM_IO_CMOS_VSYNC 43
#define SIM_IO_CMOS_PWDN 44
#define SIM_IO_CMOS_HREF 45
#define SIM_IO_CMOS_XCLK 46
#define SIM_IO_CMOS_PCLK 47

/* Faults: "absent" (no camera on SCCB), "wrong_id", "sccb_stuck" (the master never ends a
 * transfer), "no_vsync" (the camera never starts a frame), "no_finish" (frames never end),
 * "spi_stuck" (SPI0's transmit FIFO never drains). */
int k210_sim_knob(const char *name);
/* Simulated SRAM the DVP may write (bus addresses 0x80000000 + offset), 8-byte aligned. */
void *k210_sim_alloc(size_t n);
/* The RGB888 the fake camera sees at sensor pixel (x, y) (before mirror/flip). */
void k210_sim_pattern(int x, int y, uint8_t rgb[3]);
/* Flush a pending D line (call before printing own lines). */
void k210_sim_flush(void);

#endif
