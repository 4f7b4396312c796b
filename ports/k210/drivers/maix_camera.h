/* MaixPy's `sensor` behaviour (spec maixpy-image-subset.md section 3) for an OV2640 on the
 * K210 DVP, without MicroPython: reset/probe, pixel format, frame size, windowing (a top-left
 * crop, as the DVP does it), mirror/flip and snapshot into caller-owned buffers. */
#ifndef MAIX_CAMERA_H
#define MAIX_CAMERA_H

#include <stddef.h>
#include <stdint.h>
#include "maix_status.h"

#define MAIX_PIXFORMAT_RGB565 2
#define MAIX_PIXFORMAT_YUV422 3
#define MAIX_PIXFORMAT_GRAYSCALE 4
#define MAIX_FRAMESIZE_QVGA 10
#define MAIX_FRAMESIZE_COUNT 27 /* 0 = none, 1..26 = spec 3.1 */
#define MAIX_SNAPSHOT_TIMEOUT_US 300000u

typedef struct {
    int io_sda, io_scl, io_rst, io_vsync, io_pwdn, io_href, io_xclk, io_pclk;
    uint32_t io_banks_1v8; /* sysctl power_sel bits for the camera's IO banks */
} maix_camera_pins_t;

typedef struct {
    int found;      /* the last reset found the camera */
    uint16_t id;    /* its chip id (0x2642), or what answered instead */
    int pixformat;  /* 0 = not set */
    int framesize;  /* 0 = not set */
    int res_w, res_h;
    int win_w, win_h; /* snapshot size: the frame size or the window */
    int hmirror, vflip;
    uint32_t xclk_hz;
} maix_camera_t;

/* Size of frame size constant fs (spec 3.1); 0 for an unknown constant. */
int maix_framesize_dims(int fs, int *w, int *h);
maix_status_t maix_camera_reset(maix_camera_t *cam, const maix_camera_pins_t *pins,
                                uint32_t xclk_hz);
maix_status_t maix_camera_set_pixformat(maix_camera_t *cam, int fmt);
maix_status_t maix_camera_set_framesize(maix_camera_t *cam, int fs);
/* roi: n = 2 (w, h: centred, which the DVP ignores) or 4 (x, y, w, h). */
maix_status_t maix_camera_set_windowing(maix_camera_t *cam, const int *roi, int n);
maix_status_t maix_camera_set_hmirror(maix_camera_t *cam, int on);
maix_status_t maix_camera_set_vflip(maix_camera_t *cam, int on);
/* Buffer sizes for the current window: pixels (w*h*2, or 0 for gray: the pixels are the first
 * AI plane) and the AI planes (w*h*3). */
size_t maix_camera_pixel_bytes(const maix_camera_t *cam);
size_t maix_camera_ai_bytes(const maix_camera_t *cam);
/* One frame: RGB565 into pixels in the raw layout (the DVP's 32-bit words byte-reversed) and
 * R, G, B planes into ai; gray: Y into ai (pixels unused). Buffers 8-byte aligned in SRAM. */
maix_status_t maix_camera_snapshot(maix_camera_t *cam, uint8_t *pixels, uint8_t *ai,
                                   uint32_t timeout_us);

#endif
