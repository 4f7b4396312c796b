/* UARTHS: txdata/rxdata with full/empty flags in bit 31; divisor = clock / baud - 1, the
 * clock being the CPU clock. */
#include "k210_mmio.h"
#include "k210_sysctl.h"
#include "k210_uarths.h"

#define UARTHS_TXDATA (K210_UARTHS_BASE + 0x00u)
#define UARTHS_RXDATA (K210_UARTHS_BASE + 0x04u)
#define UARTHS_TXCTRL (K210_UARTHS_BASE + 0x08u)
#define UARTHS_RXCTRL (K210_UARTHS_BASE + 0x0Cu)
#define UARTHS_IE (K210_UARTHS_BASE + 0x10u)
#define UARTHS_DIV (K210_UARTHS_BASE + 0x18u)
#define UARTHS_FLAG 0x80000000u

void k210_uarths_init(uint32_t baud)
{
    uint32_t div = k210_sysctl_cpu_hz() / baud - 1u;
    k210_write32(UARTHS_DIV, div);
    k210_write32(UARTHS_TXCTRL, 1u); /* txen, one stop bit */
    k210_write32(UARTHS_RXCTRL, 1u); /* rxen */
    k210_write32(UARTHS_IE, 0u);     /* polled */
}

void k210_uarths_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        while (k210_read32(UARTHS_TXDATA) & UARTHS_FLAG) { /* FIFO full */
        }
        k210_write32(UARTHS_TXDATA, (uint8_t)s[i]);
    }
}

int k210_uarths_read(void)
{
    uint32_t v = k210_read32(UARTHS_RXDATA);
    return (v & UARTHS_FLAG) ? -1 : (int)(v & 0xFFu);
}
