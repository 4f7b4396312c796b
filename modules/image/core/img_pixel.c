/* MaixPy's pixel model (image-subset spec 1.2-1.5): raw byte-swapped RGB565 words, the 5/6-bit
 * <-> 8-bit tables, the RGB565 -> gray table (full and minimum firmware) and colour parsing. */
#include "img.h"

/* The tables below were generated from the spec's formulas (and equal MaixPy's rgb2rgb_tab.c):
 *   rb528[i] = (255*i + 15) // 31    g628[i] = (255*i + 31) // 63    (expansion, rounding)
 *   rb825[v] = (31*v + 127) // 255   g826[v] = (63*v + 127) // 255   (compression, rounding)
 * host_tests/image/test_image_core_pixel.py checks them against the Python tables. */
const uint8_t img_rb528[32] = {
      0,   8,  16,  25,  33,  41,  49,  58,  66,  74,  82,  90,  99, 107, 115, 123,
    132, 140, 148, 156, 165, 173, 181, 189, 197, 206, 214, 222, 230, 239, 247, 255,
};

const uint8_t img_g628[64] = {
      0,   4,   8,  12,  16,  20,  24,  28,  32,  36,  40,  45,  49,  53,  57,  61,
     65,  69,  73,  77,  81,  85,  89,  93,  97, 101, 105, 109, 113, 117, 121, 125,
    130, 134, 138, 142, 146, 150, 154, 158, 162, 166, 170, 174, 178, 182, 186, 190,
    194, 198, 202, 206, 210, 215, 219, 223, 227, 231, 235, 239, 243, 247, 251, 255,
};

const uint8_t img_rb825[256] = {
      0,   0,   0,   0,   0,   1,   1,   1,   1,   1,   1,   1,   1,   2,   2,   2,
      2,   2,   2,   2,   2,   3,   3,   3,   3,   3,   3,   3,   3,   4,   4,   4,
      4,   4,   4,   4,   4,   4,   5,   5,   5,   5,   5,   5,   5,   5,   6,   6,
      6,   6,   6,   6,   6,   6,   7,   7,   7,   7,   7,   7,   7,   7,   8,   8,
      8,   8,   8,   8,   8,   8,   9,   9,   9,   9,   9,   9,   9,   9,   9,  10,
     10,  10,  10,  10,  10,  10,  10,  11,  11,  11,  11,  11,  11,  11,  11,  12,
     12,  12,  12,  12,  12,  12,  12,  13,  13,  13,  13,  13,  13,  13,  13,  13,
     14,  14,  14,  14,  14,  14,  14,  14,  15,  15,  15,  15,  15,  15,  15,  15,
     16,  16,  16,  16,  16,  16,  16,  16,  17,  17,  17,  17,  17,  17,  17,  17,
     18,  18,  18,  18,  18,  18,  18,  18,  18,  19,  19,  19,  19,  19,  19,  19,
     19,  20,  20,  20,  20,  20,  20,  20,  20,  21,  21,  21,  21,  21,  21,  21,
     21,  22,  22,  22,  22,  22,  22,  22,  22,  22,  23,  23,  23,  23,  23,  23,
     23,  23,  24,  24,  24,  24,  24,  24,  24,  24,  25,  25,  25,  25,  25,  25,
     25,  25,  26,  26,  26,  26,  26,  26,  26,  26,  27,  27,  27,  27,  27,  27,
     27,  27,  27,  28,  28,  28,  28,  28,  28,  28,  28,  29,  29,  29,  29,  29,
     29,  29,  29,  30,  30,  30,  30,  30,  30,  30,  30,  31,  31,  31,  31,  31,
};

const uint8_t img_g826[256] = {
      0,   0,   0,   1,   1,   1,   1,   2,   2,   2,   2,   3,   3,   3,   3,   4,
      4,   4,   4,   5,   5,   5,   5,   6,   6,   6,   6,   7,   7,   7,   7,   8,
      8,   8,   8,   9,   9,   9,   9,  10,  10,  10,  10,  11,  11,  11,  11,  12,
     12,  12,  12,  13,  13,  13,  13,  14,  14,  14,  14,  15,  15,  15,  15,  16,
     16,  16,  16,  17,  17,  17,  17,  18,  18,  18,  18,  19,  19,  19,  19,  20,
     20,  20,  20,  21,  21,  21,  21,  21,  22,  22,  22,  22,  23,  23,  23,  23,
     24,  24,  24,  24,  25,  25,  25,  25,  26,  26,  26,  26,  27,  27,  27,  27,
     28,  28,  28,  28,  29,  29,  29,  29,  30,  30,  30,  30,  31,  31,  31,  31,
     32,  32,  32,  32,  33,  33,  33,  33,  34,  34,  34,  34,  35,  35,  35,  35,
     36,  36,  36,  36,  37,  37,  37,  37,  38,  38,  38,  38,  39,  39,  39,  39,
     40,  40,  40,  40,  41,  41,  41,  41,  42,  42,  42,  42,  42,  43,  43,  43,
     43,  44,  44,  44,  44,  45,  45,  45,  45,  46,  46,  46,  46,  47,  47,  47,
     47,  48,  48,  48,  48,  49,  49,  49,  49,  50,  50,  50,  50,  51,  51,  51,
     51,  52,  52,  52,  52,  53,  53,  53,  53,  54,  54,  54,  54,  55,  55,  55,
     55,  56,  56,  56,  56,  57,  57,  57,  57,  58,  58,  58,  58,  59,  59,  59,
     59,  60,  60,  60,  60,  61,  61,  61,  61,  62,  62,  62,  62,  63,  63,  63,
};

