/* The status table of maix_status.h. */
#include <stddef.h>
#include "maix_status.h"

static const maix_status_info_t table[MAIX_STATUS_COUNT] = {
    [MAIX_OK] = {MAIX_EXC_OSERROR, 0, "ok", NULL},
    /* MaixPy raises OSError(<driver code>) when its LCD driver fails (spec 6): EIO here */
    [MAIX_ERR_LCD_BUS] = {MAIX_EXC_OSERROR, 5 /* EIO */, "EIO", "SPI0 FIFO did not drain"},
    [MAIX_ERR_LCD_TYPE] = {MAIX_EXC_VALUEERROR, 0, "type error", NULL},
    [MAIX_ERR_LCD_ROTATION] = {MAIX_EXC_VALUEERROR, 0, "value:[0,3]", NULL},
    [MAIX_ERR_LCD_NOT_INIT] = {MAIX_EXC_VALUEERROR, 0, "not init", NULL},
    [MAIX_ERR_LCD_RECT] = {MAIX_EXC_VALUEERROR, 0, "arg error", NULL},
    [MAIX_ERR_LCD_FORMAT] = {MAIX_EXC_OSERROR, 0, "Image format is not supported.", NULL},
    [MAIX_ERR_ROI_DIMENSIONS] = {MAIX_EXC_OSERROR, 0, "Invalid ROI dimensions!", NULL},
    [MAIX_ERR_ROI_OUTSIDE] = {MAIX_EXC_OSERROR, 0, "ROI does not overlap on the image!", NULL},
    [MAIX_ERR_CAM_SCCB_TIMEOUT] = {MAIX_EXC_OSERROR, 0, "Reset Failed",
                                   "camera not answering: SCCB transfer never finished"},
    [MAIX_ERR_CAM_NO_ANSWER] = {MAIX_EXC_OSERROR, 0, "Reset Failed",
                                "camera not answering: no OV2640 chip id on SCCB"},
    [MAIX_ERR_CAM_NOT_FOUND] = {MAIX_EXC_TYPEERROR, 0, "not found sensor", NULL},
    [MAIX_ERR_CAM_NOT_INIT] = {MAIX_EXC_RUNTIMEERROR, 0, "Not init!", NULL},
    [MAIX_ERR_CAM_NO_VSYNC] = {MAIX_EXC_RUNTIMEERROR, 0, "Sensor timeout!",
                               "no frame start (VSYNC) from the camera"},
    [MAIX_ERR_CAM_NO_FINISH] = {MAIX_EXC_RUNTIMEERROR, 0, "Sensor timeout!",
                                "frame started but the DVP never finished it"},
    [MAIX_ERR_CAM_PIXFORMAT] = {MAIX_EXC_OSERROR, 0, "Pixel format is not supported!", NULL},
    [MAIX_ERR_CAM_FRAMESIZE] = {MAIX_EXC_OSERROR, 5 /* EIO */, "EIO",
                                "frame size not supported by this driver"},
    [MAIX_ERR_CAM_BUFFER] = {MAIX_EXC_OSERROR, 12 /* ENOMEM */, "ENOMEM",
                             "frame buffer not DMA-able (outside SRAM or misaligned)"},
    [MAIX_ERR_CAM_CONTROL] = {MAIX_EXC_VALUEERROR, 0, "Sensor control failed!", NULL},
    [MAIX_ERR_WIN_ARITY] = {MAIX_EXC_VALUEERROR, 0,
                            "The tuple/list must either be (x, y, w, h) or (w, h)", NULL},
    [MAIX_ERR_WIN_SMALL] = {MAIX_EXC_VALUEERROR, 0, "The selected window is too small", NULL},
    [MAIX_ERR_WIN_OUTSIDE] = {MAIX_EXC_VALUEERROR, 0,
                              "The selected window is outside the bounds of the frame", NULL},
    [MAIX_ERR_WIN_MULTIPLE] = {MAIX_EXC_VALUEERROR, 0, "value must be multiple of 8", NULL},
};

static const maix_status_info_t unknown = {MAIX_EXC_OSERROR, 5 /* EIO */, "EIO",
                                           "unknown driver status"};

const maix_status_info_t *maix_status_info(int status)
{
    if (status < 0 || status >= MAIX_STATUS_COUNT) {
        return &unknown;
    }
    return &table[status];
}
