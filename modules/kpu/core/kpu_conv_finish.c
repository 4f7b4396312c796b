/* Batch norm + activation per pixel, and the pooling shortcuts (see kpu_conv_finish.h).
 *
 * ACC = S + tx + c is saturated to +-2^39 before the BN multiplication so int64 never
 * overflows; nncase guarantees it fits in 36 bits, where the results are exact (kpu_conv.c).
 *
 * The fast path: when no ACC the channel can reach (S in [0, 255 * SW]) is saturated and all
 * terms stay far inside int64, the floors compose exactly:
 *   bucket(B) = ((((v + c) * nm) >> ns) + na - blo) >> shift = (v * nm + q) >> (ns + shift)
 * with q = c * nm + ((na - blo) << ns), so a pixel costs one multiply, one shift and a load
 * of the bucket; only buckets that are not uniform take the exact path. */
#include "kpu_conv_finish.h"

#include "kpu_pool.h"

#define ACC_LIMIT ((int64_t)1 << 39)
#define FAST_LIMIT ((int64_t)1 << 36)

static inline int64_t asr64(int64_t v, uint32_t s)
{
    if (((int64_t)-1 >> 1) == -1 || v >= 0)
        return v >> s;
    return -(int64_t)((~(uint64_t)v) >> s) - 1;
}

void kpu_finish_init(kpu_finisher_t *f, const kpu_act_t *act, const kpu_act_lut_t *lut,
                     int64_t c, int64_t sw, int64_t nm, int64_t na, uint32_t ns, int64_t tx_lo,
                     int64_t tx_hi, uint32_t pw)
{
    f->a32 = NULL;
    f->a64 = NULL;
    f->tx = NULL;
    f->c = c;
    f->nm = nm;
    f->na = na;
    f->ns = ns;
    f->pw = pw;
    f->lut = lut;
    f->act = act;
    /* sw < 2^30 and |tx| < 2^45 (24-bit arg_x times SX < 2^21): no overflow */
    int64_t v_hi = tx_hi + 255 * sw;
    f->top = c + v_hi;
    f->fast = lut != NULL && lut->n >= 2 && tx_lo > -FAST_LIMIT && v_hi < FAST_LIMIT &&
              c > -FAST_LIMIT && c < FAST_LIMIT && lut->blo > -(FAST_LIMIT << 5) &&
              lut->blo < (FAST_LIMIT << 5);
    f->q = 0;
    f->sj = 0;
    f->bucket = NULL;
    if (f->fast) {
        /* |v|, |c| < 2^36, |nm| < 2^23, |na - blo| < 2^42, ns < 16: every term < 2^60 */
        f->q = c * nm + (na - lut->blo) * ((int64_t)1 << ns);
        f->sj = ns + lut->shift;
        f->bucket = lut->bucket;
    }
}

int kpu_finish_max_commutes(const kpu_finisher_t *f)
{
    if (f->lut == NULL || f->nm < 0)
        return 0;
    /* ACC -> B is non-decreasing for nm >= 0; B -> byte is below the table's first drop for
     * every ACC up to top */
    int64_t acc = f->top; /* |.| < 2^55 */
    acc = acc > ACC_LIMIT ? ACC_LIMIT : (acc < -ACC_LIMIT ? -ACC_LIMIT : acc);
    int64_t b = asr64(acc * f->nm, f->ns) + f->na;
    return b < f->lut->first_drop;
}

/* ACC (saturated) -> B -> output byte: the exact definition. */
static inline uint8_t finish_value(const kpu_finisher_t *f, int64_t s_plus_tx)
{
    int64_t acc = s_plus_tx + f->c;
    acc = acc < -ACC_LIMIT ? -ACC_LIMIT : (acc > ACC_LIMIT ? ACC_LIMIT : acc);
    int64_t b = asr64(acc * f->nm, f->ns) + f->na; /* |.| < 2^62 + 2^31 */
    return f->lut ? kpu_act_lut_get(f->lut, b) : kpu_act_eval(f->act, b);
}

