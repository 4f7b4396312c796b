/* The sensor module's state machine over k210_dvp/k210_sccb/ov2640. */
#include "k210_dvp.h"
#include "k210_fpioa.h"
#include "k210_sccb.h"
#include "k210_sysctl.h"
#include "k210_time.h"
#include "maix_camera.h"
#include "ov2640.h"

#define SCCB_HZ 100000u

static const uint16_t frame_sizes[MAIX_FRAMESIZE_COUNT][2] = {
    {0, 0}, {88, 72}, {176, 144}, {352, 288}, {88, 60}, {176, 120}, {352, 240}, {40, 30},
    {80, 60}, {160, 120}, {320, 240}, {640, 480}, {60, 40}, {120, 80}, {240, 160}, {64, 32},
    {64, 64}, {128, 64}, {128, 128}, {240, 240}, {128, 160}, {128, 160}, {720, 480},
    {752, 480}, {800, 600}, {1280, 1024}, {1600, 1200},
};

int maix_framesize_dims(int fs, int *w, int *h)
{
    if (fs < 1 || fs >= MAIX_FRAMESIZE_COUNT) {
        return 0;
    }
    *w = frame_sizes[fs][0];
    *h = frame_sizes[fs][1];
    return 1;
}

static int route_pins(const maix_camera_pins_t *p)
{
    return k210_fpioa_set(p->io_sda, K210_FUNC_SCCB_SDA, K210_PIN_OPEN_DRAIN) |
           k210_fpioa_set(p->io_scl, K210_FUNC_SCCB_SCLK, K210_PIN_OPEN_DRAIN) |
           k210_fpioa_set(p->io_rst, K210_FUNC_CMOS_RST, K210_PIN_OUTPUT) |
           k210_fpioa_set(p->io_pwdn, K210_FUNC_CMOS_PWDN, K210_PIN_OUTPUT) |
           k210_fpioa_set(p->io_xclk, K210_FUNC_CMOS_XCLK, K210_PIN_OUTPUT) |
           k210_fpioa_set(p->io_vsync, K210_FUNC_CMOS_VSYNC, K210_PIN_INPUT) |
           k210_fpioa_set(p->io_href, K210_FUNC_CMOS_HREF, K210_PIN_INPUT) |
           k210_fpioa_set(p->io_pclk, K210_FUNC_CMOS_PCLK, K210_PIN_INPUT);
}

maix_status_t maix_camera_reset(maix_camera_t *cam, const maix_camera_pins_t *pins,
                                uint32_t xclk_hz)
{
    *cam = (maix_camera_t){0};
    k210_sysctl_set_io_banks_1v8(pins->io_banks_1v8);
    k210_sysctl_spi0_dvp_data_pins(1); /* DVP D0-D7 on their dedicated pins */
    if (route_pins(pins) != 0) {
        return MAIX_ERR_CAM_NO_ANSWER;
    }
    cam->xclk_hz = k210_dvp_init(xclk_hz);
    k210_sccb_init(SCCB_HZ);
    /* power cycle with XCLK running: PWDN high, then low; RESETB low, then high */
    k210_dvp_power_down(1);
    k210_dvp_hold_reset(1);
    k210_time_delay_us(10000);
    k210_dvp_power_down(0);
    k210_time_delay_us(10000);
    k210_dvp_hold_reset(0);
    k210_time_delay_us(20000);
    int st = ov2640_probe(&cam->id);
    if (st == OV2640_OK) {
        st = ov2640_init();
    }
    if (st == OV2640_BUS) {
        return MAIX_ERR_CAM_SCCB_TIMEOUT;
    }
    if (st != OV2640_OK) {
        return MAIX_ERR_CAM_NO_ANSWER;
    }
    cam->found = 1;
    return MAIX_OK;
}

maix_status_t maix_camera_set_pixformat(maix_camera_t *cam, int fmt)
{
    if (fmt != MAIX_PIXFORMAT_RGB565 && fmt != MAIX_PIXFORMAT_GRAYSCALE) {
        return MAIX_ERR_CAM_PIXFORMAT; /* YUV422 frames are not implemented */
    }
    cam->pixformat = fmt; /* the sensor always sends YUV422; the DVP picks RGB or Y */
    return MAIX_OK;
}

