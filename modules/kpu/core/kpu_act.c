/* KPU activation: table decoding, the exact per-value definition, and its lookup table. */
#include "kpu_act.h"

#include <string.h>

/* Flooring right shift. >> on a negative value is implementation-defined; where it is
 * arithmetic (every compiler we know) the constant test folds away. */
static inline int64_t asr64(int64_t v, uint32_t s)
{
    if (((int64_t)-1 >> 1) == -1 || v >= 0)
        return v >> s;
    return -(int64_t)((~(uint64_t)v) >> s) - 1;
}

static int64_t sign_extend(uint64_t v, unsigned bits)
{
    uint64_t m = (uint64_t)1 << (bits - 1);
    v &= ((uint64_t)1 << bits) - 1;
    return (int64_t)(v ^ m) - (int64_t)m;
}

static uint64_t read_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

int64_t kpu_round_rne_buggy(int64_t v, uint32_t s)
{
    if (s == 0)
        return v;
    if (s >= 64) /* |v| < 2^63 <= 2^(s-1): I = 0 or -1 and F < h or F > h */
        return v < 0 ? -2 : 0;
    int64_t i = asr64(v, s);
    uint64_t f = (uint64_t)v & (((uint64_t)1 << s) - 1u);
    uint64_t h = (uint64_t)1 << (s - 1);
    int64_t sg = v < 0 ? -1 : 1;
    if (f < h)
        return i;
    if (f > h)
        return i + sg;
    return ((uint64_t)i & 1u) ? i + sg : i;
}

int64_t kpu_round_carry_shift(int64_t v, uint32_t s)
{
    if (s == 0)
        return v;
    int64_t t = asr64(v, s - 1 > 63 ? 63 : s - 1);
    if (((uint64_t)t & 1u) == 0)
        return asr64(t, 1);
    return t >= 0 ? asr64(t, 1) + 1 : asr64(t, 1) - 1;
}

void kpu_act_decode(kpu_act_t *a, const uint8_t table[KPU_ACT_TABLE_BYTES], int cs)
{
    uint64_t add_lo = read_u64le(table + 16 * 8), add_hi = read_u64le(table + 17 * 8);
    memset(a, 0, sizeof(*a));
    a->cs = cs ? 1 : 0;
    a->sorted = 1;
    for (unsigned i = 0; i < KPU_ACT_SEGMENTS; i++) {
        uint64_t w = read_u64le(table + 8 * i);
        kpu_act_segment_t *seg = &a->seg[i];
        seg->shift = (uint32_t)(w & 0xffu);
        seg->y_mul = (int32_t)sign_extend(w >> 8, 16);
        seg->x_start = sign_extend(w >> 24, 36);
        seg->add = (uint32_t)((i < 8 ? add_lo >> (8 * i) : add_hi >> (8 * (i - 8))) & 0xffu);
        seg->eff_shift = seg->shift > 62 ? 62 : seg->shift;
        seg->frac_mask = ((uint64_t)1 << seg->eff_shift) - 1u;
        seg->half = seg->eff_shift ? (uint64_t)1 << (seg->eff_shift - 1) : 1u;
        if (i > 0 && seg->x_start < a->seg[i - 1].x_start)
            a->sorted = 0;
        a->search[i] = seg->x_start;
        a->search[KPU_ACT_SEGMENTS + i] = INT64_MAX;
    }
}

/* Highest segment with x_start < bq, or -1 if none (bq = B + 1 turns v0.1's <= into <). */
static int select_segment(const kpu_act_t *a, int64_t bq)
{
    if (a->sorted) {
        /* the qualifying segments form a prefix: count them (branch-free bisection) */
        const int64_t *xs = a->search;
        unsigned n = 0;
        n += xs[n + 15] < bq ? 16u : 0u;
        n += xs[n + 7] < bq ? 8u : 0u;
        n += xs[n + 3] < bq ? 4u : 0u;
        n += xs[n + 1] < bq ? 2u : 0u;
        n += xs[n] < bq ? 1u : 0u;
        return (int)n - 1;
    }
    for (int i = KPU_ACT_SEGMENTS - 1; i >= 0; i--)
        if (a->seg[i].x_start < bq)
            return i;
    return -1;
}

