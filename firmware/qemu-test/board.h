/* QEMU virt machine addresses used by the bare-metal core test. */
#ifndef QEMU_TEST_BOARD_H
#define QEMU_TEST_BOARD_H

#include <stddef.h>
#include <stdint.h>

#define UART0_BASE 0x10000000u   /* NS16550A */
#define TEST_DEV_BASE 0x00100000u /* SiFive test finisher: 0x5555 pass, (code << 16) | 0x3333 fail */
#define JOB_ADDR 0x84000000u     /* where pytest's -device loader puts the job image */

void uart_write(const char *s, size_t n);
void qemu_exit(int status) __attribute__((noreturn));

#endif
