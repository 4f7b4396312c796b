/* The image core's status table: one row per img_status_t with its exception kind and the exact
 * MaixPy text (image-subset spec section 6). The glue raises from this table only. */
#include "img_status.h"

#include <stddef.h>

typedef struct {
    const char *name;
    img_exc_t exc;
    int err_no; /* OSError(errno) when non-zero */
    const char *text;
} img_status_row_t;

#define ROW(st, exc, err_no, text) [st] = {#st, exc, err_no, text}

static const img_status_row_t rows[IMG_STATUS_COUNT] = {
    ROW(IMG_OK, IMG_EXC_NONE, 0, ""),
    ROW(IMG_NONE, IMG_EXC_NONE, 0, ""),
    ROW(IMG_ERR_FORMAT, IMG_EXC_OS_ERROR, 0, "Image format is not supported!"),
    ROW(IMG_ERR_NOT_ENOUGH_ARGS, IMG_EXC_OS_ERROR, 0, "Not enough positional arguments!"),
    ROW(IMG_ERR_ROI_DIMENSIONS, IMG_EXC_OS_ERROR, 0, "Invalid ROI dimensions!"),
    ROW(IMG_ERR_ROI_OVERLAP, IMG_EXC_OS_ERROR, 0, "ROI does not overlap on the image!"),
    ROW(IMG_ERR_SCALE, IMG_EXC_OS_ERROR, 0, "Error: 0 < scale!"),
    ROW(IMG_ERR_X_SCALE, IMG_EXC_OS_ERROR, 0, "Error: 0.0 <= x_scale!"),
    ROW(IMG_ERR_Y_SCALE, IMG_EXC_OS_ERROR, 0, "Error: 0.0 <= y_scale!"),
    ROW(IMG_ERR_ALPHA, IMG_EXC_OS_ERROR, 0, "Error: 0 <= alpha <= 256!"),
    ROW(IMG_ERR_OUT_WIDTH_ZERO, IMG_EXC_OS_ERROR, 0, "Output image width is 0!"),
    ROW(IMG_ERR_OUT_HEIGHT_ZERO, IMG_EXC_OS_ERROR, 0, "Output image height is 0!"),
    ROW(IMG_ERR_FB_MAIN, IMG_EXC_OS_ERROR, 0,
        "The new image won't fit in the main frame buffer!"),
    ROW(IMG_ERR_FB_TARGET, IMG_EXC_OS_ERROR, 0,
        "The new image won't fit in the target frame buffer!"),
    ROW(IMG_ERR_GRAY_IN_PLACE, IMG_EXC_OS_ERROR, 0, "Can't convert to grayscale in place!"),
    ROW(IMG_ERR_RGB565_IN_PLACE, IMG_EXC_OS_ERROR, 0, "Can't convert to rgb565 in place!"),
    ROW(IMG_ERR_SLICE_STEP, IMG_EXC_OS_ERROR, 0,
        "only slices with step=1 (aka None) are supported"),
    ROW(IMG_ERR_GROW_SHRINK, IMG_EXC_OS_ERROR, 0, "cannot grow or shrink image"),
    ROW(IMG_ERR_INDEX, IMG_EXC_INDEX_ERROR, 0, "Image index out of range"),
    ROW(IMG_ERR_QUALITY, IMG_EXC_OS_ERROR, 0, "Error: 1 <= quality <= 100!"),
    ROW(IMG_ERR_NOT_BMP, IMG_EXC_OS_ERROR, 0, "Image is not BMP!"),
    ROW(IMG_ERR_NOT_PPM, IMG_EXC_OS_ERROR, 0, "Image is not PPM!"),
    ROW(IMG_ERR_NOT_PGM, IMG_EXC_OS_ERROR, 0, "Image is not PGM!"),
    ROW(IMG_ERR_NOT_BAYER, IMG_EXC_OS_ERROR, 0, "Image is not BAYER!"),
    ROW(IMG_ERR_UNKNOWN_FILE, IMG_EXC_VALUE_ERROR, 0, "format not supported"),
    ROW(IMG_ERR_NOT_SUPPORT, IMG_EXC_OS_ERROR, 0, "Not support"),
    ROW(IMG_ERR_BMP_FORMAT, IMG_EXC_OS_ERROR, 0, "Unsupported format!"),
    ROW(IMG_ERR_BMP_CORRUPTED, IMG_EXC_VALUE_ERROR, 0, "file_corrupted_raise!"),
    ROW(IMG_ERR_EIO, IMG_EXC_OS_ERROR, 5, ""),
    ROW(IMG_ERR_ENOENT, IMG_EXC_OS_ERROR, 2, ""),
    ROW(IMG_ERR_JPEG_UNSUPPORTED, IMG_EXC_OS_ERROR, 0, "JPEG not supported in this build"),
    ROW(IMG_ERR_NO_MEMORY, IMG_EXC_MEMORY_ERROR, 0,
        "Out of normal MicroPython Heap Memory! Please reduce the resolution of the image you "
        "are running this algorithm on to bypass this issue!"),
    ROW(IMG_ERR_NOT_IMAGE, IMG_EXC_TYPE_ERROR, 0, "Can't convert %s to type"),
    ROW(IMG_ERR_NO_PIX_AI, IMG_EXC_VALUE_ERROR, 0, "pix_ai not allocated"),
    ROW(IMG_ERR_OVERLAP, IMG_EXC_VALUE_ERROR, 0, "source and destination overlap"),
    ROW(IMG_ERR_ARGUMENT, IMG_EXC_VALUE_ERROR, 0, "invalid argument"),
};

static const img_status_row_t *row(img_status_t st)
{
    static const img_status_row_t unknown = {"IMG_STATUS_UNKNOWN", IMG_EXC_VALUE_ERROR, 0,
                                             "unknown image status"};
    if ((int)st < 0 || (int)st >= IMG_STATUS_COUNT || rows[st].name == NULL) {
        return &unknown;
    }
    return &rows[st];
}

const char *img_status_name(img_status_t st) { return row(st)->name; }
const char *img_status_message(img_status_t st) { return row(st)->text; }
img_exc_t img_status_exception(img_status_t st) { return row(st)->exc; }
int img_status_errno(img_status_t st) { return row(st)->err_no; }
