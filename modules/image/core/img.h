/* The portable C99 core of MaixPy's `image` subset (spec shared/spec/maixpy-image-subset.md).
 * No MicroPython, no global state, no allocation: the caller owns every buffer (output images
 * are allocated by the caller at the size a *_size helper or the spec gives, then filled).
 * Results are bit-exact with the Python module tools/maixkpu/maixpy/image.py. */
#ifndef IMG_H
#define IMG_H

#include <stddef.h>
#include <stdint.h>

#include "img_status.h"

typedef enum { IMG_GRAYSCALE = 1, IMG_RGB565 = 2 } img_format_t; /* bytes per pixel */

typedef struct img {
    int w, h;            /* pixels */
    img_format_t format; /* bpp = (int)format */
    uint8_t *pixels;     /* w*h*bpp bytes; RGB565 stored byte-swapped as MaixPy (spec 1.2) */
    uint8_t *pix_ai;     /* NULL or w*h*3 planar R8,G8,B8 (grayscale: w*h, may alias pixels) */
} img_t;

/* Which MaixPy firmware to follow: the exact RGB565->gray table (full) or the compressed
 * approximate one (minimum, spec 1.4). Passed explicitly: the core keeps no global state. */
typedef enum { IMG_FW_FULL = 0, IMG_FW_MINIMUM = 1 } img_firmware_t;

typedef struct img_rect {
    int x, y, w, h;
} img_rect_t;

/* ---- pixel model (img_pixel.c, spec 1.2-1.5) ------------------------------------------- */
/* 5/6-bit -> 8-bit expansion (rounding) and 8-bit -> 5/6-bit compression (rounding). */
extern const uint8_t img_rb528[32];
extern const uint8_t img_g628[64];
extern const uint8_t img_rb825[256];
extern const uint8_t img_g826[256];

/* Raw word q (little-endian uint16 read from image memory) from 8-bit R, G, B (clamped to
 * 0..255, rounded with rb825/g826), and back (rb528/g628). */
uint16_t img_rgb565_from_rgb888(int r, int g, int b);
void img_rgb888_from_rgb565(uint16_t q, uint8_t *r, uint8_t *g, uint8_t *b);
/* Raw word <-> standard RGB565 value (the byte swap; its own inverse). */
uint16_t img_rgb565_swap(uint16_t v);
/* Compose a raw word from channel values, no clamping, kept to 16 bits (spills as in C). */
uint16_t img_rgb565_compose(uint32_t r5, uint32_t g6, uint32_t b5);
/* Gray (Y(q) + 128) of a raw word with the firmware's table. */
uint8_t img_gray_from_rgb565(uint16_t q, img_firmware_t fw);
/* Raw word for gray g: R8 = G8 = B8 = g, compressed with rb825/g826 (to_rgb565). */
uint16_t img_rgb565_from_gray(uint8_t g);
/* Colour arguments (spec 1.5) -> the value stored in an image of format fmt: an int is kept
 * as is (low 16 bits for RGB565, low 8 bits for gray; -1 is white); an (r, g, b) tuple is
 * clamped, rounded to a raw word and, for gray, mapped through the firmware's gray table. */
uint32_t img_color_from_int(img_format_t fmt, int64_t value);
uint32_t img_color_from_rgb(img_format_t fmt, int64_t r, int64_t g, int64_t b,
                            img_firmware_t fw);

/* ---- basics (img_basic.c) --------------------------------------------------------------- */
/* IMG_OK when img is usable: not NULL, w, h >= 0, a known format, pixels set when w*h > 0. */
img_status_t img_check(const img_t *img);
/* Bytes of the pixels (w*h*bpp), and of the KPU planes pix_to_ai fills (3*w*h or w*h), and
 * what MaixPy allocates for them (((w+63)&~63)*h*3 for RGB565, w*h for gray). */
size_t img_pixels_size(int w, int h, img_format_t fmt);
size_t img_pix_ai_size(const img_t *img);
size_t img_pix_ai_alloc_size(const img_t *img);
/* Pixel (x, y): the stored value (gray byte or raw word); IMG_NONE off the image. */
img_status_t img_get_pixel(const img_t *img, int x, int y, uint32_t *value);
/* Pixel (x, y) as get_pixel(rgbtuple=True) gives it (gray goes through to_rgb565's word). */
img_status_t img_get_pixel_rgb(const img_t *img, int x, int y, uint8_t rgb[3]);
/* Store a parsed colour at (x, y); off the image is silently ignored (IMG_OK). */
img_status_t img_set_pixel(img_t *img, int x, int y, uint32_t color);
img_status_t img_clear(img_t *img);
/* MaixPy's ROI helper: roi NULL = whole image; w or h < 1 and no overlap are errors; else the
 * ROI clipped to the image. */
img_status_t img_clip_roi(const img_t *img, const img_rect_t *roi, img_rect_t *out);

/* ---- conversions (img_convert.c) -------------------------------------------------------- */
/* RGB565 -> gray into dst (dst->w/h as src, dst->pixels >= w*h bytes; may be src->pixels:
 * in place, bytes w*h..2*w*h-1 keep the RGB565 bytes). Sets dst->format. Gray src: copy. */
img_status_t img_to_grayscale(img_t *dst, const img_t *src, img_firmware_t fw);
/* Gray -> RGB565 (R = G = B = g) into a separate dst of w*h*2 bytes; RGB565 src: copy. */
img_status_t img_to_rgb565(img_t *dst, const img_t *src);
/* Bitwise NOT of every byte (gray) or word (RGB565), in place. */
img_status_t img_invert(img_t *img);
/* Fill pix_ai (caller-allocated, >= img_pix_ai_size bytes) with the planes (rb528/g628) or the
 * gray plane; IMG_ERR_NO_PIX_AI when pix_ai is NULL. */
