/* OV2640 registers (datasheet and application note register meanings). Two banks share the
 * address space, chosen by BANK_SEL (0xFF): 0 = DSP, 1 = sensor. Only registers whose meaning
 * is documented are written; exposure, gain, white balance and gamma stay at the sensor's
 * power-on defaults (ports/k210/README.md: picture quality is not tuned). */
#include "k210_sccb.h"
#include "k210_time.h"
#include "ov2640.h"

#define BANK_SEL 0xFFu
#define BANK_DSP 0x00u
#define BANK_SENSOR 0x01u

/* sensor bank */
#define S_REG04 0x04u   /* bit 7 horizontal mirror, bit 6 vertical flip; 0x28 = reset value */
#define S_PIDH 0x0Au    /* product id high, 0x26 */
#define S_PIDL 0x0Bu    /* product id low (version), 0x42 */
#define S_CLKRC 0x11u   /* internal clock = XCLK / (bits[5:0] + 1) */
#define S_COM7 0x12u    /* bit 7 soft reset; bits [6:4] resolution: 0x40 = SVGA 800x600 */
#define REG04_DEFAULT 0x28u
#define REG04_HMIRROR 0x80u
#define REG04_VFLIP 0x40u
#define COM7_SRST 0x80u
#define COM7_SVGA 0x40u

/* DSP bank */
#define D_R_BYPASS 0x05u   /* bit 0: 1 = DSP bypassed, 0 = DSP on */
#define D_CTRLI 0x50u      /* bit 7 LP_DP; [5:3] vertical, [2:0] horizontal pre-divider */
#define D_HSIZE 0x51u      /* DSP input window width / 4, bits [7:0] */
#define D_VSIZE 0x52u      /* DSP input window height / 4, bits [7:0] */
#define D_XOFFL 0x53u      /* window x offset [7:0] */
#define D_YOFFL 0x54u      /* window y offset [7:0] */
#define D_VHYX 0x55u       /* high bits of the four above */
#define D_TEST 0x57u       /* bit 7: HSIZE bit 9 */
#define D_ZMOW 0x5Au       /* output width / 4, bits [7:0] */
#define D_ZMOH 0x5Bu       /* output height / 4, bits [7:0] */
#define D_ZMHH 0x5Cu       /* [1:0] output width/4 bits 9:8, [2] output height/4 bit 8 */
#define D_CTRL2 0x86u      /* DSP modules: 0x20 DCW (downscaler), 0x10 SDE, 0x08 UV_ADJ,
                            * 0x04 UV_AVG, 0x01 CMX (colour matrix, needed for YUV) */
#define D_HSIZE8 0xC0u     /* image size entering the DSP: width / 8 */
#define D_VSIZE8 0xC1u     /* height / 8 */
#define D_R_DVP_SP 0xD3u   /* bit 7: PCLK divider chosen automatically */
#define D_IMAGE_MODE 0xDAu /* [3:2] DVP format: 00 = YUV422; bit 0 = 0: high byte first */
#define D_RESET 0xE0u      /* bit 2: DVP interface held in reset */
#define CTRL2_YUV_PIPE 0x3Du
#define RESET_DVP 0x04u

#define SENSOR_W 800 /* SVGA */
#define SENSOR_H 600

static int wr(uint8_t reg, uint8_t value)
{
    return k210_sccb_write(OV2640_SCCB_ADDR, reg, value) == 0 ? OV2640_OK : OV2640_BUS;
}

static int bank(uint8_t b)
{
    return wr(BANK_SEL, b);
}

int ov2640_probe(uint16_t *id)
{
    uint8_t hi = 0, lo = 0;
    if (bank(BANK_SENSOR) != OV2640_OK ||
        k210_sccb_read(OV2640_SCCB_ADDR, S_PIDH, &hi) != 0 ||
        k210_sccb_read(OV2640_SCCB_ADDR, S_PIDL, &lo) != 0) {
        return OV2640_BUS;
    }
    *id = (uint16_t)((hi << 8) | lo);
    return *id == OV2640_CHIP_ID ? OV2640_OK : OV2640_WRONG;
}

int ov2640_init(void)
{
    int st = bank(BANK_SENSOR);
    if (st == OV2640_OK) {
        st = wr(S_COM7, COM7_SRST); /* all registers to their defaults */
    }
    k210_time_delay_us(5000);
    const uint8_t seq[][2] = {
        {BANK_SEL, BANK_SENSOR},
        {S_COM7, COM7_SVGA}, /* 800x600 sensor readout: enough for every size up to SVGA */
        {S_CLKRC, 0x01},     /* internal clock = XCLK / 2: keeps PCLK moderate for the DVP */
        {S_REG04, REG04_DEFAULT},
        {BANK_SEL, BANK_DSP},
        {D_RESET, RESET_DVP}, /* hold the DVP output while the pipeline changes */
        {D_R_BYPASS, 0x00},   /* DSP on: it scales and converts to YUV */
        {D_HSIZE8, SENSOR_W / 8},
        {D_VSIZE8, SENSOR_H / 8},
        {D_CTRL2, CTRL2_YUV_PIPE},
        {D_HSIZE, (SENSOR_W / 4) & 0xFF}, /* DSP window = the whole SVGA image at (0,0) */
        {D_VSIZE, (SENSOR_H / 4) & 0xFF},
        {D_XOFFL, 0x00},
        {D_YOFFL, 0x00},
        {D_VHYX, 0x00}, /* 800/4 and 600/4 fit in 8 bits, offsets 0 */
        {D_TEST, 0x00},
        {D_R_DVP_SP, 0x80},
        {D_IMAGE_MODE, 0x00}, /* YUV422, high byte first */
    };
    for (unsigned i = 0; st == OV2640_OK && i < sizeof seq / sizeof seq[0]; i++) {
        st = wr(seq[i][0], seq[i][1]);
    }
    return st;
}

int ov2640_set_output_size(int w, int h)
{
    if (w < 8 || h < 8 || w > SENSOR_W || h > SENSOR_H || (w & 3) || (h & 3)) {
        return OV2640_SIZE;
    }
    int ow = w / 4, oh = h / 4;
    /* pre-divide the 800x600 window by 2 (DCW) for outputs up to 400x300, so the zoom only
     * scales down by at most 2 */
    uint8_t ctrli = 0x80u | ((w <= SENSOR_W / 2 && h <= SENSOR_H / 2) ? 0x09u : 0x00u);
    const uint8_t seq[][2] = {
        {BANK_SEL, BANK_DSP},
        {D_RESET, RESET_DVP},
        {D_CTRLI, ctrli},
        {D_ZMOW, (uint8_t)(ow & 0xFF)},
        {D_ZMOH, (uint8_t)(oh & 0xFF)},
        {D_ZMHH, (uint8_t)(((ow >> 8) & 3) | (((oh >> 8) & 1) << 2))},
        {D_RESET, 0x00}, /* DVP output running again */
    };
    for (unsigned i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        if (wr(seq[i][0], seq[i][1]) != OV2640_OK) {
            return OV2640_BUS;
        }
    }
    return OV2640_OK;
}

int ov2640_set_mirror_flip(int hmirror, int vflip)
{
    uint8_t v = REG04_DEFAULT | (hmirror ? REG04_HMIRROR : 0u) | (vflip ? REG04_VFLIP : 0u);
    if (bank(BANK_SENSOR) != OV2640_OK || wr(S_REG04, v) != OV2640_OK) {
        return OV2640_BUS;
    }
    return OV2640_OK;
}
