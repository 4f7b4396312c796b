/* The high-speed UART (UARTHS): the console on every Maix board (the USB-serial bridge). */
#ifndef K210_UARTHS_H
#define K210_UARTHS_H

#include <stddef.h>
#include <stdint.h>

void k210_uarths_init(uint32_t baud);
void k210_uarths_write(const char *s, size_t n);
/* The next received byte, or -1 when none is waiting. */
int k210_uarths_read(void);

#endif
