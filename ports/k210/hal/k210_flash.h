/* Reads of the board's SPI NOR flash (W25Qxx on every Maix board) through SPI3, which the
 * boot ROM already routed to the flash pins: the 0x03 READ command in standard SPI mode. */
#ifndef K210_FLASH_H
#define K210_FLASH_H

#include <stddef.h>
#include <stdint.h>

/* baud_div: SPI3 clock = SSI clock / baud_div (even, >= 2). */
void k210_flash_init(uint32_t baud_div);
/* n bytes at addr (24-bit addressing: 16 MiB); returns 0, or -1 on a timeout. */
int k210_flash_read(uint32_t addr, void *dst, size_t n);

#endif
