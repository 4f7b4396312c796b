/* One 32-bit register per IO at FPIOA + 4*io: ch_sel [7:0] (function), ds [11:8] (drive),
 * oe_en 12, oe_inv 13, pu 16, sl 19 (slew control), ie_en 20, st 23 (Schmitt trigger). */
#include "k210_fpioa.h"
#include "k210_mmio.h"

#define IO_DS_MAX (0xFu << 8)
#define IO_OE_EN (1u << 12)
#define IO_OE_INV (1u << 13)
#define IO_PU (1u << 16)
#define IO_SL (1u << 19)
#define IO_IE_EN (1u << 20)
#define IO_ST (1u << 23)

int k210_fpioa_set(int io, uint32_t func, k210_pin_kind_t kind)
{
    if (io < 0 || io >= K210_IO_COUNT || func > 0xFFu) {
        return -1;
    }
    uint32_t cfg = func;
    switch (kind) {
        case K210_PIN_OUTPUT:
            cfg |= IO_DS_MAX | IO_OE_EN;
            break;
        case K210_PIN_INPUT:
            cfg |= IO_IE_EN | IO_ST;
            break;
        case K210_PIN_GPIO:
            cfg |= IO_DS_MAX | IO_OE_EN | IO_IE_EN | IO_ST;
            break;
        case K210_PIN_OPEN_DRAIN:
            /* the function's output drives the output enable inverted: low or released */
            cfg |= IO_OE_EN | IO_OE_INV | IO_PU | IO_SL | IO_IE_EN | IO_ST;
            break;
    }
    k210_write32(K210_FPIOA_BASE + 4u * (uint32_t)io, cfg);
    return 0;
}
