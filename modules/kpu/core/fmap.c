/* Feature-map channel views and mosaics (see fmap.h). */
#include "fmap.h"

#include <string.h>

/* Bytes of one plane and of the whole tensor, with overflow checks. */
static kpu_status_t tensor_sizes(size_t size, uint32_t w, uint32_t h, uint32_t c, size_t *plane,
                                 kpu_diag_t *diag)
{
    if (w == 0 || h == 0 || c == 0)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "fmap: empty shape %ux%ux%u",
                            (unsigned)w, (unsigned)h, (unsigned)c);
    if ((size_t)w > SIZE_MAX / h || (size_t)w * h > SIZE_MAX / c)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1, "fmap: shape %ux%ux%u is too large",
                            (unsigned)w, (unsigned)h, (unsigned)c);
    *plane = (size_t)w * h;
    if (size < *plane * c)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1, "fmap: %lu bytes, shape %ux%ux%u needs %lu",
                            (unsigned long)size, (unsigned)w, (unsigned)h, (unsigned)c,
                            (unsigned long)(*plane * c));
    return KPU_OK;
}

kpu_status_t kpu_fmap_channel(const uint8_t *chw, size_t size, uint32_t w, uint32_t h, uint32_t c,
                              uint32_t channel, const uint8_t **plane, size_t *plane_size,
                              kpu_diag_t *diag)
{
    size_t n;
    kpu_status_t st = tensor_sizes(size, w, h, c, &n, diag);
    if (st != KPU_OK)
        return st;
    if (chw == NULL || plane == NULL || plane_size == NULL)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "fmap: missing buffer");
    if (channel >= c)
        return kpu_diag_set(diag, KPU_ERR_INDEX, -1, "fmap: channel %u out of range 0..%u",
                            (unsigned)channel, (unsigned)(c - 1));
    *plane = chw + (size_t)channel * n;
    *plane_size = n;
    return KPU_OK;
}

/* Pixels of n tiles of s pixels with gap pixels between them, if it fits in 32 bits. */
static int span(uint32_t n, uint32_t s, uint32_t gap, uint32_t *out)
{
    const uint64_t v = (uint64_t)n * s + (uint64_t)(n - 1) * gap;
    if (v > UINT32_MAX)
        return 0;
    *out = (uint32_t)v;
    return 1;
}

kpu_status_t kpu_fmap_mosaic_layout(uint32_t w, uint32_t h, uint32_t count, uint32_t cols,
                                    uint32_t gap, kpu_fmap_mosaic_t *layout, kpu_diag_t *diag)
{
    if (layout == NULL || w == 0 || h == 0 || count == 0)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "fmap mosaic: empty tile %ux%u or no tile (%u)", (unsigned)w,
                            (unsigned)h, (unsigned)count);
    if (cols == 0)
        while ((uint64_t)cols * cols < count)
            cols++;
    if (cols > count)
        cols = count;
    const uint32_t rows = count / cols + (count % cols != 0);
    kpu_fmap_mosaic_t m;
    if (!span(cols, w, gap, &m.width) || !span(rows, h, gap, &m.height) ||
        (size_t)m.width > SIZE_MAX / m.height)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1, "fmap mosaic: image too large");
    m.cols = cols;
    m.rows = rows;
    m.size = (size_t)m.width * m.height;
    *layout = m;
    return KPU_OK;
}

kpu_status_t kpu_fmap_mosaic(const uint8_t *chw, size_t size, uint32_t w, uint32_t h, uint32_t c,
                             uint32_t first, uint32_t count, uint32_t cols, uint32_t gap,
                             uint8_t background, uint8_t *dst, size_t dst_size,
                             kpu_diag_t *diag)
{
    size_t plane;
    kpu_fmap_mosaic_t m;
    kpu_status_t st = tensor_sizes(size, w, h, c, &plane, diag);
    if (st == KPU_OK)
        st = kpu_fmap_mosaic_layout(w, h, count, cols, gap, &m, diag);
    if (st != KPU_OK)
        return st;
    if (chw == NULL || dst == NULL)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "fmap mosaic: missing buffer");
    if (first >= c || count > c - first)
        return kpu_diag_set(diag, KPU_ERR_INDEX, -1,
                            "fmap mosaic: channels %u..%lu out of range 0..%u", (unsigned)first,
                            (unsigned long)first + count - 1, (unsigned)(c - 1));
    if (dst_size < m.size)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1, "fmap mosaic: needs %lu bytes, got %lu",
                            (unsigned long)m.size, (unsigned long)dst_size);

    memset(dst, background, m.size);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *src = chw + (size_t)(first + i) * plane;
        /* tile origin; fits because the whole image size was checked above */
        const size_t x0 = (size_t)(i % m.cols) * ((size_t)w + gap);
        const size_t y0 = (size_t)(i / m.cols) * ((size_t)h + gap);
        for (uint32_t y = 0; y < h; y++)
            memcpy(dst + (y0 + y) * m.width + x0, src + (size_t)y * w, w);
    }
    return KPU_OK;
}
