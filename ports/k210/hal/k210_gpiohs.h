/* GPIOHS: the 32 high-speed GPIOs (reached through FPIOA functions GPIOHS0..31). */
#ifndef K210_GPIOHS_H
#define K210_GPIOHS_H

#define K210_GPIOHS_COUNT 32

/* Make GPIOHS n (0..31) an output at level (0/1); out-of-range n is ignored. */
void k210_gpiohs_output(int n, int level);
void k210_gpiohs_write(int n, int level);

#endif