maix_status_t maix_camera_set_framesize(maix_camera_t *cam, int fs)
{
    int w, h;
    if (!maix_framesize_dims(fs, &w, &h) || (w & 7)) {
        return MAIX_ERR_CAM_FRAMESIZE; /* the DVP takes whole 8-pixel bursts */
    }
    if (!cam->found) {
        return MAIX_ERR_CAM_NOT_FOUND;
    }
    int st = ov2640_set_output_size(w, h);
    if (st == OV2640_SIZE) {
        return MAIX_ERR_CAM_FRAMESIZE;
    }
    if (st != OV2640_OK) {
        return MAIX_ERR_CAM_SCCB_TIMEOUT;
    }
    cam->framesize = fs;
    cam->res_w = cam->win_w = w;
    cam->res_h = cam->win_h = h;
    return MAIX_OK;
}

maix_status_t maix_camera_set_windowing(maix_camera_t *cam, const int *roi, int n)
{
    int x, y, w, h;
    if (n == 2) {
        w = roi[0];
        h = roi[1];
        x = cam->res_w / 2 - w / 2;
        y = cam->res_h / 2 - h / 2;
    } else if (n == 4) {
        x = roi[0];
        y = roi[1];
        w = roi[2];
        h = roi[3];
    } else {
        return MAIX_ERR_WIN_ARITY;
    }
    if (w < 8 || h < 8) {
        return MAIX_ERR_WIN_SMALL;
    }
    if (x < 0 || y < 0 || (int64_t)x + w > cam->res_w || (int64_t)y + h > cam->res_h) {
        return MAIX_ERR_WIN_OUTSIDE;
    }
    if ((w & 7) || (h & 7)) {
        return MAIX_ERR_WIN_MULTIPLE;
    }
    cam->win_w = w; /* the DVP keeps the first w pixels of the first h lines: x, y unused */
    cam->win_h = h;
    return MAIX_OK;
}

maix_status_t maix_camera_set_hmirror(maix_camera_t *cam, int on)
{
    if (!cam->found || ov2640_set_mirror_flip(on, cam->vflip) != OV2640_OK) {
        return MAIX_ERR_CAM_CONTROL;
    }
    cam->hmirror = on != 0;
    return MAIX_OK;
}

maix_status_t maix_camera_set_vflip(maix_camera_t *cam, int on)
{
    if (!cam->found || ov2640_set_mirror_flip(cam->hmirror, on) != OV2640_OK) {
        return MAIX_ERR_CAM_CONTROL;
    }
    cam->vflip = on != 0;
    return MAIX_OK;
}

size_t maix_camera_pixel_bytes(const maix_camera_t *cam)
{
    if (cam->pixformat == MAIX_PIXFORMAT_GRAYSCALE) {
        return 0;
    }
    return (size_t)cam->win_w * (size_t)cam->win_h * 2u;
}

size_t maix_camera_ai_bytes(const maix_camera_t *cam)
{
    return (size_t)cam->win_w * (size_t)cam->win_h * 3u;
}

/* The DVP stores RGB565 two pixels per little-endian 32-bit word, the first pixel in the high
 * half; reversing each word's bytes gives pixels in order, each high byte first (spec 3.6). */
static void reverse_words(uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 3 < n; i += 4) {
        uint8_t b0 = p[i], b1 = p[i + 1];
        p[i] = p[i + 3];
        p[i + 1] = p[i + 2];
        p[i + 2] = b1;
        p[i + 3] = b0;
    }
}

maix_status_t maix_camera_snapshot(maix_camera_t *cam, uint8_t *pixels, uint8_t *ai,
                                   uint32_t timeout_us)
{
    if (!cam->found) {
        return MAIX_ERR_CAM_NOT_FOUND;
    }
    if (cam->framesize == 0 || cam->pixformat == 0) {
        return MAIX_ERR_CAM_NOT_INIT;
    }
    size_t plane = (size_t)cam->win_w * (size_t)cam->win_h;
    int gray = cam->pixformat == MAIX_PIXFORMAT_GRAYSCALE;
    if (ai == NULL || (!gray && pixels == NULL)) {
        return MAIX_ERR_CAM_BUFFER;
    }
    if (k210_dvp_configure(cam->win_w, cam->win_h, gray ? K210_DVP_IN_Y : K210_DVP_IN_YUV,
                           gray ? NULL : pixels, ai, ai + plane, ai + 2 * plane) != 0) {
        return MAIX_ERR_CAM_BUFFER;
    }
    int st = k210_dvp_capture(timeout_us);
    if (st == K210_DVP_NO_VSYNC) {
        return MAIX_ERR_CAM_NO_VSYNC;
    }
    if (st != 0) {
        return MAIX_ERR_CAM_NO_FINISH;
    }
    if (!gray) {
        reverse_words(pixels, plane * 2u);
    }
    return MAIX_OK;
}
