/* DVP registers (K210 datasheet): CFG 0x00 (start/finish irq 0/1, AI output 2, display
 * output 3, auto 4, 4-beat bursts 8, input format [10:9], bursts per line [19:12], lines
 * [29:20]), R/G/B plane addresses 0x04/0x08/0x0C, CMOS_CFG 0x10 (XCLK divider [7:0], XCLK
 * enable 8, RESET pin level 16, PWDN pin level 24), AXI 0x1C (burst length), STS 0x20 (frame
 * start 0, frame finish 8, DVP_EN 16, each with a write-enable bit above it; writing a flag
 * with its write-enable clears it), display address 0x28. */
#include <stddef.h>
#include "k210_dvp.h"
#include "k210_mmio.h"
#include "k210_sysctl.h"
#include "k210_time.h"

#define DVP_CFG (K210_DVP_BASE + 0x00u)
#define DVP_R_ADDR (K210_DVP_BASE + 0x04u)
#define DVP_G_ADDR (K210_DVP_BASE + 0x08u)
#define DVP_B_ADDR (K210_DVP_BASE + 0x0Cu)
#define DVP_CMOS_CFG (K210_DVP_BASE + 0x10u)
#define DVP_AXI (K210_DVP_BASE + 0x1Cu)
#define DVP_STS (K210_DVP_BASE + 0x20u)
#define DVP_RGB_ADDR (K210_DVP_BASE + 0x28u)

#define CFG_AI_OUT (1u << 2)
#define CFG_DISPLAY_OUT (1u << 3)
#define CFG_BURST_4 (1u << 8)
#define CMOS_CLK_EN (1u << 8)
#define CMOS_RESET_HIGH (1u << 16) /* RESET pin high: OV2640 RESETB released */
#define CMOS_PWDN_HIGH (1u << 24)  /* PWDN pin high: powered down */
#define AXI_MLEN_4 3u
#define AXI_MLEN_1 0u
#define STS_START 1u
#define STS_START_WE 2u
#define STS_FINISH (1u << 8)
#define STS_FINISH_WE (1u << 9)
#define STS_DVP_EN (1u << 16)
#define STS_DVP_EN_WE (1u << 17)

uint32_t k210_dvp_init(uint32_t xclk_hz)
{
    k210_sysctl_clock_enable(K210_PERIPH_DVP);
    k210_sysctl_reset(K210_PERIPH_DVP);
    uint32_t apb1 = k210_sysctl_apb1_hz();
    /* XCLK = APB1 / ((div + 1) * 2), never faster than asked */
    uint32_t div = xclk_hz ? (apb1 + 2u * xclk_hz - 1u) / (2u * xclk_hz) : 256u;
    div = div > 0u ? div - 1u : 0u;
    if (div > 255u) {
        div = 255u;
    }
    uint32_t cmos = k210_read32(DVP_CMOS_CFG) & ~0xFFu;
    k210_write32(DVP_CMOS_CFG, cmos | div | CMOS_CLK_EN);
    return apb1 / ((div + 1u) * 2u);
}

void k210_dvp_power_down(int on)
{
    if (on) {
        k210_set_bits32(DVP_CMOS_CFG, CMOS_PWDN_HIGH);
    } else {
        k210_clear_bits32(DVP_CMOS_CFG, CMOS_PWDN_HIGH);
    }
}

void k210_dvp_hold_reset(int on)
{
    if (on) {
        k210_clear_bits32(DVP_CMOS_CFG, CMOS_RESET_HIGH);
    } else {
        k210_set_bits32(DVP_CMOS_CFG, CMOS_RESET_HIGH);
    }
}

static int bus_addr(void *p, uint32_t *out)
{
    if (p == NULL) {
        *out = 0;
        return 0;
    }
    *out = k210_bus_addr(p);
    return (*out == 0 || (*out & 7u) != 0) ? K210_DVP_BAD_ARG : 0;
}

int k210_dvp_configure(int w, int h, k210_dvp_input_t in, void *display, void *r, void *g,
                       void *b)
{
    uint32_t a_disp, a_r, a_g, a_b;
    if (w < 8 || w > 2040 || (w & 7) || h < 1 || h > 1023 ||
        bus_addr(display, &a_disp) || bus_addr(r, &a_r) || bus_addr(g, &a_g) ||
        bus_addr(b, &a_b) || ((r || g || b) && !(r && g && b)) || (!display && !r)) {
        return K210_DVP_BAD_ARG;
    }
    /* 4-beat bursts move 32 pixels of a line at a time; widths that are not a multiple of
     * 32 use single beats (8 pixels) */
    int burst4 = (w % 32) == 0;
    uint32_t cfg = (uint32_t)in | ((uint32_t)h << 20) |
                   ((uint32_t)(burst4 ? w / 32 : w / 8) << 12) | (burst4 ? CFG_BURST_4 : 0u) |
                   (display ? CFG_DISPLAY_OUT : 0u) | (r ? CFG_AI_OUT : 0u);
    k210_write32(DVP_AXI, burst4 ? AXI_MLEN_4 : AXI_MLEN_1);
    k210_write32(DVP_RGB_ADDR, a_disp);
    k210_write32(DVP_R_ADDR, a_r);
    k210_write32(DVP_G_ADDR, a_g);
    k210_write32(DVP_B_ADDR, a_b);
    k210_write32(DVP_CFG, cfg); /* interrupts and auto mode off: frames are polled */
    return 0;
}

static int wait_flag(uint32_t flag, uint64_t start, uint32_t timeout_us)
{
    while (!(k210_read32(DVP_STS) & flag)) {
        if (k210_time_us() - start > timeout_us) {
            return -1;
        }
    }
    return 0;
}

int k210_dvp_capture(uint32_t timeout_us)
{
    uint64_t start = k210_time_us();
    /* drop a stale start flag, wait for a fresh frame start (VSYNC), then let the DVP write
     * that frame and wait for its end */
    k210_write32(DVP_STS, STS_START | STS_START_WE);
    if (wait_flag(STS_START, start, timeout_us) != 0) {
        return K210_DVP_NO_VSYNC;
    }
    k210_write32(DVP_STS, STS_START | STS_START_WE | STS_FINISH | STS_FINISH_WE | STS_DVP_EN |
                              STS_DVP_EN_WE);
    if (wait_flag(STS_FINISH, start, timeout_us) != 0) {
        return K210_DVP_NO_FINISH;
    }
    k210_write32(DVP_STS, STS_FINISH | STS_FINISH_WE);
    return 0;
}
