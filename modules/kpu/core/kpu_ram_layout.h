/* The KPU RAM feature-map layout (spec kmodel-v3-and-kpu.md section 5): how a C x H x W uint8
 * map is placed in 64-byte lines, and row-by-row copies between that layout and a compact CHW
 * tensor. The layout depends only on the width W. */
#ifndef KPU_RAM_LAYOUT_H
#define KPU_RAM_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_backend.h"
#include "kpu_status.h"

typedef struct kpu_ram_layout {
    uint32_t width, height, channels;
    uint32_t groups;        /* channels sharing one line (coef_group / wb_group): 4, 2 or 1 */
    uint32_t row_len;       /* lines per row (row_switch_addr) */
    uint32_t row_pitch;     /* bytes between channels sharing a line: 64 / groups */
    uint32_t channel_lines; /* lines per channel group: row_len * H (channel_switch_addr) */
} kpu_ram_layout_t;

/* Fills the layout of a C x H x W map. Returns KPU_ERR_ARGUMENT if a size is 0 or above 65535
 * (the layout is then zeroed, so a later check fails cleanly). */
kpu_status_t kpu_ram_layout_init(kpu_ram_layout_t *l, uint32_t width, uint32_t height,
                                 uint32_t channels);

/* Lines the map occupies: row_len * H * ceil(C / groups). */
uint64_t kpu_ram_layout_lines(const kpu_ram_layout_t *l);

/* Byte offset of pixel (c, y, x) from the first byte of the map (no range check). */
size_t kpu_ram_layout_offset(const kpu_ram_layout_t *l, uint32_t c, uint32_t y, uint32_t x);

/* KPU_OK if a map starting at KPU RAM line `line` lies inside the 2 MiB RAM, else KPU_ERR_BOUNDS. */
kpu_status_t kpu_ram_layout_check(const kpu_ram_layout_t *l, uint32_t line);

/* Copies a compact CHW tensor (C*H*W bytes) into a KPU RAM image (KPU_RAM_BYTES bytes) at
 * `line`, one row at a time; bytes of the image that are not pixels of the map are untouched. */
kpu_status_t kpu_ram_layout_store(const kpu_ram_layout_t *l, uint8_t *ram, uint32_t line,
                                  const uint8_t *chw, size_t chw_size);
/* Copies the map at `line` of a KPU RAM image out into a compact CHW tensor. */
kpu_status_t kpu_ram_layout_load(const kpu_ram_layout_t *l, const uint8_t *ram, uint32_t line,
                                 uint8_t *chw, size_t chw_size);

/* The same two copies through a backend's ram_write / ram_read (one call per row). Channel c
 * only: pass first_channel = c, count = 1; the whole map: 0 and C. chw holds count*H*W bytes. */
kpu_status_t kpu_ram_layout_write(const kpu_ram_layout_t *l, const kpu_backend_t *backend,
                                  uint32_t line, uint32_t first_channel, uint32_t count,
                                  const uint8_t *chw, size_t chw_size);
kpu_status_t kpu_ram_layout_read(const kpu_ram_layout_t *l, const kpu_backend_t *backend,
                                 uint32_t line, uint32_t first_channel, uint32_t count,
                                 uint8_t *chw, size_t chw_size);

#endif
