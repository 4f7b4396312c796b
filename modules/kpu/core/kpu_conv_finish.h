/* The per-pixel end of a KPU layer (spec 4.3-4.5): batch norm, activation and the pooling
 * shortcuts, from the sums S of a tile (kpu_conv.c computes them). */
#ifndef KPU_CONV_FINISH_H
#define KPU_CONV_FINISH_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_act.h"

/* One output channel's constants and where its tile sums are. */
typedef struct kpu_finisher {
    const int32_t *a32;        /* tile sums S (8-bit weights), or */
    const int64_t *a64;        /* (16-bit weights) */
    const int64_t *tx;         /* (arg_x * SX) >> shr_x per plane element */
    int64_t c, nm, na;         /* ((arg_w * SW) >> shr_w) + arg_add * g_ic; BN mul, add */
    uint32_t ns, pw;           /* BN shift; elements per plane row */
    const kpu_act_lut_t *lut;  /* NULL: evaluate the table directly */
    const kpu_act_t *act;
    /* Fast path (fast != 0): with v = S + tx, the LUT bucket of B is (v * nm + q) >> sj. */
    int fast;
    int64_t q;
    uint32_t sj;
    const uint16_t *bucket;
    int64_t top;               /* the largest ACC the channel can reach */
} kpu_finisher_t;

/* Fills f. sw: SW of the channel; [tx_lo, tx_hi]: the range of tx. */
void kpu_finish_init(kpu_finisher_t *f, const kpu_act_t *act, const kpu_act_lut_t *lut,
                     int64_t c, int64_t sw, int64_t nm, int64_t na, uint32_t ns, int64_t tx_lo,
                     int64_t tx_hi, uint32_t pw);

/* Whether max pooling may run before the activation for this channel (needs the LUT). */
int kpu_finish_max_commutes(const kpu_finisher_t *f);

/* Every pixel of rows [y0, y1) (the tile starts at row y0) into the W x H activation plane. */
void kpu_finish_rows(const kpu_finisher_t *f, uint32_t iw, uint32_t y0, uint32_t y1,
                     uint8_t *plane);

/* Pool types 1, 3 (max, when kpu_finish_max_commutes) and 5, 6, 7 (pick) of rows [y0, y1)
 * (y0 a multiple of 4) applied to S + tx before the activation, into the ow x oh plane. */
void kpu_finish_pooled(const kpu_finisher_t *f, uint32_t pool_type, uint32_t ow, uint32_t oh,
                       uint32_t y0, uint32_t y1, uint8_t *pooled);

#endif
