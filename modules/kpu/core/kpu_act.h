/* The KPU activation step (spec 3.3, 4.4, 4.7): a 16-segment piecewise-linear table that maps
 * the batch-norm output B to a byte. kpu_act_eval is the exact definition; a lookup table of
 * the points where the byte changes (built once per layer) gives the same bytes faster. */
#ifndef KPU_ACT_H
#define KPU_ACT_H

#include <stddef.h>
#include <stdint.h>

#define KPU_ACT_SEGMENTS 16
#define KPU_ACT_TABLE_BYTES 144
/* B is saturated to +-2^40 before the activation so its products cannot overflow int64;
 * nncase guarantees |B| < 2^35, where that changes nothing (spec 13.3 leaves it open). */
#define KPU_ACT_B_LIMIT ((int64_t)1 << 40)

typedef struct kpu_act_segment {
    int64_t x_start;     /* 36-bit two's complement, sign-extended */
    int32_t y_mul;       /* 16-bit two's complement, sign-extended */
    uint32_t shift;      /* 0..255 as stored */
    uint32_t add;        /* 0..255 */
    /* Rounding constants. Products here have |v| < 2^57, and for those every shift above 62
     * rounds like 62, so the shift is capped there. */
    uint32_t eff_shift;
    uint64_t frac_mask;  /* 2^s - 1 */
    uint64_t half;       /* 2^(s-1); 1 for s = 0, so the fraction 0 never rounds */
} kpu_act_segment_t;

typedef struct kpu_act {
    kpu_act_segment_t seg[KPU_ACT_SEGMENTS];
    int64_t search[2 * KPU_ACT_SEGMENTS]; /* x_start, then INT64_MAX sentinels */
    int sorted;          /* x_start non-decreasing */
    int cs;              /* v0.1: carry-shift rounding and segment rule x_start <= B */
} kpu_act_t;

/* Decodes the 144-byte table. cs = 0: nncase v0.2/v1 (RNE_buggy, x_start < B); cs = 1: v0.1. */
void kpu_act_decode(kpu_act_t *a, const uint8_t table[KPU_ACT_TABLE_BYTES], int cs);

/* The output byte for any B (exact definition; B is saturated to +-KPU_ACT_B_LIMIT). When no
 * segment qualifies (B below every x_start) segment 0 is used (spec 13.2 leaves it open). */
uint8_t kpu_act_eval(const kpu_act_t *a, int64_t b);

/* The two rounding shifts of spec 4.7 for any v and s (0..255). */
int64_t kpu_round_rne_buggy(int64_t v, uint32_t s);
int64_t kpu_round_carry_shift(int64_t v, uint32_t s);

/* Lookup table: sorted B values at[0..n) where the byte changes, the byte from each on. The
 * buckets cover [blo, bhi), the dense part of at[] (far outliers, such as nncase's segments at
 * 2^35 - 16, would otherwise make every bucket huge); B outside it is found by bisection.
 * Bucket j < KPU_ACT_LUT_BUCKETS stands for B in [blo + (j << shift), blo + ((j + 1) << shift))
 * (the last ones reach past bhi). A bucket whose B all give one byte holds that byte
 * (KPU_ACT_LUT_UNIFORM set), so most lookups are one load; the others hold the index to step on
 * from (at[n] is an INT64_MAX sentinel). Two more buckets, bucket[-1] and bucket[BUCKETS],
 * stand for B below blo and B past the buckets: uniform when that is a single flat run, else
 * KPU_ACT_LUT_OUTSIDE. So a bucket index clamped to [-1, BUCKETS] is always right. */
#define KPU_ACT_LUT_MAX ((KPU_ACT_SEGMENTS + 1) * 257)
#define KPU_ACT_LUT_BUCKETS 4096
#define KPU_ACT_LUT_UNIFORM 0x8000u /* > KPU_ACT_LUT_MAX */
#define KPU_ACT_LUT_OUTSIDE 0x7fffu /* > KPU_ACT_LUT_MAX */
typedef struct kpu_act_lut {
    const int64_t *at;
    const uint8_t *val;
    const uint16_t *bucket; /* bucket j in [0, BUCKETS): UNIFORM | byte, or the last i with
                             * at[i] <= blo + (j << shift); [-1] and [BUCKETS]: below, past */
    uint32_t n, shift;
    int64_t lo, hi;         /* at[1] and at[n - 1] (INT64_MAX when n == 1) */
    int64_t blo, bhi;
    uint64_t span;          /* bhi - blo (< KPU_ACT_LUT_BUCKETS << shift) */
    int64_t top_end;        /* B in [bhi, top_end) gives top_val (the flat run after bhi) */
    uint8_t top_val;
    int64_t first_drop;     /* lowest B where the byte decreases; INT64_MAX if never */
} kpu_act_lut_t;

/* Bytes of memory kpu_act_lut_build needs (8-byte aligned). */
size_t kpu_act_lut_bytes(void);

/* Builds the table in mem. Returns 1 on success, 0 when the activation table is not suited
 * (unsorted x_start, negative y_mul, or a reachable slope below the first segment): then use
 * kpu_act_eval. */
int kpu_act_lut_build(kpu_act_lut_t *lut, const kpu_act_t *a, void *mem);

/* Index of the last at[i] <= b, by bisection (lo <= b < hi). */
uint32_t kpu_act_lut_search(const kpu_act_lut_t *lut, int64_t b);

/* The lookups that the bucket alone does not answer (e: the bucket's entry). It only reads
 * memory; saying so lets compilers keep the table's fields in registers around the call. */
#if defined(__GNUC__)
__attribute__((pure))
#endif
uint8_t kpu_act_lut_slow(const kpu_act_lut_t *lut, int64_t b, uint32_t e);

/* Same byte as kpu_act_eval(a, b) for the table the LUT was built from, for any B. The bucket
 * is chosen without branches (B below and above the buckets mix unpredictably in a plane). */
static inline uint8_t kpu_act_lut_get(const kpu_act_lut_t *lut, int64_t b)
{
    uint64_t d = ((uint64_t)b - (uint64_t)lut->blo) >> lut->shift; /* (b - blo) >> shift */
    int64_t j = d < KPU_ACT_LUT_BUCKETS ? (int64_t)d : KPU_ACT_LUT_BUCKETS;
    j = b < lut->blo ? -1 : j;
    uint32_t e = lut->bucket[j];
    if (e & KPU_ACT_LUT_UNIFORM)
        return (uint8_t)e;
    return kpu_act_lut_slow(lut, b, e);
}

#endif
