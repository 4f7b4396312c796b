/* Decode, encode and validate the 12-word KPU layer argument (spec section 3.1 for the bit
 * positions, section 4.5 for pool strides and section 5 for the KPU RAM map sizes). */
#include "kpu_layer_arg.h"

#include "kpu_backend.h"

static uint64_t bits(uint64_t w, unsigned lo, unsigned width)
{
    return (w >> lo) & ((width == 64) ? ~0ull : ((1ull << width) - 1));
}

static uint64_t put(uint64_t v, unsigned lo, unsigned width)
{
    return (v & ((1ull << width) - 1)) << lo;
}

/* Two's-complement value of the low `width` bits. */
static int64_t sign_extend(uint64_t v, unsigned width)
{
    uint64_t sign = 1ull << (width - 1);
    v &= (1ull << width) - 1;
    return (v & sign) ? (int64_t)(v - sign) - (int64_t)sign : (int64_t)v;
}

void kpu_layer_arg_words(const uint8_t bytes[KPU_LAYER_ARG_BYTES], uint64_t words[KPU_LAYER_ARG_WORDS])
{
    for (int i = 0; i < KPU_LAYER_ARG_WORDS; i++) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; b--)
            w = (w << 8) | bytes[i * 8 + b];
        words[i] = w;
    }
}

void kpu_layer_arg_decode(const uint8_t bytes[KPU_LAYER_ARG_BYTES], kpu_layer_arg_t *a)
{
    uint64_t w[KPU_LAYER_ARG_WORDS];
    kpu_layer_arg_words(bytes, w);

    a->int_en = (uint8_t)bits(w[0], 0, 1);
    a->ram_flag = (uint8_t)bits(w[0], 1, 1);
    a->full_add = (uint8_t)bits(w[0], 2, 1);
    a->depth_wise_layer = (uint8_t)bits(w[0], 3, 1);

    a->image_src_addr = (uint32_t)bits(w[1], 0, 15);
    a->image_dst_addr = (uint32_t)bits(w[1], 32, 15);

    a->i_ch_num = (uint32_t)bits(w[2], 0, 10);
    a->o_ch_num = (uint32_t)bits(w[2], 32, 10);
    a->o_ch_num_coef = (uint32_t)bits(w[2], 48, 10);

    a->i_row_wid = (uint32_t)bits(w[3], 0, 10);
    a->i_col_high = (uint32_t)bits(w[3], 10, 9);
    a->o_row_wid = (uint32_t)bits(w[3], 32, 10);
    a->o_col_high = (uint32_t)bits(w[3], 42, 9);

    a->kernel_type = (uint8_t)bits(w[4], 0, 3);
    a->pad_type = (uint8_t)bits(w[4], 3, 1);
    a->pool_type = (uint8_t)bits(w[4], 4, 4);
    a->first_stride = (uint8_t)bits(w[4], 8, 1);
    a->bypass_conv = (uint8_t)bits(w[4], 9, 1);
    a->load_para = (uint8_t)bits(w[4], 10, 1);
    a->dma_burst_size = (uint8_t)bits(w[4], 16, 8);
    a->pad_value = (uint8_t)bits(w[4], 24, 8);
    a->bwsx_base_addr = (uint32_t)bits(w[4], 32, 32);

    a->load_coor = (uint8_t)bits(w[5], 0, 1);
    a->load_time = (uint8_t)bits(w[5], 1, 6);
    a->para_size = (uint32_t)bits(w[5], 15, 17);
    a->para_start_addr = (uint32_t)bits(w[5], 32, 32);

    a->coef_column_offset = (uint32_t)bits(w[6], 0, 4);
    a->coef_row_offset = (uint32_t)bits(w[6], 4, 12);

    a->channel_switch_addr = (uint32_t)bits(w[7], 0, 15);
    a->row_switch_addr = (uint32_t)bits(w[7], 16, 4);
    a->coef_size = (uint32_t)bits(w[7], 20, 8);
    a->coef_group = (uint32_t)bits(w[7], 28, 3);
    a->load_act = (uint8_t)bits(w[7], 31, 1);
    a->active_addr = (uint32_t)bits(w[7], 32, 32);

    a->wb_channel_switch_addr = (uint32_t)bits(w[8], 0, 15);
    a->wb_row_switch_addr = (uint32_t)bits(w[8], 16, 4);
    a->wb_group = (uint32_t)bits(w[8], 20, 3);

    a->shr_w = (uint8_t)bits(w[9], 0, 4);
    a->shr_x = (uint8_t)bits(w[9], 4, 4);
    a->arg_w = (int32_t)sign_extend(bits(w[9], 8, 24), 24);
    a->arg_x = (int32_t)sign_extend(bits(w[9], 32, 24), 24);

    a->arg_add = sign_extend(bits(w[10], 0, 40), 40);

    a->send_data_out = (uint8_t)bits(w[11], 0, 1);
    a->channel_byte_num = (uint32_t)bits(w[11], 16, 16);
    a->dma_total_byte = (uint32_t)bits(w[11], 32, 32);
}

