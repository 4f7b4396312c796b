/* OV2640 camera over SCCB: probe, a minimal YUV422 set-up, output size, mirror/flip. */
#ifndef OV2640_H
#define OV2640_H

#include <stdint.h>

#define OV2640_SCCB_ADDR 0x60u /* 8-bit write address (7-bit 0x30) */
#define OV2640_CHIP_ID 0x2642u /* PIDH 0x26, PIDL (version) 0x42 */

#define OV2640_OK 0
#define OV2640_BUS (-1)   /* SCCB transfer never finished */
#define OV2640_WRONG (-2) /* something answered, but not with the OV2640's id */
#define OV2640_SIZE (-3)  /* output size the driver does not do */

/* Read the product id (PIDH << 8 | PIDL) into *id; OV2640_OK, OV2640_BUS or OV2640_WRONG. */
int ov2640_probe(uint16_t *id);
/* Soft reset, then the sensor's SVGA mode and the DSP's YUV422 output. */
int ov2640_init(void);
/* DSP output (zoom) size: w, h multiples of 4 up to 800x600 (the SVGA sensor window). */
int ov2640_set_output_size(int w, int h);
int ov2640_set_mirror_flip(int hmirror, int vflip);

#endif
