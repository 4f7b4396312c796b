/* FPIOA: routes one of 256 peripheral functions to each of the 48 IO pins (K210 IO numbers). */
#ifndef K210_FPIOA_H
#define K210_FPIOA_H

#include <stdint.h>

/* Function numbers (FPIOA function table of the K210 datasheet) this port routes. */
#define K210_FUNC_SPI0_SS0 12u /* SS0..SS3 = 12..15 */
#define K210_FUNC_SPI0_SCLK 17u
#define K210_FUNC_GPIOHS0 24u /* GPIOHS0..31 = 24..55 */
#define K210_FUNC_CMOS_XCLK 132u
#define K210_FUNC_CMOS_RST 133u
#define K210_FUNC_CMOS_PWDN 134u
#define K210_FUNC_CMOS_VSYNC 135u
#define K210_FUNC_CMOS_HREF 136u
#define K210_FUNC_CMOS_PCLK 137u
#define K210_FUNC_SCCB_SCLK 146u
#define K210_FUNC_SCCB_SDA 147u

#define K210_IO_COUNT 48

/* Electrical set-up of the pin the function drives or reads. */
typedef enum {
    K210_PIN_OUTPUT,     /* push-pull output, full drive */
    K210_PIN_INPUT,      /* input with Schmitt trigger */
    K210_PIN_GPIO,       /* output and input (GPIOHS decides the direction) */
    K210_PIN_OPEN_DRAIN, /* SCCB: drives low only, pull-up, input enabled */
} k210_pin_kind_t;

/* Route func to IO pin io (0..47); returns 0, or -1 for a bad pin or function number. */
int k210_fpioa_set(int io, uint32_t func, k210_pin_kind_t kind);

#endif
