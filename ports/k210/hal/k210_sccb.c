/* DVP SCCB registers: SCCB_CFG 0x14 (byte count [1:0]: 1 = 2 bytes, 2 = 3 bytes; SCL low and
 * high counts in APB1 cycles [15:8], [23:16]; the byte read back [31:24]), SCCB_CTL 0x18
 * (write-data enable 0, device address [7:0], register address [15:8], data [23:16]); a
 * transfer starts when STS.SCCB_EN (bit 24, write-enable bit 25) is set and runs until the
 * master clears it. A read is a 2-byte write of the register address followed by a read. */
#include "k210_mmio.h"
#include "k210_sccb.h"
#include "k210_sysctl.h"
#include "k210_time.h"

#define DVP_SCCB_CFG (K210_DVP_BASE + 0x14u)
#define DVP_SCCB_CTL (K210_DVP_BASE + 0x18u)
#define DVP_STS (K210_DVP_BASE + 0x20u)

#define CFG_BYTES_MASK 3u
#define CFG_BYTES_2 1u
#define CFG_BYTES_3 2u
#define CTL_WRITE 1u
#define STS_SCCB_EN (1u << 24)
#define STS_SCCB_EN_WE (1u << 25)
#define SCCB_TIMEOUT_US 20000u /* 3 bytes at >= 10 kHz take < 3 ms */

void k210_sccb_init(uint32_t scl_hz)
{
    uint32_t apb1 = k210_sysctl_apb1_hz();
    uint32_t half = scl_hz ? (apb1 + scl_hz) / (2u * scl_hz) : 255u; /* cycles per half period */
    if (half < 1u) {
        half = 1u;
    } else if (half > 255u) {
        half = 255u; /* slowest SCL the counters allow */
    }
    uint32_t cfg = k210_read32(DVP_SCCB_CFG) & ~0x00FFFF00u;
    k210_write32(DVP_SCCB_CFG, cfg | (half << 8) | (half << 16));
}

static int transfer(void)
{
    uint64_t start = k210_time_us();
    while (k210_read32(DVP_STS) & STS_SCCB_EN) { /* a previous transfer still running */
        if (k210_time_us() - start > SCCB_TIMEOUT_US) {
            return K210_SCCB_TIMEOUT;
        }
    }
    k210_write32(DVP_STS, STS_SCCB_EN | STS_SCCB_EN_WE);
    start = k210_time_us();
    while (k210_read32(DVP_STS) & STS_SCCB_EN) {
        if (k210_time_us() - start > SCCB_TIMEOUT_US) {
            return K210_SCCB_TIMEOUT;
        }
    }
    return 0;
}

static void set_byte_count(uint32_t count)
{
    uint32_t cfg = k210_read32(DVP_SCCB_CFG) & ~CFG_BYTES_MASK;
    k210_write32(DVP_SCCB_CFG, cfg | count);
}

int k210_sccb_write(uint8_t dev, uint8_t reg, uint8_t value)
{
    set_byte_count(CFG_BYTES_3);
    k210_write32(DVP_SCCB_CTL, CTL_WRITE | dev | ((uint32_t)reg << 8) | ((uint32_t)value << 16));
    return transfer();
}

int k210_sccb_read(uint8_t dev, uint8_t reg, uint8_t *value)
{
    set_byte_count(CFG_BYTES_2);
    k210_write32(DVP_SCCB_CTL, CTL_WRITE | dev | ((uint32_t)reg << 8));
    int st = transfer();
    if (st != 0) {
        return st;
    }
    k210_write32(DVP_SCCB_CTL, dev); /* no write enable: the read phase */
    st = transfer();
    if (st != 0) {
        return st;
    }
    *value = (uint8_t)(k210_read32(DVP_SCCB_CFG) >> 24);
    return 0;
}
