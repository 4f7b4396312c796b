/* CPU clock from the sysctl registers: ACLK is IN0 (26 MHz) or PLL0 / 2^(div+1), and
 * PLL0 = IN0 * (clkf + 1) / ((clkr + 1) * (clkod + 1)). */
#include "k210_mmio.h"
#include "k210_sysctl.h"

#define SYSCTL_PLL0 (K210_SYSCTL_BASE + 0x08u)
#define SYSCTL_CLK_SEL0 (K210_SYSCTL_BASE + 0x20u)

uint32_t k210_sysctl_cpu_hz(void)
{
    uint32_t sel = k210_read32(SYSCTL_CLK_SEL0);
    if ((sel & 1u) == 0) { /* aclk_sel: 0 = IN0 */
        return K210_OSC_HZ;
    }
    uint32_t pll = k210_read32(SYSCTL_PLL0);
    uint64_t clkr = (pll & 0xFu) + 1u;
    uint64_t clkf = ((pll >> 4) & 0x3Fu) + 1u;
    uint64_t clkod = ((pll >> 10) & 0xFu) + 1u;
    uint64_t pll0 = (uint64_t)K210_OSC_HZ * clkf / (clkr * clkod);
    uint32_t div = (sel >> 1) & 3u; /* aclk_divider_sel */
    return (uint32_t)(pll0 >> (div + 1u));
}
