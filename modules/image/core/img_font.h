/* The built-in 8x12 font of draw_string (ASCII 32..126). */
#ifndef IMG_FONT_H_INCLUDED
#define IMG_FONT_H_INCLUDED

#include <stdint.h>

#define IMG_FONT_W 8
#define IMG_FONT_H 12
#define IMG_FONT_FIRST 32
#define IMG_FONT_LAST 126

/* Row r of character c: img_font_glyphs[c - IMG_FONT_FIRST][r], column 0 in bit 7. */
extern const uint8_t img_font_glyphs[IMG_FONT_LAST - IMG_FONT_FIRST + 1][IMG_FONT_H];

#endif
