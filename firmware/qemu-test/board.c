/* UART output, stdio hookup for picolibc and the exit path on QEMU virt. */
#include <stdio.h>
#include "board.h"

static void uart_putc_raw(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)(uintptr_t)UART0_BASE;
    while ((uart[5] & 0x20u) == 0) { /* wait for THR empty (LSR bit 5) */
    }
    uart[0] = (uint8_t)c;
}

void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc_raw('\r');
        uart_putc_raw(s[i]);
    }
}

static int stdio_putc(char c, FILE *f)
{
    (void)f;
    uart_write(&c, 1);
    return (unsigned char)c;
}

static FILE uart_stdio = FDEV_SETUP_STREAM(stdio_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &uart_stdio;
FILE *const stderr = &uart_stdio;

void qemu_exit(int status)
{
    volatile uint32_t *dev = (volatile uint32_t *)(uintptr_t)TEST_DEV_BASE;
    *dev = status == 0 ? 0x5555u : (((uint32_t)status & 0xffffu) << 16) | 0x3333u;
    for (;;) {
    }
}

void _exit(int status) { qemu_exit(status); }
