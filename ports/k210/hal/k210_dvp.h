/* The DVP camera interface: XCLK, the camera's RESET/PWDN lines, and one-frame capture into a
 * display buffer (RGB565 as 32-bit words) and/or three AI planes (R, G, B bytes). */
#ifndef K210_DVP_H
#define K210_DVP_H

#include <stdint.h>

#define K210_DVP_BAD_ARG (-1)
#define K210_DVP_NO_VSYNC (-2)  /* no frame start within the timeout */
#define K210_DVP_NO_FINISH (-3) /* frame started, never finished */

typedef enum {
    K210_DVP_IN_RGB = 0,     /* the sensor sends RGB565 */
    K210_DVP_IN_YUV = 0x200, /* YUV422: the DVP converts to RGB565 and RGB888 */
    K210_DVP_IN_Y = 0x600,   /* only Y: gray into the first AI plane */
} k210_dvp_input_t;

/* Clock on, reset, XCLK at most xclk_hz (from APB1) enabled; returns the XCLK set (Hz). */
uint32_t k210_dvp_init(uint32_t xclk_hz);
/* The camera's PWDN line (1 = powered down) and RESET line (1 = held in reset). */
void k210_dvp_power_down(int on);
void k210_dvp_hold_reset(int on);
/* Frame geometry and targets: w a multiple of 8 (<= 2040), h 1..1023. display (w*h*2 bytes)
 * and r/g/b (w*h each) may be NULL to switch that output off; buffers 8-byte aligned in
 * SRAM. 0 or K210_DVP_BAD_ARG. */
int k210_dvp_configure(int w, int h, k210_dvp_input_t in, void *display, void *r, void *g,
                       void *b);
/* Capture the next whole frame: 0, K210_DVP_NO_VSYNC or K210_DVP_NO_FINISH. */
int k210_dvp_capture(uint32_t timeout_us);

#endif
