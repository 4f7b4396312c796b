/* BMP from and to memory as MaixPy's bmp.c reads and writes it (image-subset spec 2.2, 2.14).
 * Every read is checked against the buffer length: malformed headers give a status, never an
 * out-of-bounds read. The caller dispatches on img_file_kind ("BM") and does the file I/O. */
#include <string.h>

#include "img_internal.h"

#define FILE_HEADER 14u
#define INFO_HEADER 40u

static uint32_t u16_at(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

static uint32_t u32_at(const uint8_t *p) { return u16_at(p) | (u16_at(p + 2) << 16); }

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

img_status_t img_bmp_info(const uint8_t *data, size_t len, img_bmp_info_t *info)
{
    if (info == NULL || (data == NULL && len > 0)) {
        return IMG_ERR_ARGUMENT;
    }
    if (len < FILE_HEADER + INFO_HEADER) {
        return IMG_ERR_EIO;
    }
    uint32_t file_size = u32_at(data + 2), data_offset = u32_at(data + 10);
    int32_t width = (int32_t)u32_at(data + 18), height = (int32_t)u32_at(data + 22);
    uint32_t bits = u16_at(data + 28), compression = u32_at(data + 30);
    /* 8-bit BI_RGB, 16-bit BI_BITFIELDS, 24-bit BI_RGB or BI_BITFIELDS (masks never checked). */
    if (!((bits == 8 && compression == 0) || (bits == 16 && compression == 3) ||
          (bits == 24 && (compression == 0 || compression == 3)))) {
        return IMG_ERR_BMP_FORMAT;
    }
    uint64_t w = width < 0 ? (uint64_t)(-(int64_t)width) : (uint64_t)width;
    uint64_t h = height < 0 ? (uint64_t)(-(int64_t)height) : (uint64_t)height;
    uint64_t row_bytes = (w * bits + 31u) / 32u * 4u;
    uint64_t body = row_bytes * h; /* < 2^64: row_bytes <= 6.5e9, h <= 2^31 */
    if (file_size <= data_offset || (uint64_t)(file_size - data_offset) < body) {
        return IMG_ERR_BMP_CORRUPTED;
    }
    if ((uint64_t)len < (uint64_t)data_offset + body) {
        return IMG_ERR_EIO;
    }
    if (w > INT32_MAX || h > INT32_MAX) {
        return IMG_ERR_BMP_CORRUPTED; /* a 0 x 2^31 image: valid to MaixPy, not an img_t */
    }
    info->w = (int)w;
    info->h = (int)h;
    info->format = bits == 8 ? IMG_GRAYSCALE : IMG_RGB565;
    info->bits = (int)bits;
    info->bottom_up = height > 0;
    info->mirrored = width < 0;
    info->data_offset = data_offset;
    info->row_bytes = row_bytes;
    return IMG_OK;
}

img_status_t img_bmp_decode(const uint8_t *data, size_t len, img_t *dst)
{
    img_bmp_info_t info;
    img_status_t st = img_bmp_info(data, len, &info);
    if (st != IMG_OK) {
        return st;
    }
    st = img_check(dst);
    if (st != IMG_OK) {
        return st;
    }
    if (dst->w != info.w || dst->h != info.h || dst->format != info.format) {
        return IMG_ERR_ARGUMENT;
    }
    if (info.w == 0 || info.h == 0) {
        return IMG_OK; /* nothing to read (a 0 x 2^31-1 file would otherwise loop for ages) */
    }
    for (int y = 0; y < info.h; y++) {
        int file_row = info.bottom_up ? info.h - 1 - y : y;
        const uint8_t *row = data + info.data_offset + (size_t)file_row * info.row_bytes;
        for (int x = 0; x < info.w; x++) {
            int fx = info.mirrored ? info.w - 1 - x : x;
            uint32_t v;
            if (info.bits == 8) {
                v = row[fx]; /* the palette is never looked at */
            } else if (info.bits == 16) {
                v = img_rgb565_swap((uint16_t)u16_at(row + 2 * (size_t)fx));
            } else {
                const uint8_t *bgr = row + 3 * (size_t)fx;
                v = img_rgb565_compose(img_rb825[bgr[2]], img_g826[bgr[1]], img_rb825[bgr[0]]);
            }
            img_px_set(dst, (size_t)y * (size_t)info.w + (size_t)x, v);
        }
    }
    return IMG_OK;
}

static uint64_t encoded_row_bytes(int w, img_format_t fmt)
{
    return ((uint64_t)w * (uint64_t)fmt + 3u) / 4u * 4u;
}

static uint32_t extra_bytes(img_format_t fmt) { return fmt == IMG_GRAYSCALE ? 1024u : 12u; }

size_t img_bmp_encoded_size(int w, int h, img_format_t fmt)
{
    if (w < 0 || h < 0 || (fmt != IMG_GRAYSCALE && fmt != IMG_RGB565)) {
        return 0;
    }
    uint64_t size = FILE_HEADER + INFO_HEADER + extra_bytes(fmt) +
                    encoded_row_bytes(w, fmt) * (uint64_t)h;
    return size > UINT32_MAX || size > SIZE_MAX ? 0 : (size_t)size;
}

img_status_t img_bmp_encode(const img_t *img, const img_rect_t *roi, uint8_t *out, size_t cap,
                            size_t *written)
{
    img_rect_t r;
    img_status_t st = img_clip_roi(img, roi, &r);
    if (st != IMG_OK) {
        return st;
    }
    size_t size = img_bmp_encoded_size(r.w, r.h, img->format);
    if (size == 0 || out == NULL || cap < size) {
        return IMG_ERR_ARGUMENT;
    }
    uint32_t offset = FILE_HEADER + INFO_HEADER + extra_bytes(img->format);
    uint32_t row_bytes = (uint32_t)encoded_row_bytes(r.w, img->format);
    memset(out, 0, size);
    out[0] = 'B', out[1] = 'M';
    put32(out + 2, (uint32_t)size);
    put32(out + 10, offset);
    uint8_t *info = out + FILE_HEADER;
    put32(info, INFO_HEADER);
    put32(info + 4, (uint32_t)r.w);
    put32(info + 8, (uint32_t)(-(int64_t)r.h)); /* negative height: top-down rows */
    put16(info + 12, 1);
    put16(info + 14, img->format == IMG_GRAYSCALE ? 8u : 16u);
    put32(info + 16, img->format == IMG_GRAYSCALE ? 0u : 3u);
    put32(info + 20, row_bytes * (uint32_t)r.h);
    uint8_t *extra = info + INFO_HEADER;
    if (img->format == IMG_GRAYSCALE) {
        for (int i = 0; i < 256; i++) { /* gray palette: B, G, R, 0 */
            extra[4 * i] = extra[4 * i + 1] = extra[4 * i + 2] = (uint8_t)i;
        }
    } else {
        put32(extra, 0xF800u), put32(extra + 4, 0x07E0u), put32(extra + 8, 0x001Fu);
    }
    for (int y = 0; y < r.h && r.w > 0; y++) {
        uint8_t *row = out + offset + (size_t)y * row_bytes;
        for (int x = 0; x < r.w; x++) {
            uint32_t v = img_px_get(img, (size_t)(r.y + y) * (size_t)img->w + (size_t)(r.x + x));
            if (img->format == IMG_GRAYSCALE) {
                row[x] = (uint8_t)v;
            } else {
                put16(row + 2 * (size_t)x, img_rgb565_swap((uint16_t)v)); /* standard RGB565 */
            }
        }
    }
    if (written != NULL) {
        *written = size;
    }
    return IMG_OK;
}