void kpu_layer_arg_encode(const kpu_layer_arg_t *a, uint64_t w[KPU_LAYER_ARG_WORDS])
{
    w[0] = put(a->int_en, 0, 1) | put(a->ram_flag, 1, 1) | put(a->full_add, 2, 1) |
           put(a->depth_wise_layer, 3, 1);
    w[1] = put(a->image_src_addr, 0, 15) | put(a->image_dst_addr, 32, 15);
    w[2] = put(a->i_ch_num, 0, 10) | put(a->o_ch_num, 32, 10) | put(a->o_ch_num_coef, 48, 10);
    w[3] = put(a->i_row_wid, 0, 10) | put(a->i_col_high, 10, 9) | put(a->o_row_wid, 32, 10) |
           put(a->o_col_high, 42, 9);
    w[4] = put(a->kernel_type, 0, 3) | put(a->pad_type, 3, 1) | put(a->pool_type, 4, 4) |
           put(a->first_stride, 8, 1) | put(a->bypass_conv, 9, 1) | put(a->load_para, 10, 1) |
           put(a->dma_burst_size, 16, 8) | put(a->pad_value, 24, 8) |
           put(a->bwsx_base_addr, 32, 32);
    w[5] = put(a->load_coor, 0, 1) | put(a->load_time, 1, 6) | put(a->para_size, 15, 17) |
           put(a->para_start_addr, 32, 32);
    w[6] = put(a->coef_column_offset, 0, 4) | put(a->coef_row_offset, 4, 12);
    w[7] = put(a->channel_switch_addr, 0, 15) | put(a->row_switch_addr, 16, 4) |
           put(a->coef_size, 20, 8) | put(a->coef_group, 28, 3) | put(a->load_act, 31, 1) |
           put(a->active_addr, 32, 32);
    w[8] = put(a->wb_channel_switch_addr, 0, 15) | put(a->wb_row_switch_addr, 16, 4) |
           put(a->wb_group, 20, 3);
    w[9] = put(a->shr_w, 0, 4) | put(a->shr_x, 4, 4) | put((uint64_t)(int64_t)a->arg_w, 8, 24) |
           put((uint64_t)(int64_t)a->arg_x, 32, 24);
    w[10] = put((uint64_t)a->arg_add, 0, 40);
    w[11] = put(a->send_data_out, 0, 1) | put(a->channel_byte_num, 16, 16) |
            put(a->dma_total_byte, 32, 32);
}

/* Section 4.5: the stride of each pool type (0 for an unknown type). */
static uint32_t pool_stride(uint8_t pool_type)
{
    static const uint8_t strides[10] = {1, 2, 2, 4, 4, 2, 2, 4, 1, 1};
    return pool_type < 10 ? strides[pool_type] : 0;
}

/* Section 5: channels per line group and lines per row for a map of width w. */
static uint32_t layout_groups(uint32_t w) { return w <= 16 ? 4 : (w <= 32 ? 2 : 1); }
static uint32_t layout_row_len(uint32_t w) { return w <= 32 ? 1 : (w + 63) / 64; }

/* KPU RAM lines of a W x H x C map. */
static uint64_t map_lines(uint32_t w, uint32_t h, uint32_t c)
{
    uint32_t groups = layout_groups(w);
    return (uint64_t)layout_row_len(w) * h * ((c + groups - 1) / groups);
}

