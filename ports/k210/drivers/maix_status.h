/* Status codes of the MaixPy-level LCD and camera drivers, and the one table that gives each
 * its MaixPy exception kind and exact text (spec maixpy-image-subset.md section 6) plus what
 * the driver saw, so the MicroPython glue prints the finding and raises MaixPy's exception,
 * and host tests can print both. */
#ifndef MAIX_STATUS_H
#define MAIX_STATUS_H

typedef enum {
    MAIX_OK = 0,
    MAIX_ERR_LCD_BUS,          /* SPI0 FIFO never drained */
    MAIX_ERR_LCD_TYPE,         /* lcd.init type other than 0..5 or an unsupported one */
    MAIX_ERR_LCD_ROTATION,     /* rotation outside 0..3 */
    MAIX_ERR_LCD_NOT_INIT,     /* draw_string / fill_rectangle before init */
    MAIX_ERR_LCD_RECT,         /* fill_rectangle corner off the panel */
    MAIX_ERR_LCD_FORMAT,       /* display of an image that is not gray/RGB565 */
    MAIX_ERR_ROI_DIMENSIONS,   /* roi w or h < 1 */
    MAIX_ERR_ROI_OUTSIDE,      /* roi does not overlap the image */
    MAIX_ERR_CAM_SCCB_TIMEOUT, /* the SCCB master never finished a transfer */
    MAIX_ERR_CAM_NO_ANSWER,    /* the chip id read back is not the OV2640's */
    MAIX_ERR_CAM_NOT_FOUND,    /* snapshot without a successful reset */
    MAIX_ERR_CAM_NOT_INIT,     /* snapshot without a frame size */
    MAIX_ERR_CAM_NO_VSYNC,     /* no frame start within the timeout */
    MAIX_ERR_CAM_NO_FINISH,    /* frame started but never finished */
    MAIX_ERR_CAM_PIXFORMAT,    /* pixel format the driver does not do */
    MAIX_ERR_CAM_FRAMESIZE,    /* frame size the driver does not do */
    MAIX_ERR_CAM_BUFFER,       /* frame buffer not in DMA-able SRAM or misaligned */
    MAIX_ERR_CAM_CONTROL,      /* mirror/flip without a camera or not acknowledged */
    MAIX_ERR_WIN_ARITY,        /* set_windowing: not (w,h) or (x,y,w,h) */
    MAIX_ERR_WIN_SMALL,
    MAIX_ERR_WIN_OUTSIDE,
    MAIX_ERR_WIN_MULTIPLE,
    MAIX_STATUS_COUNT
} maix_status_t;

typedef enum {
    MAIX_EXC_OSERROR,
    MAIX_EXC_VALUEERROR,
    MAIX_EXC_RUNTIMEERROR,
    MAIX_EXC_TYPEERROR,
} maix_exc_kind_t;

typedef struct {
    maix_exc_kind_t kind;
    int err_no;              /* OSError(errno) as MaixPy raises it; 0: raise with the text */
    const char *maixpy_text; /* MaixPy's message (the errno's name when err_no is set) */
    const char *detail;      /* what this driver saw, printed before raising (NULL: nothing) */
} maix_status_info_t;

/* Never NULL: unknown codes give a generic entry. */
const maix_status_info_t *maix_status_info(int status);

#endif
