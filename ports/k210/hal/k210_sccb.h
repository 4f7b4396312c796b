/* The SCCB (I2C-like camera control bus) master inside the DVP block: 8-bit register
 * addresses, one byte per register. */
#ifndef K210_SCCB_H
#define K210_SCCB_H

#include <stdint.h>

#define K210_SCCB_TIMEOUT (-1)

/* SCL at about scl_hz from the APB1 clock (the DVP's clock must be on: k210_dvp_init). */
void k210_sccb_init(uint32_t scl_hz);
/* dev: the 8-bit write address (OV2640: 0x60). 0, or K210_SCCB_TIMEOUT. */
int k210_sccb_write(uint8_t dev, uint8_t reg, uint8_t value);
int k210_sccb_read(uint8_t dev, uint8_t reg, uint8_t *value);

#endif
