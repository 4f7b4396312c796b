/* Shapes: draw_rectangle as MaixPy (spec 2.9); draw_line, draw_circle and draw_cross as the
 * Python module draws them (outside the spec: Bresenham line, midpoint circle, square brush). */
#include "img_internal.h"

/* Python's floor division by 2 (C's / truncates toward zero). */
static int64_t floor_half(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

img_status_t img_draw_rectangle(img_t *img, int x, int y, int w, int h, uint32_t color,
                                int thickness, int fill)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK) {
        return st;
    }
    int64_t right = (int64_t)x + w - 1, bottom = (int64_t)y + h - 1;
    if (fill) {
        img_fill_box(img, x, y, right, bottom, color);
        return IMG_OK;
    }
    if (thickness <= 0) {
        return IMG_OK;
    }
    /* Bands centred on the 1-pixel outline; even thicknesses grow one more pixel outward. */
    int64_t t0 = thickness / 2, t1 = (thickness - 1) / 2;
    img_fill_box(img, x - t0, y - t0, right + t1, y + t1, color);
    img_fill_box(img, x - t0, bottom - t0, right + t1, bottom + t1, color);
    img_fill_box(img, x - t0, y - t0, x + t1, bottom + t1, color);
    img_fill_box(img, right - t0, y - t0, right + t1, bottom + t1, color);
    return IMG_OK;
}

/* The combined-step Bresenham of the Python module, along its major axis (x when dx > dy,
 * else y): step k in 0..D moves the major coordinate k and the minor one
 * m(k) = ceil((d k - floor(D/2)) / D), since its error term is (floor(D/2) - d k) mod D. So
 * any step is found without walking there. d k fits 64 bits: d > 0 only for draw_line, whose deltas
 * are below 2^32. */
static int64_t minor_at(int64_t k, int64_t d, int64_t big_d)
{
    uint64_t p = (uint64_t)d * (uint64_t)k, e = (uint64_t)big_d / 2;
    if (d == 0 || p <= e) {
        return 0;
    }
    return (int64_t)((p - e + (uint64_t)big_d - 1) / (uint64_t)big_d);
}

/* Each step stamps the box -lo..hi around it. For one image column (row for a y-major line)
 * the steps that reach it are a run of k, and their boxes join into one span whose ends come
 * from the run's ends (both coordinates are monotone, moving by at most 1 a step). So the
 * work is one span per image line, whatever the length or thickness. */
static void line(img_t *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1, uint32_t color,
                 int thickness)
{
    int64_t lo = floor_half(thickness), hi = floor_half((int64_t)thickness - 1);
    int64_t dx = x1 > x0 ? x1 - x0 : x0 - x1, dy = y1 > y0 ? y1 - y0 : y0 - y1;
    int x_major = dx > dy;
    int64_t a0 = x_major ? x0 : y0, b0 = x_major ? y0 : x0;
    int64_t sa = (x_major ? x0 < x1 : y0 < y1) ? 1 : -1;
    int64_t sb = (x_major ? y0 < y1 : x0 < x1) ? 1 : -1;
    int64_t big_d = x_major ? dx : dy, d = x_major ? dy : dx;
    int64_t lines = x_major ? img->w : img->h, span = x_major ? img->h : img->w;
    int64_t a1 = a0 + sa * big_d;
    int64_t p0 = (a0 < a1 ? a0 : a1) - lo, p1 = (a0 < a1 ? a1 : a0) + hi;
    p0 = p0 < 0 ? 0 : p0;
    p1 = p1 > lines - 1 ? lines - 1 : p1;
    for (int64_t p = p0; p <= p1; p++) {
        int64_t ka = sa > 0 ? p - hi - a0 : a0 - p - lo;
        int64_t kb = sa > 0 ? p + lo - a0 : a0 - p + hi;
        ka = ka < 0 ? 0 : ka;
        kb = kb > big_d ? big_d : kb;
        if (ka > kb) {
            continue;
        }
        int64_t ba = b0 + sb * minor_at(ka, d, big_d), bb = b0 + sb * minor_at(kb, d, big_d);
        int64_t q0 = (ba < bb ? ba : bb) - lo, q1 = (ba < bb ? bb : ba) + hi;
        q0 = q0 < 0 ? 0 : q0;
        q1 = q1 > span - 1 ? span - 1 : q1;
        for (int64_t q = q0; q <= q1; q++) {
            size_t at = x_major ? (size_t)q * (size_t)img->w + (size_t)p
                                : (size_t)p * (size_t)img->w + (size_t)q;
            img_px_set(img, at, color);
        }
    }
}