uint8_t kpu_act_eval(const kpu_act_t *a, int64_t b)
{
    b = b < -KPU_ACT_B_LIMIT ? -KPU_ACT_B_LIMIT : (b > KPU_ACT_B_LIMIT ? KPU_ACT_B_LIMIT : b);
    int i = select_segment(a, b + a->cs);
    const kpu_act_segment_t *seg = &a->seg[i < 0 ? 0 : i];
    int64_t v = (b - seg->x_start) * seg->y_mul; /* |.| < 2^41 * 2^15 */
    int64_t y;
    if (a->cs) {
        if (seg->eff_shift == 0) {
            y = v;
        } else {
            int64_t t = asr64(v, seg->eff_shift - 1), r = asr64(t, 1);
            y = ((uint64_t)t & 1u) ? (t >= 0 ? r + 1 : r - 1) : r;
        }
    } else {
        int64_t q = asr64(v, seg->eff_shift);
        uint64_t f = (uint64_t)v & seg->frac_mask;
        int up = (f > seg->half) | ((f == seg->half) & (int)((uint64_t)q & 1u));
        y = q + (up ? (v < 0 ? -1 : 1) : 0);
    }
    y += seg->add;
    return (uint8_t)(y < 0 ? 0 : (y > 255 ? 255 : y));
}

/* ---- lookup table ---- */

size_t kpu_act_lut_bytes(void)
{
    return (KPU_ACT_LUT_MAX + 1) * sizeof(int64_t) +
           (KPU_ACT_LUT_BUCKETS + 2) * sizeof(uint16_t) + KPU_ACT_LUT_MAX;
}

/* Smallest t in (lo, hi] with eval(t) > g, where eval is non-decreasing on [lo, hi], eval(lo)
 * = g and eval(hi) > g. First the closed form for the segment's rounding, checked on both
 * sides; bisection when the check fails. */
