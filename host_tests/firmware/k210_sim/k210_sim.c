/* The peripheral model of k210_sim.h. Register addresses and bit meanings are the ones the
 * drivers document (K210 datasheet); behaviour the datasheet leaves open is chosen here and
 * named as such (the DVP's RGB565 from YUV is modelled as the RGB888 pattern quantised by
 * truncation; Y as (77R + 150G + 29B) >> 8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k210_mmio.h"
#include "k210_sim.h"

#define SRAM_SIZE (4u << 20)
#define SRAM_BUS 0x80000000u
#define MAX_REGS 1024
#define TICKS_PER_READ 70u /* 10 us of CLINT time (7 ticks/us at 390 MHz) per time read */

static struct {
    uintptr_t addr[MAX_REGS];
    uint32_t val[MAX_REGS];
    int n;
} regs;
static uint8_t sram[SRAM_SIZE] __attribute__((aligned(64)));
static size_t sram_used;
static uint64_t mtime;
static FILE *out; /* the trace: stdout, or the file K210_SIM_TRACE names */
/* host memory outside the model's SRAM (e.g. a MicroPython GC heap) gets bus handles
 * 0xC0000000 + (index << 20), unchecked in size */
#define HANDLE_BASE 0xC0000000u
#define MAX_HANDLES 64
static const uint8_t *handles[MAX_HANDLES];
static int n_handles;
static int knob_absent, knob_wrong_id, knob_stuck, knob_no_vsync, knob_no_finish, knob_spi_stuck;

/* SPI0 transmit FIFO and the trace's open D line */
static uint8_t fifo[64];
static int fifo_n;
static int dline_open;
static int last_rst = -1;

/* DVP */
static uint32_t dvp_sts;
static int sccb_countdown, frame_countdown, frame_started;
static uint8_t cam_regs[2][256];
static int cam_bank, cam_ptr;

static uint32_t *reg_slot(uintptr_t addr)
{
    for (int i = 0; i < regs.n; i++) {
        if (regs.addr[i] == addr) {
            return &regs.val[i];
        }
    }
    if (regs.n == MAX_REGS) {
        fputs("k210_sim: register file full\n", stderr);
        return &regs.val[0];
    }
    regs.addr[regs.n] = addr;
    regs.val[regs.n] = 0;
    return &regs.val[regs.n++];
}

static uint32_t reg(uintptr_t addr)
{
    return *reg_slot(addr);
}

void k210_sim_flush(void)
{
    if (dline_open) {
        fputc('\n', out);
        dline_open = 0;
    }
}

static void err(const char *what)
{
    k210_sim_flush();
    fprintf(out, "ERR %s\n", what);
}

static uint64_t now_us(void)
{
    return mtime / 7u;
}

int k210_sim_knob(const char *name)
{
    int *k = !strcmp(name, "absent") ? &knob_absent
           : !strcmp(name, "wrong_id") ? &knob_wrong_id
           : !strcmp(name, "sccb_stuck") ? &knob_stuck
           : !strcmp(name, "no_vsync") ? &knob_no_vsync
           : !strcmp(name, "no_finish") ? &knob_no_finish
           : !strcmp(name, "spi_stuck") ? &knob_spi_stuck : NULL;
    if (k) {
        *k = 1;
    }
    return k != NULL;
}

void *k210_sim_alloc(size_t n)
{
    size_t at = (sram_used + 63u) & ~(size_t)63u;
    if (n > SRAM_SIZE - at) {
        return NULL;
    }
    sram_used = at + n;
    return sram + at;
}

uint32_t k210_sim_bus_addr(const void *p)
{
    const uint8_t *b = p;
    if (b >= sram && b < sram + SRAM_SIZE) {
        return SRAM_BUS + (uint32_t)(b - sram);
    }
    for (int i = 0; i < n_handles; i++) {
        if (handles[i] == b) {
            return HANDLE_BASE + ((uint32_t)i << 20);
        }
    }
    if (b == NULL || n_handles == MAX_HANDLES) {
        return 0;
    }
    handles[n_handles] = b;
    return HANDLE_BASE + ((uint32_t)n_handles++ << 20);
}

