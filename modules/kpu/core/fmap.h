/* Feature maps as grayscale images: one channel of a compact CHW uint8 layer output viewed as
 * a W x H image of its raw bytes (no scaling, like MaixPy's KPU.fmap), and a mosaic that tiles
 * several channels into one image (the feature-map demo). Portable C99, no allocation. */
#ifndef FMAP_H
#define FMAP_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_status.h"

/* Channel `channel` of a compact CHW tensor (size bytes, w x h x c): *plane points into chw,
 * *plane_size = w * h. size must be at least w * h * c. channel >= c: KPU_ERR_INDEX. */
kpu_status_t kpu_fmap_channel(const uint8_t *chw, size_t size, uint32_t w, uint32_t h, uint32_t c,
                              uint32_t channel, const uint8_t **plane, size_t *plane_size,
                              kpu_diag_t *diag);

/* Mosaic layout: count tiles of w x h in cols columns (0: the smallest cols with
 * cols * cols >= count), gap pixels between neighbouring tiles, none around the edge. */
typedef struct kpu_fmap_mosaic {
    uint32_t cols, rows;       /* grid actually used */
    uint32_t width, height;    /* image size in pixels */
    size_t size;               /* width * height bytes */
} kpu_fmap_mosaic_t;

kpu_status_t kpu_fmap_mosaic_layout(uint32_t w, uint32_t h, uint32_t count, uint32_t cols,
                                    uint32_t gap, kpu_fmap_mosaic_t *layout, kpu_diag_t *diag);

/* Draws channels first .. first + count - 1 of the CHW tensor into dst (row-major, at least
 * layout size bytes): tile i at column i % cols, row i / cols; gaps and unused cells get
 * background. Channels past c: KPU_ERR_INDEX. */
kpu_status_t kpu_fmap_mosaic(const uint8_t *chw, size_t size, uint32_t w, uint32_t h, uint32_t c,
                             uint32_t first, uint32_t count, uint32_t cols, uint32_t gap,
                             uint8_t background, uint8_t *dst, size_t dst_size,
                             kpu_diag_t *diag);

#endif