uint16_t img_rgb565_compose(uint32_t r5, uint32_t g6, uint32_t b5)
{
    return (uint16_t)((r5 << 3) | (g6 >> 3) | ((g6 & 7u) << 13) | (b5 << 8));
}

static uint32_t r5_of(uint16_t q) { return (q >> 3) & 31u; }
static uint32_t g6_of(uint16_t q) { return ((q & 7u) << 3) | (q >> 13); }
static uint32_t b5_of(uint16_t q) { return (q >> 8) & 31u; }

static int clamp8(int64_t v) { return v < 0 ? 0 : v > 255 ? 255 : (int)v; }

uint16_t img_rgb565_from_rgb888(int r, int g, int b)
{
    return img_rgb565_compose(img_rb825[clamp8(r)], img_g826[clamp8(g)], img_rb825[clamp8(b)]);
}

void img_rgb888_from_rgb565(uint16_t q, uint8_t *r, uint8_t *g, uint8_t *b)
{
    *r = img_rb528[r5_of(q)];
    *g = img_g628[g6_of(q)];
    *b = img_rb528[b5_of(q)];
}

uint16_t img_rgb565_swap(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }

/* Raw words where MaixPy's double-precision generator gives one less than the exact
 * floor((299*R8 + 587*G8 + 114*B8) / 1000): the sum is a multiple of 1000 and
 * 0.299*R8 + 0.587*G8 + 0.114*B8 rounds just below it in IEEE double. Found by comparing the
 * integer formula with the double one over all 65 536 words (they differ nowhere else); the
 * result matches the stored table's SHA-256 of spec 1.4. Integer maths keeps the result
 * independent of the compiler's float contraction. */
static const uint16_t gray_double_low[] = {0x2245, 0x4108, 0x7DEF, 0x8210, 0x8622,
                                           0xA23D, 0xA24C, 0xAF21, 0xC521, 0xFDF6};

static uint8_t gray_full(uint16_t q)
{
    uint32_t sum = 299u * img_rb528[r5_of(q)] + 587u * img_g628[g6_of(q)] +
                   114u * img_rb528[b5_of(q)];
    uint32_t gray = sum / 1000u;
    if (sum % 1000u == 0) {
        for (size_t i = 0; i < sizeof gray_double_low / sizeof gray_double_low[0]; i++) {
            if (gray_double_low[i] == q) {
                gray--;
                break;
            }
        }
    }
    return (uint8_t)gray;
}

uint8_t img_gray_from_rgb565(uint16_t q, img_firmware_t fw)
{
    /* Minimum firmware: the first 8192 entries plus a correction per q >> 13 (spec 1.4). */
    static const uint8_t add_y[8] = {0, 2, 5, 7, 9, 12, 14, 16};
    if (fw == IMG_FW_MINIMUM) {
        return (uint8_t)(gray_full((uint16_t)(q & 0x1FFFu)) + add_y[q >> 13]);
    }
    return gray_full(q);
}

uint16_t img_rgb565_from_gray(uint8_t g)
{
    return img_rgb565_compose(img_rb825[g], img_g826[g], img_rb825[g]);
}

uint32_t img_color_from_int(img_format_t fmt, int64_t value)
{
    /* Two's complement low bits, so -1 is white in both formats. */
    uint64_t bits = (uint64_t)value;
    return fmt == IMG_GRAYSCALE ? (uint32_t)(bits & 0xFFu) : (uint32_t)(bits & 0xFFFFu);
}

uint32_t img_color_from_rgb(img_format_t fmt, int64_t r, int64_t g, int64_t b,
                            img_firmware_t fw)
{
    uint16_t q = img_rgb565_compose(img_rb825[clamp8(r)], img_g826[clamp8(g)],
                                    img_rb825[clamp8(b)]);
    return fmt == IMG_GRAYSCALE ? img_gray_from_rgb565(q, fw) : q;
}
