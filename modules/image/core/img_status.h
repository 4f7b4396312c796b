/* Status codes of the image core: one table (img_status.c) gives each its MaixPy exception kind
 * and exact text (image-subset spec section 6), so the MicroPython and cffi glue raise the same
 * errors from one place. Every img_* function that can fail returns one. */
#ifndef IMG_STATUS_H
#define IMG_STATUS_H

typedef enum img_status {
    IMG_OK = 0,
    IMG_NONE = 1,                 /* no value: MaixPy returns None (get_pixel off the image) */
    IMG_ERR_FORMAT = 2,           /* OSError "Image format is not supported!" */
    IMG_ERR_NOT_ENOUGH_ARGS = 3,  /* OSError "Not enough positional arguments!" */
    IMG_ERR_ROI_DIMENSIONS = 4,   /* OSError "Invalid ROI dimensions!" */
    IMG_ERR_ROI_OVERLAP = 5,      /* OSError "ROI does not overlap on the image!" */
    IMG_ERR_SCALE = 6,            /* OSError "Error: 0 < scale!" (draw_string) */
    IMG_ERR_X_SCALE = 7,          /* OSError "Error: 0.0 <= x_scale!" */
    IMG_ERR_Y_SCALE = 8,          /* OSError "Error: 0.0 <= y_scale!" */
    IMG_ERR_ALPHA = 9,            /* OSError "Error: 0 <= alpha <= 256!" */
    IMG_ERR_OUT_WIDTH_ZERO = 10,  /* OSError "Output image width is 0!" */
    IMG_ERR_OUT_HEIGHT_ZERO = 11, /* OSError "Output image height is 0!" */
    IMG_ERR_FB_MAIN = 12,         /* OSError "The new image won't fit in the main frame buffer!" */
    IMG_ERR_FB_TARGET = 13,       /* OSError "The new image won't fit in the target frame buffer!" */
    IMG_ERR_GRAY_IN_PLACE = 14,   /* OSError "Can't convert to grayscale in place!" */
    IMG_ERR_RGB565_IN_PLACE = 15, /* OSError "Can't convert to rgb565 in place!" */
    IMG_ERR_SLICE_STEP = 16,      /* OSError "only slices with step=1 (aka None) are supported" */
    IMG_ERR_GROW_SHRINK = 17,     /* OSError "cannot grow or shrink image" */
    IMG_ERR_INDEX = 18,           /* IndexError "Image index out of range" */
    IMG_ERR_QUALITY = 19,         /* OSError "Error: 1 <= quality <= 100!" */
    IMG_ERR_NOT_BMP = 20,         /* OSError "Image is not BMP!" */
    IMG_ERR_NOT_PPM = 21,         /* OSError "Image is not PPM!" */
    IMG_ERR_NOT_PGM = 22,         /* OSError "Image is not PGM!" */
    IMG_ERR_NOT_BAYER = 23,       /* OSError "Image is not BAYER!" */
    IMG_ERR_UNKNOWN_FILE = 24,    /* ValueError "format not supported" (unknown magic) */
    IMG_ERR_NOT_SUPPORT = 25,     /* OSError "Not support" (BMP from bytes / a file object) */
    IMG_ERR_BMP_FORMAT = 26,      /* OSError "Unsupported format!" */
    IMG_ERR_BMP_CORRUPTED = 27,   /* ValueError "file_corrupted_raise!" */
    IMG_ERR_EIO = 28,             /* OSError(EIO): file shorter than its header says */
    IMG_ERR_ENOENT = 29,          /* OSError(ENOENT): missing file (for the glue's file I/O) */
    IMG_ERR_JPEG_UNSUPPORTED = 30, /* OSError "JPEG not supported in this build" (core has no
                                    * JPEG codec; not a MaixPy text) */
    IMG_ERR_NO_MEMORY = 31,       /* MemoryError "Out of normal MicroPython Heap Memory! ..." */
    IMG_ERR_NOT_IMAGE = 32,       /* TypeError "Can't convert %s to type" (%s: the argument's
                                   * type name, filled in by the glue) */
    IMG_ERR_NO_PIX_AI = 33,       /* ValueError "pix_ai not allocated" (caller bug; not MaixPy) */
    IMG_ERR_OVERLAP = 34,         /* ValueError "source and destination overlap" (the glue must
                                   * pass a copy; not MaixPy) */
    IMG_ERR_ARGUMENT = 35,        /* ValueError "invalid argument" (NULL, negative size, buffer
                                   * too small; not MaixPy) */
    IMG_STATUS_COUNT
} img_status_t;

/* The Python exception a status maps to. */
typedef enum img_exc {
    IMG_EXC_NONE = 0,         /* IMG_OK, IMG_NONE: no exception */
    IMG_EXC_OS_ERROR = 1,
    IMG_EXC_VALUE_ERROR = 2,
    IMG_EXC_TYPE_ERROR = 3,
    IMG_EXC_INDEX_ERROR = 4,
    IMG_EXC_MEMORY_ERROR = 5
} img_exc_t;

/* Short identifier, e.g. "IMG_ERR_BMP_CORRUPTED". */
const char *img_status_name(img_status_t st);
/* MaixPy's exact exception text ("" for OK/NONE and for errno-only statuses). */
const char *img_status_message(img_status_t st);
/* The exception kind to raise. */
img_exc_t img_status_exception(img_status_t st);
/* The errno of an OSError(errno) status (EIO = 5, ENOENT = 2), else 0: then raise
 * OSError(errno), which MicroPython prints as "[Errno 5] EIO". */
int img_status_errno(img_status_t st);

#endif
