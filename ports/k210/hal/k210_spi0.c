/* SPI0 registers (DW SSI): CTRLR0 0x00 with SPI0's field positions (work mode [7:6], TMOD
 * [9:8], DFS-1 [20:16], frame format [22:21]), SSIENR 0x08, SER 0x10, BAUDR 0x14, TXFLR 0x20,
 * SR 0x28 (BUSY 0, TFE 2), IMR 0x2C, DMACR 0x4C, DR 0x60, SPI_CTRLR0 0xF4 (transfer type
 * [1:0], address length [5:2], instruction length [9:8]), ENDIAN 0x118. */
#include "k210_mmio.h"
#include "k210_spi0.h"
#include "k210_sysctl.h"
#include "k210_time.h"

#define SPI0_CTRLR0 (K210_SPI0_BASE + 0x00u)
#define SPI0_SSIENR (K210_SPI0_BASE + 0x08u)
#define SPI0_SER (K210_SPI0_BASE + 0x10u)
#define SPI0_BAUDR (K210_SPI0_BASE + 0x14u)
#define SPI0_TXFLR (K210_SPI0_BASE + 0x20u)
#define SPI0_SR (K210_SPI0_BASE + 0x28u)
#define SPI0_IMR (K210_SPI0_BASE + 0x2Cu)
#define SPI0_DMACR (K210_SPI0_BASE + 0x4Cu)
#define SPI0_DR (K210_SPI0_BASE + 0x60u)
#define SPI0_SPI_CTRLR0 (K210_SPI0_BASE + 0xF4u)
#define SPI0_ENDIAN (K210_SPI0_BASE + 0x118u)

#define CTRLR0_TMOD_TX (1u << 8)
#define CTRLR0_DFS_8 (7u << 16)
#define CTRLR0_FRF_OCTAL (3u << 21)
/* every byte goes out on the 8 lines: instruction phase 8 bits (the first byte of a burst),
 * no address phase, instruction and address in the frame format */
#define SPI_CTRLR0_INST_8 (2u << 8)
#define SPI_CTRLR0_AITM_FRF 2u
#define SR_BUSY 1u
#define SR_TFE 4u
#define TX_FIFO_DEPTH 32u
#define DRAIN_TIMEOUT_US 100000u

static uint32_t spi0_ss;

uint32_t k210_spi0_init(uint32_t ss, uint32_t hz)
{
    if (hz == 0) {
        return 0;
    }
    spi0_ss = ss & 3u;
    k210_sysctl_clock_enable(K210_PERIPH_SPI0);
    k210_sysctl_reset(K210_PERIPH_SPI0);
    uint32_t src = k210_sysctl_spi0_hz(); /* the clock threshold as the boot ROM left it */
    uint32_t div = (src + hz - 1u) / hz; /* never faster than asked */
    div = (div + 1u) & ~1u;              /* BAUDR: even, 2..65534 */
    if (div < 2u) {
        div = 2u;
    } else if (div > 65534u) {
        div = 65534u;
    }
    k210_write32(SPI0_SSIENR, 0);
    k210_write32(SPI0_CTRLR0, CTRLR0_TMOD_TX | CTRLR0_DFS_8 | CTRLR0_FRF_OCTAL);
    k210_write32(SPI0_SPI_CTRLR0, SPI_CTRLR0_INST_8 | SPI_CTRLR0_AITM_FRF);
    k210_write32(SPI0_BAUDR, div);
    k210_write32(SPI0_IMR, 0);
    k210_write32(SPI0_DMACR, 0);
    k210_write32(SPI0_ENDIAN, 0);
    k210_write32(SPI0_SER, 0);
    return src / div;
}

static int wait_drained(void)
{
    uint64_t start = k210_time_us();
    for (;;) {
        uint32_t sr = k210_read32(SPI0_SR);
        if ((sr & SR_TFE) && !(sr & SR_BUSY)) {
            return 0;
        }
        if (k210_time_us() - start > DRAIN_TIMEOUT_US) {
            return K210_SPI0_TIMEOUT;
        }
    }
}

static int push(const uint8_t *data, size_t n, uint64_t start)
{
    size_t i = 0;
    while (i < n) {
        uint32_t room = TX_FIFO_DEPTH - k210_read32(SPI0_TXFLR);
        if (room == 0 || room > TX_FIFO_DEPTH) {
            if (k210_time_us() - start > DRAIN_TIMEOUT_US) {
                return K210_SPI0_TIMEOUT;
            }
            continue;
        }
        while (room-- > 0 && i < n) {
            k210_write32(SPI0_DR, data[i++]);
        }
    }
    return 0;
}

static void begin(void)
{
    k210_write32(SPI0_SSIENR, 1);
    k210_write32(SPI0_SER, 1u << spi0_ss);
}

static int end(int status)
{
    if (status == 0) {
        status = wait_drained();
    }
    k210_write32(SPI0_SER, 0);
    k210_write32(SPI0_SSIENR, 0);
    return status;
}

int k210_spi0_write(const uint8_t *data, size_t n)
{
    begin();
    return end(push(data, n, k210_time_us()));
}

int k210_spi0_write_repeat(const uint8_t *pattern, size_t plen, size_t repeats)
{
    uint8_t chunk[64];
    if (plen == 0 || plen > sizeof chunk) {
        return 0;
    }
    size_t per = sizeof chunk / plen; /* whole patterns per chunk */
    for (size_t i = 0; i < per * plen; i++) {
        chunk[i] = pattern[i % plen];
    }
    begin();
    int status = 0;
    while (repeats > 0 && status == 0) {
        size_t k = repeats < per ? repeats : per;
        status = push(chunk, k * plen, k210_time_us());
        repeats -= k;
    }
    return end(status);
}