/* The model has no cache. */
void k210_dcache_evict(void)
{
}

static uint8_t *bus_ptr(uint32_t a, size_t n)
{
    if (a >= HANDLE_BASE && (int)((a - HANDLE_BASE) >> 20) < n_handles) {
        return (uint8_t *)handles[(a - HANDLE_BASE) >> 20] + (a & 0xFFFFFu);
    }
    if (a < SRAM_BUS || a - SRAM_BUS > SRAM_SIZE || n > SRAM_SIZE - (a - SRAM_BUS)) {
        return NULL;
    }
    return sram + (a - SRAM_BUS);
}

void k210_sim_pattern(int x, int y, uint8_t rgb[3])
{
    rgb[0] = (uint8_t)(x * 3 + y);
    rgb[1] = (uint8_t)(x + y * 5 + 17);
    rgb[2] = (uint8_t)((x ^ y) * 7);
}

/* ---- board wiring ---- */

static uint32_t fpioa_func(int io)
{
    return reg(K210_FPIOA_BASE + 4u * (uint32_t)io) & 0xFFu;
}

/* The level GPIOHS drives on io, or -1 if io is not a GPIOHS output. */
static int gpiohs_level(int io)
{
    uint32_t f = fpioa_func(io);
    if (f < 24u || f > 55u) {
        return -1;
    }
    uint32_t n = f - 24u;
    if (!((reg(K210_GPIOHS_BASE + 0x08u) >> n) & 1u)) {
        return -1;
    }
    return (int)((reg(K210_GPIOHS_BASE + 0x0Cu) >> n) & 1u);
}

static int clock_on(unsigned peri_bit, unsigned cent_bit)
{
    return ((reg(K210_SYSCTL_BASE + 0x2Cu) >> peri_bit) & 1u) &&
           ((reg(K210_SYSCTL_BASE + 0x28u) >> cent_bit) & 1u);
}

/* ---- SPI0 + panel bus ---- */

static void emit_byte(uint8_t b)
{
    int dc = gpiohs_level(SIM_IO_LCD_DC);
    if (dc < 0) {
        err("SPI0 byte sent while DC is not a GPIOHS output");
        return;
    }
    if (dc == 0) {
        k210_sim_flush();
        fprintf(out, "C %02x %llu\n", b, (unsigned long long)now_us());
    } else {
        if (!dline_open) {
            fputs("D ", out);
            dline_open = 1;
        }
        fprintf(out, "%02x", b);
    }
}

static void spi0_drain(void)
{
    if (fifo_n == 0 || knob_spi_stuck) { /* spi_stuck: the FIFO never drains */
        return;
    }
    uint32_t cs = fpioa_func(SIM_IO_LCD_CS);
    uint32_t ctrlr0 = reg(K210_SPI0_BASE + 0x00u);
    if (!clock_on(6, 5) || reg(K210_SPI0_BASE + 0x08u) != 1u || cs < 12u || cs > 15u ||
        !(reg(K210_SYSCTL_BASE + 0x54u) & (1u << 10)) || /* data lines on their pins */
        !((reg(K210_SPI0_BASE + 0x10u) >> (cs - 12u)) & 1u) ||
        fpioa_func(SIM_IO_LCD_WR) != 17u) {
        return; /* no clock, disabled, or the panel's chip select not driven: nothing moves */
    }
    if (((ctrlr0 >> 8) & 3u) != 1u || ((ctrlr0 >> 16) & 31u) != 7u || ((ctrlr0 >> 21) & 3u) != 3u) {
        err("SPI0 is not in octal, 8-bit, transmit-only mode");
        fifo_n = 0;
        return;
    }
    int n = fifo_n < 8 ? fifo_n : 8;
    for (int i = 0; i < n; i++) {
        emit_byte(fifo[i]);
    }
    memmove(fifo, fifo + n, (size_t)(fifo_n - n));
    fifo_n -= n;
}