img_status_t img_draw_line(img_t *img, int x0, int y0, int x1, int y1, uint32_t color,
                           int thickness)
{
    img_status_t st = img_check(img);
    if (st == IMG_OK && thickness > 0) {
        line(img, x0, y0, x1, y1, color, thickness);
    }
    return st;
}

img_status_t img_draw_cross(img_t *img, int x, int y, uint32_t color, int size, int thickness)
{
    img_status_t st = img_check(img);
    if (st == IMG_OK && thickness > 0) {
        line(img, (int64_t)x - size, y, (int64_t)x + size, y, color, thickness);
        line(img, x, (int64_t)y - size, x, (int64_t)y + size, color, thickness);
    }
    return st;
}

static void plot(img_t *img, int64_t x, int64_t y, uint32_t color)
{
    if (x >= 0 && y >= 0 && x < img->w && y < img->h) {
        img_px_set(img, (size_t)y * (size_t)img->w + (size_t)x, color);
    }
}

/* floor(sqrt(v)), digit by digit (no libm on the bare-metal builds). */
static uint64_t floor_sqrt(uint64_t v)
{
    uint64_t root = 0, bit = (uint64_t)1 << 62;
    while (bit > v) {
        bit >>= 2;
    }
    for (; bit != 0; bit >>= 2) {
        if (v >= root + bit) {
            v -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
    }
    return root;
}

/* The smallest s >= 0 with s^2 >= v. */
static uint64_t ceil_sqrt(uint64_t v)
{
    uint64_t s = floor_sqrt(v);
    return s * s < v ? s + 1 : s;
}

static uint64_t sat_square(uint64_t v)
{
    return v > 0xFFFFFFFFu ? UINT64_MAX : v * v;
}

/* Two's complement of a 64-bit pattern whose true value fits int64 (no
 * implementation-defined conversion). */
static int64_t as_signed(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

/* One octant of the Python module's midpoint circle: at step n (0, 1, ... while x >= n) it
 * plots x(n) = ceil(sqrt(r^2 - r + 1 - n^2)), the error term being
 * (x - 1)^2 + (n + 1)^2 - (r^2 - r + 1). n runs along one axis (sign sn) and x(n) along the
 * other (sign sx); swap puts n on x. Only the steps whose two coordinates are both on the
 * image are walked: the first is found with square roots and the error term recomputed. */
static void octant(img_t *img, int64_t cx, int64_t cy, int64_t r, int swap, int sn, int sx,
                   uint32_t color)
{
    int64_t cn = swap ? cx : cy, nn = swap ? img->w : img->h;
    int64_t cc = swap ? cy : cx, nc = swap ? img->h : img->w;
    int64_t nlo = sn > 0 ? -cn : cn - nn + 1, nhi = sn > 0 ? nn - 1 - cn : cn;
    int64_t alo = sx > 0 ? -cc : cc - nc + 1, ahi = sx > 0 ? nc - 1 - cc : cc;
    uint64_t t = (uint64_t)r * (uint64_t)r - (uint64_t)r + 1;
    nlo = nlo < 0 ? 0 : nlo;
    nhi = nhi > r ? r : nhi; /* x(n) < n from there on */
    if (ahi < 0 || alo > r) {
        return;
    }
    if (ahi < r) { /* x(n) <= ahi from the first n with n^2 >= t - ahi^2 */
        int64_t n = (int64_t)ceil_sqrt(t - (uint64_t)ahi * (uint64_t)ahi);
        nlo = n > nlo ? n : nlo;
    }
    if (alo >= 1) { /* x(n) >= alo while n^2 < t - (alo - 1)^2 (positive as alo <= r) */
        int64_t n = (int64_t)ceil_sqrt(t - (uint64_t)(alo - 1) * (uint64_t)(alo - 1)) - 1;
        nhi = n < nhi ? n : nhi;
    }
    if (nlo > nhi) {
        return;
    }
    int64_t n = nlo;
    uint64_t un = (uint64_t)n;
    int64_t x = (int64_t)ceil_sqrt(t - un * un); /* n <= r: n^2 <= r^2 - r + 1 = t */
    uint64_t xm1 = (uint64_t)(x > 0 ? x - 1 : 1);
    int64_t err = as_signed(xm1 * xm1 + (un + 1) * (un + 1) - t);
    while (n <= nhi && x >= n) {
        plot(img, swap ? cx + sn * n : cx + sx * x, swap ? cy + sx * x : cy + sn * n, color);
        n++;
        if (err < 0) {
            err += 2 * n + 1;
        } else {
            x--;
            err += 2 * (n - x + 1);
        }
    }
}

/* The radii that can reach the image: radius r plots points at distances d with
 * r^2 - r + 1 <= d^2 <= r^2 + r, so only floor(dmin) - 1 .. floor(dmax) + 1 (dmin, dmax: the
 * nearest and farthest pixel from the centre) can; that is at most the image's diagonal. */
static uint64_t magnitude(int64_t v) { return (uint64_t)(v < 0 ? -v : v); }

static uint64_t sat_add_u(uint64_t a, uint64_t b) { return UINT64_MAX - a < b ? UINT64_MAX : a + b; }

static void reach(const img_t *img, int64_t cx, int64_t cy, int64_t *rmin, int64_t *rmax)
{
    /* Offsets of the first and last column and row from the centre. */
    int64_t left = -cx, right = (int64_t)img->w - 1 - cx;
    int64_t top = -cy, bottom = (int64_t)img->h - 1 - cy;
    uint64_t nx = left > 0 ? magnitude(left) : right < 0 ? magnitude(right) : 0;
    uint64_t ny = top > 0 ? magnitude(top) : bottom < 0 ? magnitude(bottom) : 0;
    uint64_t fx = magnitude(left) > magnitude(right) ? magnitude(left) : magnitude(right);
    uint64_t fy = magnitude(top) > magnitude(bottom) ? magnitude(top) : magnitude(bottom);
    *rmin = (int64_t)floor_sqrt(sat_add_u(sat_square(nx), sat_square(ny))) - 1;
    *rmax = (int64_t)floor_sqrt(sat_add_u(sat_square(fx), sat_square(fy))) + 1;
}

img_status_t img_draw_circle(img_t *img, int cx, int cy, int radius, uint32_t color,
                             int thickness, int fill)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK) {
        return st;
    }
    int64_t r = radius;
    if (fill) {
        /* Only the rows and columns on the image are visited. */
        int64_t y0 = -r > -(int64_t)cy ? -r : -(int64_t)cy;
        int64_t y1 = r < (int64_t)img->h - 1 - cy ? r : (int64_t)img->h - 1 - cy;
        int64_t x0 = -r > -(int64_t)cx ? -r : -(int64_t)cx;
        int64_t x1 = r < (int64_t)img->w - 1 - cx ? r : (int64_t)img->w - 1 - cx;
        for (int64_t oy = y0; oy <= y1; oy++) {
            for (int64_t ox = x0; ox <= x1; ox++) {
                if ((uint64_t)(ox * ox) + (uint64_t)(oy * oy) <= (uint64_t)(r * r)) {
                    plot(img, cx + ox, cy + oy, color);
                }
            }
        }
        return IMG_OK;
    }
    int64_t first = r - floor_half(thickness), last = r + floor_half((int64_t)thickness - 1);
    int64_t rmin, rmax;
    reach(img, cx, cy, &rmin, &rmax);
    first = first < rmin ? rmin : first;
    last = last > rmax ? rmax : last;
    for (int64_t ri = first < 0 ? 0 : first; ri <= last; ri++) {
        if (ri == 0) {
            plot(img, cx, cy, color); /* radius 0 is the centre alone */
            continue;
        }
        for (int i = 0; i < 8; i++) {
            octant(img, cx, cy, ri, i & 1, i & 2 ? -1 : 1, i & 4 ? -1 : 1, color);
        }
    }
    return IMG_OK;
}