static int64_t next_change(const kpu_act_t *a, const kpu_act_segment_t *seg, int64_t lo,
                           int64_t hi, uint8_t g)
{
    int64_t j = (int64_t)g + 1 - seg->add; /* >= 1: g >= add for v >= 0 */
    uint32_t s = seg->eff_shift;
    if (seg->y_mul > 0 && j >= 1 && s < 54) {
        /* smallest v that rounds to >= j: j*2^s - 2^(s-1), one more for RNE at odd j */
        int64_t vj = s == 0 ? j
                            : j * ((int64_t)1 << s) - ((int64_t)1 << (s - 1)) +
                                  ((!a->cs && (j & 1)) ? 1 : 0);
        int64_t t = seg->x_start + (vj + seg->y_mul - 1) / seg->y_mul;
        if (t > lo && t <= hi && kpu_act_eval(a, t) > g && kpu_act_eval(a, t - 1) <= g)
            return t;
    }
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (kpu_act_eval(a, mid) > g)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

int kpu_act_lut_build(kpu_act_lut_t *lut, const kpu_act_t *a, void *mem)
{
    int64_t *at = mem;
    uint16_t *bucket = (uint16_t *)(void *)(at + KPU_ACT_LUT_MAX + 1) + 1; /* [-1, BUCKETS] */
    uint8_t *val = (uint8_t *)(bucket + KPU_ACT_LUT_BUCKETS + 1);
    memset(lut, 0, sizeof(*lut));
    if (!a->sorted)
        return 0;
    /* Pieces of B where the selected segment is fixed: segment i qualifies from
     * B = x_start + 1 - cs on. Below the first one no segment qualifies. */
    int64_t start[KPU_ACT_SEGMENTS + 1];
    int sel[KPU_ACT_SEGMENTS + 1];
    unsigned pieces = 0;
    start[pieces] = -KPU_ACT_B_LIMIT;
    sel[pieces++] = select_segment(a, -KPU_ACT_B_LIMIT + a->cs);
    for (unsigned i = 0; i < KPU_ACT_SEGMENTS; i++) {
        int64_t c = a->seg[i].x_start + 1 - a->cs;
        if (c <= start[pieces - 1] || c > KPU_ACT_B_LIMIT)
            continue;
        start[pieces] = c;
        sel[pieces++] = select_segment(a, c + a->cs);
    }
    uint32_t n = 0;
    for (unsigned p = 0; p < pieces; p++) {
        int64_t lo = start[p], hi = p + 1 < pieces ? start[p + 1] - 1 : KPU_ACT_B_LIMIT;
        const kpu_act_segment_t *seg = &a->seg[sel[p] < 0 ? 0 : sel[p]];
        /* monotone pieces only: v >= 0 with y_mul >= 0; below every segment v <= 0, where the
         * buggy rounding is not monotone, so that piece must be flat */
        if (sel[p] < 0 ? seg->y_mul != 0 : seg->y_mul < 0)
            return 0;
        uint8_t g = kpu_act_eval(a, lo);
        if (n == 0 || val[n - 1] != g) {
            at[n] = lo;
            val[n++] = g;
        }
        while (g < 255 && kpu_act_eval(a, hi) > g) {
            if (n >= KPU_ACT_LUT_MAX)
                return 0;
            lo = next_change(a, seg, lo, hi, g);
            g = kpu_act_eval(a, lo);
            at[n] = lo;
            val[n++] = g;
        }
    }
    at[n] = INT64_MAX; /* n <= KPU_ACT_LUT_MAX */
    lut->at = at;
    lut->val = val;
    lut->bucket = bucket;
    lut->n = n;
    lut->first_drop = INT64_MAX;
    for (uint32_t i = 1; i < n; i++)
        if (val[i] < val[i - 1]) {
            lut->first_drop = at[i];
            break;
        }
    if (n < 2) {
        lut->lo = lut->hi = lut->blo = lut->bhi = lut->top_end = INT64_MAX;
        lut->span = 0;
        lut->top_val = val[0];
        bucket[-1] = (uint16_t)(KPU_ACT_LUT_UNIFORM | val[0]);
        bucket[KPU_ACT_LUT_BUCKETS] = (uint16_t)(KPU_ACT_LUT_UNIFORM | val[0]);
        return 1;
    }
    lut->lo = at[1];
    lut->hi = at[n - 1];
    /* drop far outliers at either end from the bucket range */
    uint32_t a_i = 1, b_i = n - 1;
    while (b_i - a_i >= 2) {
        int64_t span = at[b_i] - at[a_i];
        if (span / 16 > at[b_i - 1] - at[a_i])
            b_i--;
        else if (span / 16 > at[b_i] - at[a_i + 1])
            a_i++;
        else
            break;
    }
    lut->blo = at[a_i];
    lut->bhi = at[b_i];
    lut->top_val = val[b_i];
    lut->top_end = b_i + 1 < n ? at[b_i + 1] : INT64_MAX;
    uint64_t span = (uint64_t)(lut->bhi - lut->blo);
    lut->span = span;
    while ((span >> lut->shift) >= KPU_ACT_LUT_BUCKETS)
        lut->shift++;
    uint32_t i = a_i;
    for (uint32_t j = 0; j < KPU_ACT_LUT_BUCKETS; j++) {
        /* bucket j: B in [key, key + 2^shift), |key| < 2^41 + 2^12 * 2^30 */
        int64_t key = lut->blo + (int64_t)((uint64_t)j << lut->shift);
        int64_t end = key + (int64_t)((uint64_t)1 << lut->shift);
        while (i + 1 < n && at[i + 1] <= key)
            i++;
        int uniform = i + 1 >= n || at[i + 1] >= end;
        bucket[j] = (uint16_t)(uniform ? KPU_ACT_LUT_UNIFORM | val[i] : i);
    }
    /* below blo = at[a_i]: val[0] when a_i = 1; from bhi = at[b_i] on: val[b_i] to the end */
    bucket[-1] = (uint16_t)(a_i == 1 ? KPU_ACT_LUT_UNIFORM | val[0] : KPU_ACT_LUT_OUTSIDE);
    bucket[KPU_ACT_LUT_BUCKETS] =
        (uint16_t)(b_i == n - 1 ? KPU_ACT_LUT_UNIFORM | val[b_i] : KPU_ACT_LUT_OUTSIDE);
    return 1;
}

uint32_t kpu_act_lut_search(const kpu_act_lut_t *lut, int64_t b)
{
    uint32_t lo = 0, hi = lut->n - 1; /* at[lo] <= b < at[hi] */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (lut->at[mid] <= b)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

uint8_t kpu_act_lut_slow(const kpu_act_lut_t *lut, int64_t b, uint32_t e)
{
    if (e != KPU_ACT_LUT_OUTSIDE) { /* b in a bucket: at[e] <= b */
        while (lut->at[e + 1] <= b) /* at[n] = INT64_MAX stops it */
            e++;
        return lut->val[e];
    }
    if (b < lut->lo)
        return lut->val[0];
    if (b >= lut->hi)
        return lut->val[lut->n - 1];
    if (b >= lut->bhi) /* typically saturated outputs: a flat run, then far outliers */
        return b < lut->top_end ? lut->top_val : lut->val[kpu_act_lut_search(lut, b)];
    return lut->val[kpu_act_lut_search(lut, b)]; /* lo <= b < blo */
}
