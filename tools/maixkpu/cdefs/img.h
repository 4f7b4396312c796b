/* cffi declarations of modules/image/core/img_status.h, img.h and img_font.h (the core's
 * headers without comments or preprocessor lines; see them for what each function does). */
typedef enum img_status {
    IMG_OK = 0,
    IMG_NONE = 1,
    IMG_ERR_FORMAT = 2,
    IMG_ERR_NOT_ENOUGH_ARGS = 3,
    IMG_ERR_ROI_DIMENSIONS = 4,
    IMG_ERR_ROI_OVERLAP = 5,
    IMG_ERR_SCALE = 6,
    IMG_ERR_X_SCALE = 7,
    IMG_ERR_Y_SCALE = 8,
    IMG_ERR_ALPHA = 9,
    IMG_ERR_OUT_WIDTH_ZERO = 10,
    IMG_ERR_OUT_HEIGHT_ZERO = 11,
    IMG_ERR_FB_MAIN = 12,
    IMG_ERR_FB_TARGET = 13,
    IMG_ERR_GRAY_IN_PLACE = 14,
    IMG_ERR_RGB565_IN_PLACE = 15,
    IMG_ERR_SLICE_STEP = 16,
    IMG_ERR_GROW_SHRINK = 17,
    IMG_ERR_INDEX = 18,
    IMG_ERR_QUALITY = 19,
    IMG_ERR_NOT_BMP = 20,
    IMG_ERR_NOT_PPM = 21,
    IMG_ERR_NOT_PGM = 22,
    IMG_ERR_NOT_BAYER = 23,
    IMG_ERR_UNKNOWN_FILE = 24,
    IMG_ERR_NOT_SUPPORT = 25,
    IMG_ERR_BMP_FORMAT = 26,
    IMG_ERR_BMP_CORRUPTED = 27,
    IMG_ERR_EIO = 28,
    IMG_ERR_ENOENT = 29,
    IMG_ERR_JPEG_UNSUPPORTED = 30,
    IMG_ERR_NO_MEMORY = 31,
    IMG_ERR_NOT_IMAGE = 32,
    IMG_ERR_NO_PIX_AI = 33,
    IMG_ERR_OVERLAP = 34,
    IMG_ERR_ARGUMENT = 35,
    IMG_STATUS_COUNT
} img_status_t;

typedef enum img_exc {
    IMG_EXC_NONE = 0,
    IMG_EXC_OS_ERROR = 1,
    IMG_EXC_VALUE_ERROR = 2,
    IMG_EXC_TYPE_ERROR = 3,
    IMG_EXC_INDEX_ERROR = 4,
    IMG_EXC_MEMORY_ERROR = 5
} img_exc_t;

const char *img_status_name(img_status_t st);

const char *img_status_message(img_status_t st);

img_exc_t img_status_exception(img_status_t st);

int img_status_errno(img_status_t st);

typedef enum { IMG_GRAYSCALE = 1, IMG_RGB565 = 2 } img_format_t;

typedef struct img {
    int w, h;
    img_format_t format;
    uint8_t *pixels;
    uint8_t *pix_ai;
} img_t;

typedef enum { IMG_FW_FULL = 0, IMG_FW_MINIMUM = 1 } img_firmware_t;

typedef struct img_rect {
    int x, y, w, h;
} img_rect_t;

extern const uint8_t img_rb528[32];
extern const uint8_t img_g628[64];
extern const uint8_t img_rb825[256];
extern const uint8_t img_g826[256];

uint16_t img_rgb565_from_rgb888(int r, int g, int b);
void img_rgb888_from_rgb565(uint16_t q, uint8_t *r, uint8_t *g, uint8_t *b);

uint16_t img_rgb565_swap(uint16_t v);

uint16_t img_rgb565_compose(uint32_t r5, uint32_t g6, uint32_t b5);

uint8_t img_gray_from_rgb565(uint16_t q, img_firmware_t fw);