/* The same byte through the fast path (f->fast set). */
static inline uint8_t fast_value(const kpu_finisher_t *f, int64_t v)
{
    int64_t j = asr64(v * f->nm + f->q, f->sj);
    j = j < -1 ? -1 : j; /* below the buckets */
    j = j > KPU_ACT_LUT_BUCKETS ? KPU_ACT_LUT_BUCKETS : j; /* past them */
    uint32_t e = f->bucket[j];
    if (e & KPU_ACT_LUT_UNIFORM)
        return (uint8_t)e;
    return finish_value(f, v);
}

static inline uint8_t any_value(const kpu_finisher_t *f, int64_t v)
{
    return f->fast ? fast_value(f, v) : finish_value(f, v);
}

static inline int64_t tile_sum(const kpu_finisher_t *f, size_t t)
{
    return f->a32 ? f->a32[t] : f->a64[t];
}

void kpu_finish_rows(const kpu_finisher_t *fin, uint32_t iw, uint32_t y0, uint32_t y1,
                     uint8_t *plane)
{
    /* a local copy: the byte stores could otherwise alias it (reloads per pixel) */
    const kpu_finisher_t k = *fin, *f = &k;
    for (uint32_t y = y0; y < y1; y++) {
        size_t t = (size_t)(y - y0) * f->pw;
        const int64_t *txr = f->tx + (size_t)y * f->pw;
        uint8_t *out = plane + (size_t)y * iw;
        if (f->fast && f->a32 != NULL) {
            const int32_t *s = f->a32 + t;
            for (uint32_t x = 0; x < iw; x++)
                out[x] = fast_value(f, s[x] + txr[x]);
        } else {
            for (uint32_t x = 0; x < iw; x++)
                out[x] = finish_value(f, tile_sum(f, t + x) + txr[x]);
        }
    }
}

/* A pick is always the same; a max commutes with the activation when ACC -> byte is
 * non-decreasing over the ACC the channel can reach (kpu_finish_max_commutes). Tiles start at
 * multiples of 4 rows, so windows never straddle two tiles. */
void kpu_finish_pooled(const kpu_finisher_t *fin, uint32_t pool_type, uint32_t ow, uint32_t oh,
                       uint32_t y0, uint32_t y1, uint8_t *pooled)
{
    const kpu_finisher_t k = *fin, *f = &k;
    uint32_t n = kpu_pool_stride(pool_type);
    int is_max = pool_type == 1 || pool_type == 3;
    uint32_t dx = pool_type == 6 ? 1u : 0u;
    uint32_t py1 = y1 / n < oh ? y1 / n : oh;
    const size_t pw = f->pw;
    for (uint32_t py = y0 / n; py < py1; py++) {
        uint8_t *out = pooled + (size_t)py * ow;
        size_t t0 = (size_t)(py * n - y0) * pw, q0 = (size_t)py * n * pw;
        if (pool_type == 1 && f->a32 != NULL) {
            /* the common 2x2 max of 8-bit layers, spelled out */
            const int32_t *a0 = f->a32 + t0, *a1 = a0 + pw;
            const int64_t *x0 = f->tx + q0, *x1 = x0 + pw;
            for (uint32_t px = 0; px < ow; px++) {
                size_t i = 2 * (size_t)px;
                int64_t v = a0[i] + x0[i], u = a0[i + 1] + x0[i + 1];
                v = u > v ? u : v;
                u = a1[i] + x1[i];
                v = u > v ? u : v;
                u = a1[i + 1] + x1[i + 1];
                out[px] = any_value(f, u > v ? u : v);
            }
            continue;
        }
        for (uint32_t px = 0; px < ow; px++) {
            size_t t = t0 + (size_t)px * n + dx, q = q0 + (size_t)px * n + dx;
            int64_t v = tile_sum(f, t) + f->tx[q];
            if (is_max)
                for (uint32_t wy = 0; wy < n; wy++)
                    for (uint32_t wx = 0; wx < n; wx++) {
                        size_t d = (size_t)wy * pw + wx;
                        int64_t u = tile_sum(f, t + d) + f->tx[q + d];
                        v = u > v ? u : v;
                    }
            out[px] = any_value(f, v);
        }
    }
}
