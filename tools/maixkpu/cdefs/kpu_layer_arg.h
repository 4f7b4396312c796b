/* cffi declarations of modules/kpu/core/kpu_layer_arg.h. */
/* kpu_status_t: declared in kmodel.h, the first file in name order (cffi allows one
 * declaration of an integer typedef of unknown size). */
typedef struct kpu_diag kpu_diag_t;

#define KPU_LAYER_ARG_WORDS 12
#define KPU_LAYER_ARG_BYTES 96

typedef struct kpu_layer_arg {
    uint8_t int_en, ram_flag, full_add, depth_wise_layer;
    uint32_t image_src_addr, image_dst_addr;
    uint32_t i_ch_num, o_ch_num, o_ch_num_coef;
    uint32_t i_row_wid, i_col_high, o_row_wid, o_col_high;
    uint8_t kernel_type, pad_type, pool_type, first_stride, bypass_conv, load_para;
    uint8_t dma_burst_size, pad_value;
    uint32_t bwsx_base_addr;
    uint8_t load_coor, load_time;
    uint32_t para_size, para_start_addr;
    uint32_t coef_column_offset, coef_row_offset;
    uint32_t channel_switch_addr, row_switch_addr, coef_size, coef_group;
    uint8_t load_act;
    uint32_t active_addr;
    uint32_t wb_channel_switch_addr, wb_row_switch_addr, wb_group;
    uint8_t shr_w, shr_x;
    int32_t arg_w, arg_x;
    int64_t arg_add;
    uint8_t send_data_out;
    uint32_t channel_byte_num, dma_total_byte;
} kpu_layer_arg_t;

void kpu_layer_arg_decode(const uint8_t bytes[96], kpu_layer_arg_t *out);
void kpu_layer_arg_encode(const kpu_layer_arg_t *arg, uint64_t words[12]);
void kpu_layer_arg_words(const uint8_t bytes[96], uint64_t words[12]);

uint32_t kpu_arg_ic(const kpu_layer_arg_t *a);
uint32_t kpu_arg_oc(const kpu_layer_arg_t *a);
uint32_t kpu_arg_iw(const kpu_layer_arg_t *a);
uint32_t kpu_arg_ih(const kpu_layer_arg_t *a);
uint32_t kpu_arg_ow(const kpu_layer_arg_t *a);
uint32_t kpu_arg_oh(const kpu_layer_arg_t *a);
uint32_t kpu_arg_k(const kpu_layer_arg_t *a);

kpu_status_t kpu_layer_arg_validate(const kpu_layer_arg_t *a, int eight_bit, size_t weights_size,
                                    size_t bn_size, kpu_diag_t *diag, int32_t layer);
