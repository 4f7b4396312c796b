/* SPI0 (DesignWare SSI) as the Maix boards wire it to the LCD: octal frame format (the eight
 * SPI0 data lines are the panel's 8-bit parallel bus, SCLK is its write strobe), transmit
 * only, 8-bit frames, CPU-fed FIFO (no DMA). */
#ifndef K210_SPI0_H
#define K210_SPI0_H

#include <stddef.h>
#include <stdint.h>

#define K210_SPI0_TIMEOUT (-1)

/* Clocks, reset and the transmit set-up for chip select ss (0..3), SCLK at most hz. Returns
 * the SCLK frequency set (Hz), 0 if hz is 0. */
uint32_t k210_spi0_init(uint32_t ss, uint32_t hz);
/* Send n bytes and wait until the last one is on the wire (so DC may change after it):
 * 0, or K210_SPI0_TIMEOUT if the FIFO does not drain. */
int k210_spi0_write(const uint8_t *data, size_t n);
/* Send the plen-byte pattern repeats times (a fill colour), same result as above. */
int k210_spi0_write_repeat(const uint8_t *pattern, size_t plen, size_t repeats);

#endif
