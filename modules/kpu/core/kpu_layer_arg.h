/* The 96-byte KPU layer argument (12 little-endian u64 words), decoded into named fields.
 * Bit positions: spec kmodel-v3-and-kpu.md section 3.1. Signed fields are sign-extended. */
#ifndef KPU_LAYER_ARG_H
#define KPU_LAYER_ARG_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_status.h"

#define KPU_LAYER_ARG_WORDS 12
#define KPU_LAYER_ARG_BYTES 96

typedef struct kpu_layer_arg {
    /* word 0 */
    uint8_t int_en, ram_flag, full_add, depth_wise_layer;
    /* word 1: KPU RAM lines */
    uint32_t image_src_addr, image_dst_addr;
    /* word 2: counts minus one */
    uint32_t i_ch_num, o_ch_num, o_ch_num_coef;
    /* word 3: sizes minus one */
    uint32_t i_row_wid, i_col_high, o_row_wid, o_col_high;
    /* word 4 */
    uint8_t kernel_type, pad_type, pool_type, first_stride, bypass_conv, load_para;
    uint8_t dma_burst_size, pad_value;
    uint32_t bwsx_base_addr;
    /* word 5 */
    uint8_t load_coor, load_time;
    uint32_t para_size, para_start_addr;
    /* word 6 */
    uint32_t coef_column_offset, coef_row_offset;
    /* word 7 */
    uint32_t channel_switch_addr, row_switch_addr, coef_size, coef_group;
    uint8_t load_act;
    uint32_t active_addr;
    /* word 8 */
    uint32_t wb_channel_switch_addr, wb_row_switch_addr, wb_group;
    /* word 9 */
    uint8_t shr_w, shr_x;
    int32_t arg_w, arg_x;        /* 24-bit two's complement, sign-extended */
    /* word 10 */
    int64_t arg_add;             /* 40-bit two's complement, sign-extended */
    /* word 11 */
    uint8_t send_data_out;
    uint32_t channel_byte_num, dma_total_byte;
} kpu_layer_arg_t;

/* Decodes 96 bytes (little-endian words) into out. Never fails. */
void kpu_layer_arg_decode(const uint8_t bytes[KPU_LAYER_ARG_BYTES], kpu_layer_arg_t *out);
/* Encodes fields back into 12 words (reserved bits zero). decode(encode(x)) == x. */
void kpu_layer_arg_encode(const kpu_layer_arg_t *arg, uint64_t words[KPU_LAYER_ARG_WORDS]);
/* Loads the 12 words from little-endian bytes. */
void kpu_layer_arg_words(const uint8_t bytes[KPU_LAYER_ARG_BYTES], uint64_t words[KPU_LAYER_ARG_WORDS]);

/* Convenience sizes: counts (not minus one) and kernel size 1 or 3. */
static inline uint32_t kpu_arg_ic(const kpu_layer_arg_t *a) { return a->i_ch_num + 1; }
static inline uint32_t kpu_arg_oc(const kpu_layer_arg_t *a) { return a->o_ch_num + 1; }
static inline uint32_t kpu_arg_iw(const kpu_layer_arg_t *a) { return a->i_row_wid + 1; }
static inline uint32_t kpu_arg_ih(const kpu_layer_arg_t *a) { return a->i_col_high + 1; }
static inline uint32_t kpu_arg_ow(const kpu_layer_arg_t *a) { return a->o_row_wid + 1; }
static inline uint32_t kpu_arg_oh(const kpu_layer_arg_t *a) { return a->o_col_high + 1; }
static inline uint32_t kpu_arg_k(const kpu_layer_arg_t *a) { return a->kernel_type ? 3u : 1u; }

/* Checks everything the software KPU relies on (kernel type 0/1, pool type 0..9, depthwise
 * IC == OC, output size = pooled input size, input and output maps inside the 2 MiB KPU RAM,
 * weights/BN sizes). weights_size is the byte count available at the weights offset. */
kpu_status_t kpu_layer_arg_validate(const kpu_layer_arg_t *a, int eight_bit, size_t weights_size,
                                    size_t bn_size, kpu_diag_t *diag, int32_t layer);

#endif
