/* File-level helpers for the glue's load/save: format sniffing, MaixPy's extension check
 * (image-subset spec 2.2), and the JPEG entry points this core does not implement. */
#include "img_internal.h"

img_file_kind_t img_file_kind(const uint8_t *data, size_t len)
{
    if (data == NULL || len < 2) {
        return IMG_FILE_OTHER;
    }
    if (data[0] == 'B' && data[1] == 'M') {
        return IMG_FILE_BMP;
    }
    if (data[0] == 0xFF && data[1] == 0xD8) {
        return IMG_FILE_JPEG;
    }
    return IMG_FILE_OTHER;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Whether path's extension (from its last '.', after its last '/') is ext, case-insensitive. */
static int has_extension(const char *path, const char *ext)
{
    const char *dot = NULL;
    for (const char *p = path; *p; p++) {
        if (*p == '.') {
            dot = p;
        } else if (*p == '/') {
            dot = NULL;
        }
    }
    if (dot == NULL || dot[1] == '\0') {
        return 0;
    }
    /* Leading dots of a file name are not an extension (as Python's splitext). */
    const char *q = dot;
    while (q > path && q[-1] == '.') {
        q--;
    }
    if (q == path || q[-1] == '/') {
        return 0;
    }
    const char *a = dot, *b = ext;
    for (; *a && *b; a++, b++) {
        if (lower(*a) != *b) {
            return 0;
        }
    }
    return *a == '\0' && *b == '\0';
}

img_status_t img_check_extension(const char *path, img_file_kind_t kind, img_format_t fmt)
{
    if (path == NULL) {
        return IMG_ERR_ARGUMENT;
    }
    if (has_extension(path, ".bmp") && kind == IMG_FILE_JPEG) {
        return IMG_ERR_NOT_BMP;
    }
    if (has_extension(path, ".ppm") && fmt != IMG_RGB565) {
        return IMG_ERR_NOT_PPM;
    }
    if (has_extension(path, ".pgm") && fmt != IMG_GRAYSCALE) {
        return IMG_ERR_NOT_PGM;
    }
    if (has_extension(path, ".raw")) {
        return IMG_ERR_NOT_BAYER; /* this core has no bayer images */
    }
    return IMG_OK;
}

img_status_t img_jpeg_decode(const uint8_t *data, size_t len, img_t *dst)
{
    (void)data, (void)len, (void)dst;
    return IMG_ERR_JPEG_UNSUPPORTED;
}

img_status_t img_jpeg_encode(const img_t *img, int quality, uint8_t *out, size_t cap,
                             size_t *written)
{
    (void)img, (void)out, (void)cap, (void)written;
    if (quality < 1 || quality > 100) {
        return IMG_ERR_QUALITY;
    }
    return IMG_ERR_JPEG_UNSUPPORTED;
}