img_status_t img_pix_to_ai(img_t *img);
/* The reverse (rb825/g826); a NULL pix_ai does nothing (MaixPy returns None). */
img_status_t img_ai_to_pix(img_t *img);
/* Gray only, in place: interior min/max, integer scale capped at 5 (spec 2.12). */
img_status_t img_stretch(img_t *img, int low, int high);
img_status_t img_strech_char(img_t *img, int de_dark);

/* ---- geometry (img_resize.c, img_geometry.c) ------------------------------------------- */
/* MaixPy's resize into dst (caller sets dst->w/h >= 0, format = src's, pixels allocated).
 * src_bytes: how many bytes from src->pixels are readable (the gray box path reads past the
 * image, spec 2.7; bytes beyond src_bytes read as 0); 0 means exactly the image. */
img_status_t img_resize(img_t *dst, const img_t *src, size_t src_bytes);
/* cut(x, y, w, h) into dst (dst->w/h = w/h, format = src's): src[y.., x..], rest black
 * (negative x/y give black too, where MaixPy reads out of bounds). */
img_status_t img_cut(img_t *dst, const img_t *src, int x, int y);
/* copy/crop(roi, x_scale, y_scale) output size and clipped ROI (all their error checks). */
img_status_t img_copy_size(const img_t *src, const img_rect_t *roi, double x_scale,
                           double y_scale, img_rect_t *clipped, int *out_w, int *out_h);
/* Nearest-neighbour copy of the clipped ROI into dst (dst->w/h from img_copy_size). */
img_status_t img_copy(img_t *dst, const img_t *src, const img_rect_t *clipped, double x_scale,
                      double y_scale);

/* ---- drawing (img_draw.c, img_text.c, img_blit.c) -------------------------------------- */
img_status_t img_draw_rectangle(img_t *img, int x, int y, int w, int h, uint32_t color,
                                int thickness, int fill);
img_status_t img_draw_line(img_t *img, int x0, int y0, int x1, int y1, uint32_t color,
                           int thickness);
img_status_t img_draw_circle(img_t *img, int cx, int cy, int radius, uint32_t color,
                             int thickness, int fill);
img_status_t img_draw_cross(img_t *img, int x, int y, uint32_t color, int size, int thickness);
/* text: UTF-8 bytes (len bytes; each code point is one character, non-ASCII ones draw a
 * hollow box). scale <= 0 (or NaN) is IMG_ERR_SCALE. */
img_status_t img_draw_string(img_t *img, int x, int y, const char *text, size_t len,
                             uint32_t color, double scale, int x_spacing, int y_spacing,
                             int mono_space);
/* draw_image with MaixPy's raw-value semantics (spec 2.11). mask may be NULL. src and mask
 * must not share memory with dst (IMG_ERR_OVERLAP: the glue passes a copy). */
img_status_t img_draw_image(img_t *dst, const img_t *src, int x, int y, double x_scale,
                            double y_scale, int alpha, const img_t *mask, img_firmware_t fw);

/* ---- files (img_bmp.c, img_file.c) ------------------------------------------------------ */
typedef enum { IMG_FILE_OTHER = 0, IMG_FILE_BMP = 1, IMG_FILE_JPEG = 2 } img_file_kind_t;
/* The kind MaixPy picks from the first two bytes ("BM", FF D8); the extension never decides. */
img_file_kind_t img_file_kind(const uint8_t *data, size_t len);
/* After a load from a path: MaixPy's extension check (.bmp/.ppm/.pgm/.raw; case-insensitive). */
img_status_t img_check_extension(const char *path, img_file_kind_t kind, img_format_t fmt);

typedef struct img_bmp_info {
    int w, h;            /* the image decode gives */
    img_format_t format; /* gray for 8-bit files, RGB565 for 16/24-bit */
    int bits;            /* 8, 16 or 24 */
    int bottom_up;       /* rows stored bottom-up (positive height) */
    int mirrored;        /* negative width: mirrored horizontally */
    uint32_t data_offset;
    uint64_t row_bytes;  /* bytes per stored row (4-byte aligned) */
} img_bmp_info_t;
/* Header checks in MaixPy's order (EIO, "Unsupported format!", "file_corrupted_raise!", EIO). */
img_status_t img_bmp_info(const uint8_t *data, size_t len, img_bmp_info_t *info);
/* Decode into dst (dst->w/h/format as img_bmp_info says, pixels allocated). */
img_status_t img_bmp_decode(const uint8_t *data, size_t len, img_t *dst);
/* Bytes of the BMP MaixPy writes for a w x h image (top-down; gray 8-bit + palette, RGB565
 * 16-bit BI_BITFIELDS); 0 if it would not fit in 32 bits. */
size_t img_bmp_encoded_size(int w, int h, img_format_t fmt);
/* Write the ROI (NULL: whole image; clipped like save()) as BMP into out (cap bytes). */
img_status_t img_bmp_encode(const img_t *img, const img_rect_t *roi, uint8_t *out, size_t cap,
                            size_t *written);
/* JPEG is not in this core: both return IMG_ERR_JPEG_UNSUPPORTED. */
img_status_t img_jpeg_decode(const uint8_t *data, size_t len, img_t *dst);
img_status_t img_jpeg_encode(const img_t *img, int quality, uint8_t *out, size_t cap,
                             size_t *written);

#endif