uint16_t img_rgb565_from_gray(uint8_t g);

uint32_t img_color_from_int(img_format_t fmt, int64_t value);
uint32_t img_color_from_rgb(img_format_t fmt, int64_t r, int64_t g, int64_t b,
                            img_firmware_t fw);

img_status_t img_check(const img_t *img);

size_t img_pixels_size(int w, int h, img_format_t fmt);
size_t img_pix_ai_size(const img_t *img);
size_t img_pix_ai_alloc_size(const img_t *img);

img_status_t img_get_pixel(const img_t *img, int x, int y, uint32_t *value);

img_status_t img_get_pixel_rgb(const img_t *img, int x, int y, uint8_t rgb[3]);

img_status_t img_set_pixel(img_t *img, int x, int y, uint32_t color);
img_status_t img_clear(img_t *img);

img_status_t img_clip_roi(const img_t *img, const img_rect_t *roi, img_rect_t *out);

img_status_t img_to_grayscale(img_t *dst, const img_t *src, img_firmware_t fw);

img_status_t img_to_rgb565(img_t *dst, const img_t *src);

img_status_t img_invert(img_t *img);

img_status_t img_pix_to_ai(img_t *img);

img_status_t img_ai_to_pix(img_t *img);

img_status_t img_stretch(img_t *img, int low, int high);
img_status_t img_strech_char(img_t *img, int de_dark);

img_status_t img_resize(img_t *dst, const img_t *src, size_t src_bytes);

img_status_t img_cut(img_t *dst, const img_t *src, int x, int y);

img_status_t img_copy_size(const img_t *src, const img_rect_t *roi, double x_scale,
                           double y_scale, img_rect_t *clipped, int *out_w, int *out_h);

img_status_t img_copy(img_t *dst, const img_t *src, const img_rect_t *clipped, double x_scale,
                      double y_scale);

img_status_t img_draw_rectangle(img_t *img, int x, int y, int w, int h, uint32_t color,
                                int thickness, int fill);
img_status_t img_draw_line(img_t *img, int x0, int y0, int x1, int y1, uint32_t color,
                           int thickness);
img_status_t img_draw_circle(img_t *img, int cx, int cy, int radius, uint32_t color,
                             int thickness, int fill);
img_status_t img_draw_cross(img_t *img, int x, int y, uint32_t color, int size, int thickness);

img_status_t img_draw_string(img_t *img, int x, int y, const char *text, size_t len,
                             uint32_t color, double scale, int x_spacing, int y_spacing,
                             int mono_space);

img_status_t img_draw_image(img_t *dst, const img_t *src, int x, int y, double x_scale,
                            double y_scale, int alpha, const img_t *mask, img_firmware_t fw);

typedef enum { IMG_FILE_OTHER = 0, IMG_FILE_BMP = 1, IMG_FILE_JPEG = 2 } img_file_kind_t;

img_file_kind_t img_file_kind(const uint8_t *data, size_t len);

img_status_t img_check_extension(const char *path, img_file_kind_t kind, img_format_t fmt);

typedef struct img_bmp_info {
    int w, h;
    img_format_t format;
    int bits;
    int bottom_up;
    int mirrored;
    uint32_t data_offset;
    uint64_t row_bytes;
} img_bmp_info_t;

img_status_t img_bmp_info(const uint8_t *data, size_t len, img_bmp_info_t *info);

img_status_t img_bmp_decode(const uint8_t *data, size_t len, img_t *dst);

size_t img_bmp_encoded_size(int w, int h, img_format_t fmt);

img_status_t img_bmp_encode(const img_t *img, const img_rect_t *roi, uint8_t *out, size_t cap,
                            size_t *written);

img_status_t img_jpeg_decode(const uint8_t *data, size_t len, img_t *dst);
img_status_t img_jpeg_encode(const img_t *img, int quality, uint8_t *out, size_t cap,
                             size_t *written);

extern const uint8_t img_font_glyphs[95][12];
