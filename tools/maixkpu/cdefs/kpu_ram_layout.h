/* cffi declarations of modules/kpu/core/kpu_ram_layout.h. */
typedef struct kpu_ram_layout {
    uint32_t width, height, channels;
    uint32_t groups;
    uint32_t row_len;
    uint32_t row_pitch;
    uint32_t channel_lines;
} kpu_ram_layout_t;

kpu_status_t kpu_ram_layout_init(kpu_ram_layout_t *l, uint32_t width, uint32_t height,
                                 uint32_t channels);
uint64_t kpu_ram_layout_lines(const kpu_ram_layout_t *l);
size_t kpu_ram_layout_offset(const kpu_ram_layout_t *l, uint32_t c, uint32_t y, uint32_t x);
kpu_status_t kpu_ram_layout_check(const kpu_ram_layout_t *l, uint32_t line);
kpu_status_t kpu_ram_layout_store(const kpu_ram_layout_t *l, uint8_t *ram, uint32_t line,
                                  const uint8_t *chw, size_t chw_size);
kpu_status_t kpu_ram_layout_load(const kpu_ram_layout_t *l, const uint8_t *ram, uint32_t line,
                                 uint8_t *chw, size_t chw_size);
kpu_status_t kpu_ram_layout_write(const kpu_ram_layout_t *l, const kpu_backend_t *backend,
                                  uint32_t line, uint32_t first_channel, uint32_t count,
                                  const uint8_t *chw, size_t chw_size);
kpu_status_t kpu_ram_layout_read(const kpu_ram_layout_t *l, const kpu_backend_t *backend,
                                 uint32_t line, uint32_t first_channel, uint32_t count,
                                 uint8_t *chw, size_t chw_size);
