/* KPU RAM feature-map layout (spec section 5) and row-by-row copies to and from compact CHW. */
#include "kpu_ram_layout.h"

#include <string.h>

#define LAYOUT_MAX_DIM 65535u

kpu_status_t kpu_ram_layout_init(kpu_ram_layout_t *l, uint32_t width, uint32_t height,
                                 uint32_t channels)
{
    if (l == NULL)
        return KPU_ERR_ARGUMENT;
    memset(l, 0, sizeof(*l));
    if (width == 0 || height == 0 || channels == 0 || width > LAYOUT_MAX_DIM ||
        height > LAYOUT_MAX_DIM || channels > LAYOUT_MAX_DIM)
        return KPU_ERR_ARGUMENT;
    l->width = width;
    l->height = height;
    l->channels = channels;
    if (width <= 16) {
        l->groups = 4;
        l->row_len = 1;
    } else if (width <= 32) {
        l->groups = 2;
        l->row_len = 1;
    } else {
        l->groups = 1;
        l->row_len = (width + 63u) / 64u;
    }
    l->row_pitch = KPU_RAM_LINE_BYTES / l->groups;
    l->channel_lines = l->row_len * height; /* <= 1024 * 65535, fits */
    return KPU_OK;
}

uint64_t kpu_ram_layout_lines(const kpu_ram_layout_t *l)
{
    if (l->groups == 0)
        return 0;
    return (uint64_t)l->channel_lines * ((l->channels + l->groups - 1u) / l->groups);
}

size_t kpu_ram_layout_offset(const kpu_ram_layout_t *l, uint32_t c, uint32_t y, uint32_t x)
{
    uint64_t off = (uint64_t)(c / l->groups) * l->channel_lines * KPU_RAM_LINE_BYTES +
                   (uint64_t)(c % l->groups) * l->row_pitch +
                   (uint64_t)y * l->row_len * KPU_RAM_LINE_BYTES + x;
    return (size_t)off;
}

kpu_status_t kpu_ram_layout_check(const kpu_ram_layout_t *l, uint32_t line)
{
    if (l == NULL || l->groups == 0)
        return KPU_ERR_ARGUMENT;
    if (line >= KPU_RAM_LINES || kpu_ram_layout_lines(l) > (uint64_t)(KPU_RAM_LINES - line))
        return KPU_ERR_BOUNDS;
    return KPU_OK;
}

/* Common argument checks of the copies: the map fits in RAM and the buffer holds its pixels. */
static kpu_status_t check_copy(const kpu_ram_layout_t *l, uint32_t line, uint32_t first,
                               uint32_t count, size_t chw_size)
{
    kpu_status_t st = kpu_ram_layout_check(l, line);
    if (st != KPU_OK)
        return st;
    if (first >= l->channels || count > l->channels - first)
        return KPU_ERR_INDEX;
    /* The map fits in 2 MiB, so count * H * W does too. */
    if (chw_size < (size_t)count * l->height * l->width)
        return KPU_ERR_SIZE;
    return KPU_OK;
}

kpu_status_t kpu_ram_layout_store(const kpu_ram_layout_t *l, uint8_t *ram, uint32_t line,
                                  const uint8_t *chw, size_t chw_size)
{
    if (ram == NULL || chw == NULL)
        return KPU_ERR_ARGUMENT;
    kpu_status_t st = check_copy(l, line, 0, l->channels, chw_size);
    if (st != KPU_OK)
        return st;
    uint8_t *base = ram + (size_t)line * KPU_RAM_LINE_BYTES;
    for (uint32_t c = 0; c < l->channels; c++)
        for (uint32_t y = 0; y < l->height; y++, chw += l->width)
            memcpy(base + kpu_ram_layout_offset(l, c, y, 0), chw, l->width);
    return KPU_OK;
}

kpu_status_t kpu_ram_layout_load(const kpu_ram_layout_t *l, const uint8_t *ram, uint32_t line,
                                 uint8_t *chw, size_t chw_size)
{
    if (ram == NULL || chw == NULL)
        return KPU_ERR_ARGUMENT;
    kpu_status_t st = check_copy(l, line, 0, l->channels, chw_size);
    if (st != KPU_OK)
        return st;
    const uint8_t *base = ram + (size_t)line * KPU_RAM_LINE_BYTES;
    for (uint32_t c = 0; c < l->channels; c++)
        for (uint32_t y = 0; y < l->height; y++, chw += l->width)
            memcpy(chw, base + kpu_ram_layout_offset(l, c, y, 0), l->width);
    return KPU_OK;
}

/* Row by row through the backend: from src into KPU RAM when src is set, else into dst. */
static kpu_status_t backend_rows(const kpu_ram_layout_t *l, const kpu_backend_t *backend,
                                 uint32_t line, uint32_t first, uint32_t count,
                                 const uint8_t *src, uint8_t *dst, size_t chw_size)
{
    kpu_status_t st = check_copy(l, line, first, count, chw_size);
    if (st != KPU_OK)
        return st;
    size_t base = (size_t)line * KPU_RAM_LINE_BYTES, i = 0;
    for (uint32_t c = first; c < first + count; c++)
        for (uint32_t y = 0; y < l->height; y++, i += l->width) {
            size_t at = base + kpu_ram_layout_offset(l, c, y, 0);
            st = src ? backend->ops->ram_write(backend->self, at, src + i, l->width)
                     : backend->ops->ram_read(backend->self, at, dst + i, l->width);
            if (st != KPU_OK)
                return st;
        }
    return KPU_OK;
}

kpu_status_t kpu_ram_layout_write(const kpu_ram_layout_t *l, const kpu_backend_t *backend,
                                  uint32_t line, uint32_t first_channel, uint32_t count,
                                  const uint8_t *chw, size_t chw_size)
{
    if (backend == NULL || backend->ops == NULL || backend->ops->ram_write == NULL || chw == NULL)
        return KPU_ERR_ARGUMENT;
    return backend_rows(l, backend, line, first_channel, count, chw, NULL, chw_size);
}

kpu_status_t kpu_ram_layout_read(const kpu_ram_layout_t *l, const kpu_backend_t *backend,
                                 uint32_t line, uint32_t first_channel, uint32_t count,
                                 uint8_t *chw, size_t chw_size)
{
    if (backend == NULL || backend->ops == NULL || backend->ops->ram_read == NULL || chw == NULL)
        return KPU_ERR_ARGUMENT;
    return backend_rows(l, backend, line, first_channel, count, NULL, chw, chw_size);
}
