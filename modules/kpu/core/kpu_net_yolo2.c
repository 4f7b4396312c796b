/* init_yolo2 / run_yolo2 of a net: MaixPy's argument checks and messages (4.4), and the region
 * layer (yolo2.h) on output 0 of the last run, shaped as its map describes it (V4: set_outputs
 * or the graph; V5: the shape the model records) or, for V3 (and V5 outputs without a recorded
 * shape), as its last K210_CONV layer. */
#include "kpu_net_internal.h"

kpu_status_t kpu_net_init_yolo2(kpu_net_t *net, float threshold, float nms, uint32_t anchor_num,
                                const float *anchors, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!net)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no net");
    if (!net->model)
        return kpu_diag_set(diag, KPU_ERR_STATE, -1,
                            "the net was released by deinit: load the model again");
    /* written so that NaN fails too */
    if (!(threshold >= 0.0f && threshold <= 1.0f))
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "[MAIXPY]kpu: threshold only support 0 to 1");
    if (!(nms >= 0.0f && nms <= 1.0f))
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "[MAIXPY]kpu: nms_value only support 0 to 1");
    if (anchor_num == 0)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "[MAIXPY]kpu: anchor_number should > 0");
    if (!anchors)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no anchors");
    uint64_t want = (uint64_t)anchor_num * 2u * sizeof(float);
    if (want > SIZE_MAX)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "too many anchors");
    size_t bytes = (size_t)want;
    float *copy = kpu_net_alloc(net, bytes, 4);
    if (!copy)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for %lu anchors",
                            (unsigned long)anchor_num);
    memcpy(copy, anchors, bytes);
    kpu_net_release(net, net->anchors); /* MaixPy leaks the previous arguments */
    net->anchors = copy;
    net->anchor_num = anchor_num;
    net->threshold = threshold;
    net->nms = nms;
    net->has_yolo2 = 1;
    return KPU_OK;
}

int kpu_net_has_yolo2(const kpu_net_t *net) { return net && net->has_yolo2; }

const float *kpu_net_yolo2_args(const kpu_net_t *net, float *threshold, float *nms,
                                uint32_t *anchor_num)
{
    if (!kpu_net_has_yolo2(net))
        return NULL;
    if (threshold)
        *threshold = net->threshold;
    if (nms)
        *nms = net->nms;
    if (anchor_num)
        *anchor_num = net->anchor_num;
    return net->anchors;
}

/* Output shape for the region layer: the last K210_CONV layer at or before the last computed
 * one (the layers after it only convert its elements, e.g. DEQUANTIZE). */
static kpu_status_t region_shape(const kpu_net_t *net, kpu_layer_info_t *conv, kpu_diag_t *diag)
{
    for (int32_t l = net->last_layer; l >= 0; l--) {
        kpu_status_t st = kpu_model_layer_info(net->model, (uint32_t)l, conv, diag);
        if (st != KPU_OK)
            return st;
        if (conv->type == KL_K210_CONV)
            return KPU_OK;
    }
    return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no K210_CONV layer gives the output shape");
}

kpu_status_t kpu_net_yolo2_decode(kpu_net_t *net, const kpu_yolo2_detection_t **dets,
                                  size_t *count, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!net || !dets || !count)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no net or result pointers");
    *dets = NULL;
    *count = 0;
    if (!net->model)
        return kpu_diag_set(diag, KPU_ERR_STATE, -1,
                            "the net was released by deinit: load the model again");
    if (!net->has_yolo2)
        return kpu_diag_set(diag, KPU_ERR_STATE, -1,
                            "run_yolo2 needs the region-layer arguments: call init_yolo2 first");
    kpu_fmap_t out;
    kpu_status_t st = kpu_net_get_output(net, 0, &out, diag);
    if (st != KPU_OK)
        return st;
    if (out.typecode != 'f' || out.size % 4u != 0)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "output 0 (layer %lu) is not float32: the region layer needs the "
                            "dequantized output", (unsigned long)out.index);
    kpu_layer_info_t conv;
    uint32_t version = kpu_model_version(net->model);
    if (version == 4 || (version == 5 && (out.h > 1 || out.ch > 1))) {
        /* V4: output 0's shape from set_outputs or the graph; V5: the recorded shape */
        memset(&conv, 0, sizeof conv);
        conv.wo = out.w;
        conv.ho = out.h;
        conv.cho = out.ch;
    } else {
        st = region_shape(net, &conv, diag);
        if (st != KPU_OK)
            return st;
    }
    kpu_tensor_info_t in;
    st = kpu_model_input_info(net->model, &in, diag);
    if (st != KPU_OK)
        return st;
    kpu_yolo2_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.out_w = conv.wo;
    cfg.out_h = conv.ho;
    cfg.out_c = conv.cho;
    cfg.in_w = in.w;
    cfg.in_h = in.h;
    cfg.anchors = net->anchors;
    cfg.anchor_num = net->anchor_num;
    cfg.threshold = net->threshold;
    cfg.nms = net->nms;
    size_t cap;
    st = kpu_yolo2_max_detections(&cfg, &cap, diag);
    if (st != KPU_OK)
        return st;
    if ((uint64_t)cfg.out_w * cfg.out_h * cfg.out_c * 4u != out.size)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "output 0 has %lu bytes, not %lux%lux%lu floats",
                            (unsigned long)out.size, (unsigned long)cfg.out_w,
                            (unsigned long)cfg.out_h, (unsigned long)cfg.out_c);
    if (cap > net->dets_cap) {
        kpu_net_release(net, net->dets);
        net->dets_cap = 0;
        if (cap > SIZE_MAX / sizeof(kpu_yolo2_detection_t))
            return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "too many boxes");
        net->dets = kpu_net_alloc(net, cap * sizeof(kpu_yolo2_detection_t), 8);
        if (!net->dets)
            return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for %lu detections",
                                (unsigned long)cap);
        net->dets_cap = cap;
    }
    const float *values = (const float *)(const void *)out.data;
    float *aligned = NULL;
    if (((uintptr_t)out.data & 3u) != 0) {
        aligned = kpu_net_alloc(net, out.size, 4);
        if (!aligned)
            return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the output copy");
        memcpy(aligned, out.data, out.size);
        values = aligned;
    }
    st = kpu_yolo2_decode_alloc(&cfg, values, out.size / 4u, &net->alloc, net->dets,
                                net->dets_cap, count, diag);
    kpu_net_release(net, aligned);
    if (st != KPU_OK)
        return st;
    *dets = net->dets;
    return KPU_OK;
}
