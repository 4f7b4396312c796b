/* SPI3 (DesignWare SSI) in EEPROM-read mode: the controller sends the command and address
 * frames, then clocks in CTRLR1 + 1 data frames. SPI3's CTRLR0 fields sit at other offsets
 * than SPI0/1's: data frame size at bit 0, transfer mode at bit 10, frame format at bit 22. */
#include "k210_flash.h"
#include "k210_mmio.h"
#include "k210_time.h"

#define SSI_CTRLR0 (K210_SPI3_BASE + 0x00u)
#define SSI_CTRLR1 (K210_SPI3_BASE + 0x04u)
#define SSI_SSIENR (K210_SPI3_BASE + 0x08u)
#define SSI_SER (K210_SPI3_BASE + 0x10u)
#define SSI_BAUDR (K210_SPI3_BASE + 0x14u)
#define SSI_RXFLR (K210_SPI3_BASE + 0x24u)
#define SSI_SR (K210_SPI3_BASE + 0x28u)
#define SSI_IMR (K210_SPI3_BASE + 0x2Cu)
#define SSI_DMACR (K210_SPI3_BASE + 0x4Cu)
#define SSI_DR (K210_SPI3_BASE + 0x60u)

#define SPI3_DFS_8BIT (7u << 0)
#define SPI3_TMOD_EEPROM (3u << 10)
#define SSI_SR_BUSY 1u
#define FLASH_CMD_READ 0x03u
#define FLASH_CHUNK 4096u        /* frames per transfer (CTRLR1 is 16 bits) */
#define FLASH_TIMEOUT_US 100000u /* per chunk */

static uint32_t flash_baud_div = 8;

void k210_flash_init(uint32_t baud_div)
{
    flash_baud_div = baud_div < 2u ? 2u : (baud_div & ~1u);
}

static int read_chunk(uint32_t addr, uint8_t *dst, size_t n)
{
    k210_write32(SSI_SSIENR, 0);
    k210_write32(SSI_CTRLR0, SPI3_DFS_8BIT | SPI3_TMOD_EEPROM);
    k210_write32(SSI_CTRLR1, (uint32_t)(n - 1u));
    k210_write32(SSI_BAUDR, flash_baud_div);
    k210_write32(SSI_IMR, 0);
    k210_write32(SSI_DMACR, 0);
    k210_write32(SSI_SER, 0);
    k210_write32(SSI_SSIENR, 1);
    k210_write32(SSI_DR, FLASH_CMD_READ);
    k210_write32(SSI_DR, (addr >> 16) & 0xFFu);
    k210_write32(SSI_DR, (addr >> 8) & 0xFFu);
    k210_write32(SSI_DR, addr & 0xFFu);
    k210_write32(SSI_SER, 1); /* chip select 0: the transfer starts */
    uint64_t start = k210_time_us();
    size_t got = 0;
    int status = 0;
    while (got < n) {
        uint32_t level = k210_read32(SSI_RXFLR);
        if (level == 0) {
            if (k210_time_us() - start > FLASH_TIMEOUT_US) {
                status = -1;
                break;
            }
            continue;
        }
        while (level-- > 0 && got < n) {
            dst[got++] = (uint8_t)k210_read32(SSI_DR);
        }
    }
    while ((k210_read32(SSI_SR) & SSI_SR_BUSY) && k210_time_us() - start <= FLASH_TIMEOUT_US) {
    }
    k210_write32(SSI_SER, 0);
    k210_write32(SSI_SSIENR, 0);
    return status;
}

int k210_flash_read(uint32_t addr, void *dst, size_t n)
{
    uint8_t *out = dst;
    if (addr > 0x1000000u || n > 0x1000000u - addr) {
        return -1; /* beyond 24-bit addressing */
    }
    while (n > 0) {
        size_t chunk = n < FLASH_CHUNK ? n : FLASH_CHUNK;
        if (read_chunk(addr, out, chunk) != 0) {
            return -1;
        }
        addr += (uint32_t)chunk;
        out += chunk;
        n -= chunk;
    }
    return 0;
}