static void watch_lcd_reset(void)
{
    int level = gpiohs_level(SIM_IO_LCD_RST);
    if (level >= 0 && level != last_rst) {
        k210_sim_flush();
        fprintf(out, "RST %d %llu\n", level, (unsigned long long)now_us());
        last_rst = level;
    }
}

/* ---- camera ---- */

static void cam_defaults(void)
{
    memset(cam_regs, 0, sizeof cam_regs);
    cam_regs[1][0x0A] = knob_wrong_id ? 0x77 : 0x26; /* PIDH */
    cam_regs[1][0x0B] = 0x42;                        /* PIDL */
    cam_regs[1][0x1C] = 0x7F;
    cam_regs[1][0x1D] = 0xA2;
    cam_regs[1][0x04] = 0x28;
    cam_regs[0][0xE0] = 0x04; /* DVP held in reset until the output is set up */
}

static int cam_powered(void)
{
    uint32_t cmos = reg(K210_DVP_BASE + 0x10u);
    return clock_on(3, 4) && (cmos & (1u << 8)) && !(cmos & (1u << 24)) && (cmos & (1u << 16)) &&
           fpioa_func(SIM_IO_CMOS_XCLK) == 132u && fpioa_func(SIM_IO_CMOS_PWDN) == 134u &&
           fpioa_func(SIM_IO_CMOS_RST) == 133u;
}

static int cam_on_bus(uint32_t dev8)
{
    return !knob_absent && dev8 == 0x60u && cam_powered() &&
           fpioa_func(SIM_IO_SCCB_SDA) == 147u && fpioa_func(SIM_IO_SCCB_SCL) == 146u;
}

static void sccb_transfer(void)
{
    uint32_t *cfg = reg_slot(K210_DVP_BASE + 0x14u);
    uint32_t ctl = reg(K210_DVP_BASE + 0x18u);
    uint32_t bytes = (*cfg & 3u) + 1u;
    int write = ctl & 1u;
    uint8_t r = (uint8_t)(ctl >> 8), v = (uint8_t)(ctl >> 16);
    if (!cam_on_bus(ctl & 0xFEu)) {
        *cfg = (*cfg & 0x00FFFFFFu) | 0xFF000000u; /* nobody drives SDA: reads 0xFF */
        return;
    }
    if (write && bytes == 3u) {
        k210_sim_flush();
        fprintf(out, "SCCB W %d %02x %02x\n", cam_bank, r, v);
        if (r == 0xFF) {
            cam_bank = v & 1;
        } else if (cam_bank == 1 && r == 0x12 && (v & 0x80u)) {
            cam_defaults(); /* COM7 soft reset */
        } else {
            cam_regs[cam_bank][r] = v;
        }
    } else if (write && bytes == 2u) {
        cam_ptr = r;
    } else if (!write) {
        uint8_t got = cam_regs[cam_bank][cam_ptr];
        k210_sim_flush();
        fprintf(out, "SCCB R %d %02x %02x\n", cam_bank, cam_ptr, got);
        *cfg = (*cfg & 0x00FFFFFFu) | ((uint32_t)got << 24);
    } else {
        err("SCCB transfer with an unexpected byte count");
    }
}

static int cam_streaming(void)
{
    return cam_powered() && !knob_no_vsync && !(cam_regs[0][0xE0] & 0x04u) &&
           (reg(K210_SYSCTL_BASE + 0x54u) & (1u << 10)) &&
           fpioa_func(SIM_IO_CMOS_VSYNC) == 135u && fpioa_func(SIM_IO_CMOS_HREF) == 136u &&
           fpioa_func(SIM_IO_CMOS_PCLK) == 137u;
}

