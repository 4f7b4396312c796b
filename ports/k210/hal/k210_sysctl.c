/* CPU clock from the sysctl registers: ACLK is IN0 (26 MHz) or PLL0 / 2^(div+1), and
 * PLL0 = IN0 * (clkf + 1) / ((clkr + 1) * (clkod + 1)). Clock gates and resets for the
 * peripherals of k210_periph_t (sysctl register map of the K210 datasheet). */
#include "k210_mmio.h"
#include "k210_sysctl.h"
#include "k210_time.h"

#define SYSCTL_PLL0 (K210_SYSCTL_BASE + 0x08u)
#define SYSCTL_CLK_SEL0 (K210_SYSCTL_BASE + 0x20u)
#define SYSCTL_CLK_EN_CENT (K210_SYSCTL_BASE + 0x28u)
#define SYSCTL_CLK_EN_PERI (K210_SYSCTL_BASE + 0x2Cu)
#define SYSCTL_PERI_RESET (K210_SYSCTL_BASE + 0x34u)
#define SYSCTL_CLK_TH1 (K210_SYSCTL_BASE + 0x3Cu)
#define SYSCTL_MISC (K210_SYSCTL_BASE + 0x54u)
#define SYSCTL_POWER_SEL (K210_SYSCTL_BASE + 0x6Cu)

#define CENT_APB0_EN (1u << 3) /* FPIOA */
#define CENT_APB1_EN (1u << 4) /* DVP */
#define CENT_APB2_EN (1u << 5) /* SPI0 */
#define MISC_SPI_DVP_DATA_EN (1u << 10)

uint32_t k210_sysctl_pll0_hz(void)
{
    uint32_t pll = k210_read32(SYSCTL_PLL0);
    uint64_t clkr = (pll & 0xFu) + 1u;
    uint64_t clkf = ((pll >> 4) & 0x3Fu) + 1u;
    uint64_t clkod = ((pll >> 10) & 0xFu) + 1u;
    return (uint32_t)((uint64_t)K210_OSC_HZ * clkf / (clkr * clkod));
}

uint32_t k210_sysctl_cpu_hz(void)
{
    uint32_t sel = k210_read32(SYSCTL_CLK_SEL0);
    if ((sel & 1u) == 0) { /* aclk_sel: 0 = IN0 */
        return K210_OSC_HZ;
    }
    uint32_t div = (sel >> 1) & 3u; /* aclk_divider_sel */
    return k210_sysctl_pll0_hz() >> (div + 1u);
}

uint32_t k210_sysctl_apb1_hz(void)
{
    uint32_t sel = (k210_read32(SYSCTL_CLK_SEL0) >> 6) & 7u; /* apb1_clk_sel */
    return k210_sysctl_cpu_hz() / (sel + 1u);
}

void k210_sysctl_clock_enable(k210_periph_t p)
{
    uint32_t bus = p == K210_PERIPH_SPI0 ? CENT_APB2_EN
                 : p == K210_PERIPH_DVP ? CENT_APB1_EN : CENT_APB0_EN;
    k210_set_bits32(SYSCTL_CLK_EN_CENT, bus);
    k210_set_bits32(SYSCTL_CLK_EN_PERI, 1u << (uint32_t)p);
}

void k210_sysctl_reset(k210_periph_t p)
{
    k210_set_bits32(SYSCTL_PERI_RESET, 1u << (uint32_t)p);
    k210_time_delay_us(10);
    k210_clear_bits32(SYSCTL_PERI_RESET, 1u << (uint32_t)p);
}

uint32_t k210_sysctl_spi0_hz(void)
{
    uint32_t th = k210_read32(SYSCTL_CLK_TH1) & 0xFFu;
    return k210_sysctl_pll0_hz() / ((th + 1u) * 2u);
}

void k210_sysctl_spi0_dvp_data_pins(int enable)
{
    if (enable) {
        k210_set_bits32(SYSCTL_MISC, MISC_SPI_DVP_DATA_EN);
    } else {
        k210_clear_bits32(SYSCTL_MISC, MISC_SPI_DVP_DATA_EN);
    }
}

void k210_sysctl_set_io_banks_1v8(uint32_t banks_mask)
{
    k210_set_bits32(SYSCTL_POWER_SEL, banks_mask & 0xFFu);
}