kpu_status_t kpu_layer_arg_validate(const kpu_layer_arg_t *a, int eight_bit, size_t weights_size,
                                    size_t bn_size, kpu_diag_t *diag, int32_t layer)
{
    uint32_t ic = kpu_arg_ic(a), oc = kpu_arg_oc(a);
    uint32_t iw = kpu_arg_iw(a), ih = kpu_arg_ih(a), ow = kpu_arg_ow(a), oh = kpu_arg_oh(a);

    if (a->kernel_type > 1)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                            "layer %ld: kernel_type %u (only 0 = 1x1 and 1 = 3x3)", (long)layer,
                            (unsigned)a->kernel_type);
    uint32_t stride = pool_stride(a->pool_type);
    if (!stride)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer, "layer %ld: pool_type %u (only 0..9)",
                            (long)layer, (unsigned)a->pool_type);
    if (a->depth_wise_layer && ic != oc)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                            "layer %ld: depthwise layer with %lu input and %lu output channels",
                            (long)layer, (unsigned long)ic, (unsigned long)oc);
    if (ow != iw / stride || oh != ih / stride)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                            "layer %ld: output %lux%lu is not the %lux%lu input after pool type %u",
                            (long)layer, (unsigned long)ow, (unsigned long)oh,
                            (unsigned long)iw, (unsigned long)ih, (unsigned)a->pool_type);
    /* the registers must describe the section-5 layout the software KPU derives from widths */
    uint32_t ig = layout_groups(iw), og = layout_groups(ow);
    uint32_t irl = layout_row_len(iw), orl = layout_row_len(ow);
    if (a->coef_group != ig || a->row_switch_addr != irl || a->channel_switch_addr != irl * ih)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                            "layer %ld: input layout registers (coef_group %lu, row_switch_addr "
                            "%lu, channel_switch_addr %lu) do not match width %lu (%lu, %lu, %lu)",
                            (long)layer, (unsigned long)a->coef_group,
                            (unsigned long)a->row_switch_addr,
                            (unsigned long)a->channel_switch_addr, (unsigned long)iw,
                            (unsigned long)ig, (unsigned long)irl, (unsigned long)(irl * ih));
    if (a->wb_group != og || a->wb_row_switch_addr != orl ||
        a->wb_channel_switch_addr != orl * oh)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, layer,
                            "layer %ld: output layout registers (wb_group %lu, wb_row_switch_addr "
                            "%lu, wb_channel_switch_addr %lu) do not match width %lu (%lu, %lu, "
                            "%lu)", (long)layer, (unsigned long)a->wb_group,
                            (unsigned long)a->wb_row_switch_addr,
                            (unsigned long)a->wb_channel_switch_addr, (unsigned long)ow,
                            (unsigned long)og, (unsigned long)orl, (unsigned long)(orl * oh));
    uint64_t in_end = (uint64_t)a->image_src_addr + map_lines(iw, ih, ic);
    if (in_end > KPU_RAM_LINES)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                            "layer %ld: input map (lines %lu..%llu) outside the 2 MiB KPU RAM",
                            (long)layer, (unsigned long)a->image_src_addr,
                            (unsigned long long)in_end);
    uint64_t out_end = (uint64_t)a->image_dst_addr + map_lines(ow, oh, oc);
    if (out_end > KPU_RAM_LINES)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                            "layer %ld: output map (lines %lu..%llu) outside the 2 MiB KPU RAM",
                            (long)layer, (unsigned long)a->image_dst_addr,
                            (unsigned long long)out_end);
    uint64_t k = kpu_arg_k(a);
    uint64_t weights = (uint64_t)oc * (a->depth_wise_layer ? 1u : ic) * k * k * (eight_bit ? 1u : 2u);
    if (weights > weights_size)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                            "layer %ld: %llu weight bytes needed, %llu available", (long)layer,
                            (unsigned long long)weights, (unsigned long long)weights_size);
    if ((uint64_t)oc * 8u > bn_size)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, layer,
                            "layer %ld: batch-norm table of %lu bytes needed, %llu available",
                            (long)layer, (unsigned long)oc * 8u, (unsigned long long)bn_size);
    return KPU_OK;
}