static void write_frame(void)
{
    uint32_t cfg = reg(K210_DVP_BASE + 0x00u);
    int burst4 = (cfg >> 8) & 1u;
    int w = (int)((cfg >> 12) & 0xFFu) * (burst4 ? 32 : 8);
    int h = (int)((cfg >> 20) & 0x3FFu);
    uint32_t fmt = cfg & 0x600u;
    int sw = (cam_regs[0][0x5A] | ((cam_regs[0][0x5C] & 3) << 8)) * 4;
    int sh = (cam_regs[0][0x5B] | (((cam_regs[0][0x5C] >> 2) & 1) << 8)) * 4;
    int hmirror = cam_regs[1][0x04] & 0x80, vflip = cam_regs[1][0x04] & 0x40;
    if ((cam_regs[0][0xDA] & 0x0Cu) != 0) {
        err("camera not in YUV422 output (the DVP converts YUV)");
        return;
    }
    if (w < 8 || h < 1 || w > sw || h > sh) {
        err("DVP frame larger than what the camera sends");
        return;
    }
    size_t plane = (size_t)w * (size_t)h;
    uint8_t *disp = NULL, *pr = NULL, *pg = NULL, *pb = NULL;
    if (cfg & 8u) {
        disp = bus_ptr(reg(K210_DVP_BASE + 0x28u), plane * 2);
    }
    if (cfg & 4u) {
        pr = bus_ptr(reg(K210_DVP_BASE + 0x04u), plane);
        pg = bus_ptr(reg(K210_DVP_BASE + 0x08u), plane);
        pb = bus_ptr(reg(K210_DVP_BASE + 0x0Cu), plane);
    }
    if (((cfg & 8u) && !disp) || ((cfg & 4u) && (!pr || !pg || !pb))) {
        err("DVP buffer address outside SRAM");
        return;
    }
    k210_sim_flush();
    fprintf(out, "FRAME %d %d %s\n", w, h, fmt == 0x600u ? "Y" : fmt == 0x200u ? "YUV" : "RGB");
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint8_t c[3];
            k210_sim_pattern(hmirror ? sw - 1 - x : x, vflip ? sh - 1 - y : y, c);
            size_t i = (size_t)y * (size_t)w + (size_t)x;
            if (fmt == 0x600u) {
                if (pr) {
                    pr[i] = (uint8_t)((77 * c[0] + 150 * c[1] + 29 * c[2]) >> 8);
                }
                continue;
            }
            if (pr) {
                pr[i] = c[0];
                pg[i] = c[1];
                pb[i] = c[2];
            }
            if (disp) {
                /* two pixels per little-endian word, the first in the high half */
                uint16_t s = (uint16_t)(((c[0] >> 3) << 11) | ((c[1] >> 2) << 5) | (c[2] >> 3));
                size_t word = (i / 2) * 4, half = (i & 1) ? 0 : 2;
                disp[word + half] = (uint8_t)s;
                disp[word + half + 1] = (uint8_t)(s >> 8);
            }
        }
    }
}

static uint32_t dvp_sts_read(void)
{
    if (sccb_countdown > 0 && !knob_stuck && --sccb_countdown == 0) {
        sccb_transfer();
        dvp_sts &= ~(1u << 24);
    }
    if (!(dvp_sts & 1u) && !frame_started && cam_streaming()) {
        dvp_sts |= 1u; /* VSYNC: a frame starts */
        frame_started = 1;
        frame_countdown = 0;
    }
    if ((dvp_sts & (1u << 16)) && frame_started && !knob_no_finish) {
        if (frame_countdown == 0) {
            frame_countdown = 5;
        } else if (--frame_countdown == 0) {
            write_frame();
            dvp_sts |= 1u << 8;
            dvp_sts &= ~(1u << 16);
            frame_started = 0;
        }
    } else if (!(dvp_sts & (1u << 16)) && frame_started && !(dvp_sts & 1u)) {
        frame_started = 0; /* the start was dropped without converting: next frame */
    }
    return dvp_sts;
}

