/* cffi declarations of modules/kpu/core/fmap.h. This file comes before the one that declares
 * kpu_status_t in name order, so the status is declared as int here (same values). */
typedef struct kpu_diag kpu_diag_t;

int kpu_fmap_channel(const uint8_t *chw, size_t size, uint32_t w, uint32_t h, uint32_t c,
                     uint32_t channel, const uint8_t **plane, size_t *plane_size,
                     kpu_diag_t *diag);

typedef struct kpu_fmap_mosaic {
    uint32_t cols, rows;
    uint32_t width, height;
    size_t size;
} kpu_fmap_mosaic_t;

int kpu_fmap_mosaic_layout(uint32_t w, uint32_t h, uint32_t count, uint32_t cols, uint32_t gap,
                           kpu_fmap_mosaic_t *layout, kpu_diag_t *diag);
int kpu_fmap_mosaic(const uint8_t *chw, size_t size, uint32_t w, uint32_t h, uint32_t c,
                    uint32_t first, uint32_t count, uint32_t cols, uint32_t gap,
                    uint8_t background, uint8_t *dst, size_t dst_size, kpu_diag_t *diag);
