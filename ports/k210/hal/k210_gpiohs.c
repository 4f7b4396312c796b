/* GPIOHS registers (one bit per GPIO): input_en 0x04, output_en 0x08, output_val 0x0C. */
#include "k210_gpiohs.h"
#include "k210_mmio.h"

#define GPIOHS_INPUT_EN (K210_GPIOHS_BASE + 0x04u)
#define GPIOHS_OUTPUT_EN (K210_GPIOHS_BASE + 0x08u)
#define GPIOHS_OUTPUT_VAL (K210_GPIOHS_BASE + 0x0Cu)

void k210_gpiohs_write(int n, int level)
{
    if (n < 0 || n >= K210_GPIOHS_COUNT) {
        return;
    }
    if (level) {
        k210_set_bits32(GPIOHS_OUTPUT_VAL, 1u << n);
    } else {
        k210_clear_bits32(GPIOHS_OUTPUT_VAL, 1u << n);
    }
}

void k210_gpiohs_output(int n, int level)
{
    if (n < 0 || n >= K210_GPIOHS_COUNT) {
        return;
    }
    k210_gpiohs_write(n, level); /* the level first, so the pin never glitches */
    k210_clear_bits32(GPIOHS_INPUT_EN, 1u << n);
    k210_set_bits32(GPIOHS_OUTPUT_EN, 1u << n);
}