static void dvp_sts_write(uint32_t v)
{
    if ((v & 2u) && (v & 1u)) {
        dvp_sts &= ~1u;
    }
    if ((v & (1u << 9)) && (v & (1u << 8))) {
        dvp_sts &= ~(1u << 8);
    }
    if (v & (1u << 17)) {
        dvp_sts = (dvp_sts & ~(1u << 16)) | (v & (1u << 16));
    }
    if ((v & (1u << 25)) && (v & (1u << 24))) {
        if (dvp_sts & (1u << 24)) {
            err("SCCB transfer started while one is running");
        }
        dvp_sts |= 1u << 24;
        sccb_countdown = 3;
    }
}

/* ---- the bus ---- */

static void init_once(void)
{
    static int done;
    if (done) {
        return;
    }
    done = 1;
    const char *path = getenv("K210_SIM_TRACE");
    out = path ? fopen(path, "w") : NULL;
    if (out == NULL) {
        out = stdout;
    }
    const char *knobs = getenv("K210_SIM_KNOBS"); /* comma-separated k210_sim_knob names */
    while (knobs && *knobs) {
        char name[32];
        size_t n = strcspn(knobs, ",");
        if (n < sizeof name) {
            memcpy(name, knobs, n);
            name[n] = 0;
            k210_sim_knob(name);
        }
        knobs += n + (knobs[n] == ',');
    }
    /* PLL0 = 26 MHz * 60 / 2 = 780 MHz; ACLK = PLL0 / 2 = 390 MHz; APB1 = ACLK / 3 */
    *reg_slot(K210_SYSCTL_BASE + 0x08u) = (59u << 4) | (1u << 10);
    *reg_slot(K210_SYSCTL_BASE + 0x20u) = 1u | (2u << 6);
    cam_defaults();
}

uint32_t k210_sim_read32(uintptr_t addr)
{
    init_once();
    if (addr == K210_SPI0_BASE + 0x28u) { /* SR: BUSY 0, TFNF 1, TFE 2 */
        spi0_drain();
        return (fifo_n ? 1u : 0u) | (fifo_n < 32 ? 2u : 0u) | (fifo_n == 0 ? 4u : 0u);
    }
    if (addr == K210_SPI0_BASE + 0x20u) { /* TXFLR */
        spi0_drain();
        return (uint32_t)fifo_n;
    }
    if (addr == K210_DVP_BASE + 0x20u) {
        return dvp_sts_read();
    }
    return reg(addr);
}

void k210_sim_write32(uintptr_t addr, uint32_t value)
{
    init_once();
    if (addr >= K210_SPI0_BASE + 0x60u && addr < K210_SPI0_BASE + 0xF0u) {
        if (fifo_n == 32) {
            err("SPI0 transmit FIFO overflow");
            return;
        }
        fifo[fifo_n++] = (uint8_t)value;
        return;
    }
    if (addr == K210_DVP_BASE + 0x20u) {
        dvp_sts_write(value);
        return;
    }
    if (addr == K210_SPI0_BASE + 0x08u && value == 0u && fifo_n > 0) {
        err("SPI0 disabled with bytes still in the FIFO");
        fifo_n = 0;
    }
    *reg_slot(addr) = value;
    if (addr == K210_GPIOHS_BASE + 0x0Cu || addr == K210_GPIOHS_BASE + 0x08u) {
        watch_lcd_reset();
    }
}

uint64_t k210_sim_read64(uintptr_t addr)
{
    init_once();
    if (addr == K210_CLINT_BASE + 0xBFF8u) {
        mtime += TICKS_PER_READ;
        return mtime;
    }
    return reg(addr);
}
