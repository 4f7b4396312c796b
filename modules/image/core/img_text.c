/* draw_string with the built-in 8x12 font (image-subset spec 2.10): proportional glyphs trimmed
 * to their lit columns, nearest-neighbour scaling, MaixPy's spacing and line-break rules. */
#include "img_font.h"
#include "img_internal.h"

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b) {
        return INT64_MAX;
    }
    if (b < 0 && a < INT64_MIN - b) {
        return INT64_MIN;
    }
    return a + b;
}

typedef struct {
    img_t *img;
    uint32_t color;
    double scale;
    int64_t out_h; /* trunc(12 * scale) */
} pen_t;

/* Plot the lit cells of one glyph, out_w x out_h at (ox, oy); only the visible part is
 * visited, so a huge scale costs no more than the image. */
static void glyph(const pen_t *p, int64_t ox, int64_t oy, const uint8_t *rows, int first,
                  int64_t out_w)
{
    float fscale = (float)p->scale;
    int64_t dx0 = ox < 0 ? -ox : 0, dy0 = oy < 0 ? -oy : 0;
    int64_t dx1 = out_w, dy1 = p->out_h;
    if ((int64_t)p->img->w - ox < dx1) {
        dx1 = (int64_t)p->img->w - ox;
    }
    if ((int64_t)p->img->h - oy < dy1) {
        dy1 = (int64_t)p->img->h - oy;
    }
    if (dx0 >= dx1) {
        return;
    }
    for (int64_t dy = dy0; dy < dy1; dy++) {
        int64_t r = img_trunc_f((float)dy / fscale);
        uint8_t bits = rows[r < IMG_FONT_H - 1 ? r : IMG_FONT_H - 1];
        for (int64_t dx = dx0; dx < dx1; dx++) {
            int64_t c = first + img_trunc_f((float)dx / fscale);
            if (bits & (0x80u >> (c < IMG_FONT_W - 1 ? c : IMG_FONT_W - 1))) {
                img_px_set(p->img, (size_t)(oy + dy) * (size_t)p->img->w + (size_t)(ox + dx),
                           p->color);
            }
        }
    }
}

/* Clip a box to the cell, then fill it on the image at the cell's origin. */
static void cell_box(const pen_t *p, int64_t ox, int64_t oy, int64_t cell_w, int64_t x0,
                     int64_t y0, int64_t x1, int64_t y1)
{
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > cell_w - 1 ? cell_w - 1 : x1;
    y1 = y1 > p->out_h - 1 ? p->out_h - 1 : y1;
    if (x0 <= x1 && y0 <= y1) {
        img_fill_box(p->img, sat_add(ox, x0), sat_add(oy, y0), sat_add(ox, x1), sat_add(oy, y1),
                     p->color);
    }
}

/* A non-printable character: a hollow box inset by trunc(1.5 * scale) with an outline
 * trunc(scale) thick, drawn inside an 8x12 cell; the pen does not advance. */
static void hollow_box(const pen_t *p, int64_t ox, int64_t oy)
{
    int64_t t = img_trunc_d(p->scale);
    if (t <= 0) {
        return;
    }
    int64_t inset = img_trunc_d(p->scale * 3 / 2);
    int64_t cell_w = img_trunc_d(IMG_FONT_W * p->scale);
    int64_t right = cell_w - inset - 1, bottom = p->out_h - inset - 1;
    int64_t t0 = t / 2, t1 = (t - 1) / 2;
    cell_box(p, ox, oy, cell_w, inset - t0, inset - t0, right + t1, inset + t1);
    cell_box(p, ox, oy, cell_w, inset - t0, bottom - t0, right + t1, bottom + t1);
    cell_box(p, ox, oy, cell_w, inset - t0, inset - t0, inset + t1, bottom + t1);
    cell_box(p, ox, oy, cell_w, right - t0, inset - t0, right + t1, bottom + t1);
}

/* Next code point of UTF-8 text (anything >= 0x80 only needs to be "not printable"). */
static uint32_t next_char(const char *text, size_t len, size_t *i)
{
    uint8_t b = (uint8_t)text[(*i)++];
    if (b >= 0xC0) {
        while (*i < len && ((uint8_t)text[*i] & 0xC0) == 0x80) {
            (*i)++;
        }
    }
    return b;
}

img_status_t img_draw_string(img_t *img, int x, int y, const char *text, size_t len,
                             uint32_t color, double scale, int x_spacing, int y_spacing,
                             int mono_space)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK) {
        return st;
    }
    if (!(scale > 0)) {
        return IMG_ERR_SCALE;
    }
    if (text == NULL && len > 0) {
        return IMG_ERR_ARGUMENT;
    }
    pen_t p = {img, color, scale, img_trunc_d(IMG_FONT_H * scale)};
    int64_t line_step = sat_add(p.out_h, y_spacing);
    int64_t pen_x = 0, pen_y = 0;
    uint32_t previous = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c = next_char(text, len, &i);
        if (c == '\n' && previous == '\r') {
            previous = c;
            continue; /* "\r\n" is one line break */
        }
        previous = c;
        int64_t ox = sat_add(x, pen_x), oy = sat_add(y, pen_y);
        if (c == '\r' || c == '\n') {
            pen_x = 0;
            pen_y = sat_add(pen_y, line_step);
        } else if (c == ' ' && !mono_space) {
            pen_x = sat_add(pen_x, sat_add(img_trunc_d(3 * scale), x_spacing));
        } else if (c < IMG_FONT_FIRST || c > IMG_FONT_LAST) {
            hollow_box(&p, ox, oy);
        } else {
            const uint8_t *rows = img_font_glyphs[c - IMG_FONT_FIRST];
            int first = 0, width = IMG_FONT_W;
            if (!mono_space) {
                uint8_t any = 0;
                for (int r = 0; r < IMG_FONT_H; r++) {
                    any |= rows[r];
                }
                int last = -1;
                first = 0;
                for (int col = IMG_FONT_W - 1; col >= 0; col--) {
                    if (any & (0x80u >> col)) {
                        last = last < 0 ? col : last;
                        first = col;
                    }
                }
                width = last - first + 2; /* an empty glyph is 1 wide */
            }
            int64_t out_w = img_trunc_d(width * scale);
            glyph(&p, ox, oy, rows, first, out_w);
            pen_x = sat_add(pen_x, sat_add(out_w, x_spacing));
        }
    }
    return IMG_OK;
}
