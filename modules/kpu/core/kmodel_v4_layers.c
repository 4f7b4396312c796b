/* kmodel V4 nodes as layers (the rules are in kmodel_v4.h): what each node reads and writes,
 * the shape of its output (from its body, or inherited by flat nodes from the node that wrote
 * their input), netinfo rows, reading a computed node's output back (main memory or KPU RAM,
 * refused once a later node wrote over it) and the shapes of the model outputs. */
#include "v4_internal.h"

#include "kpu_layer_arg.h"
#include "kpu_ram_layout.h"

static const v4_state_t *state(const kpu_model_t *m) { return m->state; }

static int is_flat(uint32_t op)
{
    return op == V4_OP_DEQUANTIZE || op == V4_OP_QUANTIZE || op == V4_OP_MEMORY_COPY ||
           op == V4_OP_UNARY || op == V4_OP_TABLE_LOOKUP1D || op == V4_OP_NNIL_UNARY_METHOD;
}

/* Element type and element count a node writes. */
static void written(const v4_node_t *n, kpu_dtype_t *dtype, uint64_t *count)
{
    int u8 = 0;
    uint64_t k = v4_shape_count(&n->out_shape);
    switch (n->opcode) {
    case V4_OP_BINARY: case V4_OP_QUANTIZED_BINARY:
        if (memcmp(&n->in_shape, &n->b_shape, sizeof n->in_shape) == 0)
            k = v4_shape_count(&n->in_shape);
        u8 = n->opcode == V4_OP_QUANTIZED_BINARY;
        break;
    case V4_OP_CONCAT: {
        uint32_t es = v4_elem_size(n->out.dtype);
        uint64_t sum = 0;
        for (int32_t i = 0; i < n->count; i++)
            sum += (uint32_t)v4_ldi(n->list + 16u * (uint32_t)n->count, (uint32_t)i);
        k = (uint64_t)(uint32_t)n->outer * (uint32_t)n->inner * sum;
        u8 = es == 1 || k % 4u;
        k = u8 ? k : k / 4u;
        break;
    }
    case V4_OP_DEQUANTIZE: k = n->in.size; break;
    case V4_OP_QUANTIZE: k = n->in.size / 4u; u8 = 1; break;
    case V4_OP_TABLE_LOOKUP1D: k = n->in.size; u8 = 1; break;
    case V4_OP_MEMORY_COPY: case V4_OP_UNARY: case V4_OP_NNIL_UNARY_METHOD:
        k = n->in.size / 4u;
        break;
    case V4_OP_REDUCE: k = n->out.size / 4u; break;
    case V4_OP_MATMUL: case V4_OP_QUANTIZED_MATMUL:
        k = (uint64_t)(uint32_t)n->rows * (uint32_t)n->bcols;
        u8 = n->opcode == V4_OP_QUANTIZED_MATMUL;
        break;
    case V4_OP_SOFTMAX: k = (uint64_t)(uint32_t)n->inner * (uint32_t)n->outer; break;
    case V4_OP_PAD: case V4_OP_TRANSPOSE: case V4_OP_STRIDED_SLICE: case V4_OP_RESIZE_IMAGE:
        u8 = n->in.dtype == V4_DT_U8;
        break;
    case V4_OP_QUANTIZED_CONV2D: case V4_OP_CPU_QUANTIZED_CONV2D:
    case V4_OP_CPU_QUANTIZED_DEPTHWISE_CONV2D: case V4_OP_KPU_UPLOAD: case V4_OP_KPU_CONV2D:
        u8 = 1;
        break;
    default: break;
    }
    *dtype = u8 ? KPU_DTYPE_UINT8 : KPU_DTYPE_FLOAT32;
    *count = k;
}

static uint32_t kpu_lines(const v4_shape_t *s)
{
    kpu_ram_layout_t l;
    if (kpu_ram_layout_init(&l, (uint32_t)s->d[3], (uint32_t)s->d[2], (uint32_t)s->d[1]))
        return 0;
    return (uint32_t)kpu_ram_layout_lines(&l);
}

static uint32_t conv_dst(const v4_node_t *n)
{
    kpu_layer_arg_t a;
    kpu_layer_arg_decode(n->arg, &a);
    return a.image_dst_addr;
}

void v4_node_writes(const v4_node_t *n, v4_write_t *w)
{
    memset(w, 0, sizeof *w);
    w->space = w->space2 = -1;
    if (n->opcode == V4_OP_KPU_CONV2D) {
        w->space = V4_MEM_KPU;
        w->start = (uint64_t)conv_dst(n) * KPU_RAM_LINE_BYTES;
        w->size = (uint64_t)kpu_lines(&n->out_shape) * (uint32_t)n->batches * KPU_RAM_LINE_BYTES;
        if (n->out.size) {
            w->space2 = V4_MEM_MAIN;
            w->start2 = n->out.start;
            w->size2 = n->out.size;
        }
        return;
    }
    if (n->opcode == V4_OP_KPU_UPLOAD) {
        w->space = V4_MEM_KPU;
        w->start = n->out.start;
        w->size = (uint64_t)kpu_lines(&n->in_shape) * (uint32_t)n->in_shape.d[0] *
                  KPU_RAM_LINE_BYTES;
        return;
    }
    w->space = V4_MEM_MAIN;
    w->start = n->out.start;
    w->size = n->out.size;
}

static void shape_info(const v4_shape_t *s, kpu_tensor_info_t *info)
{
    info->w = (uint32_t)s->d[3];
    info->h = (uint32_t)s->d[2];
    info->c = (uint32_t)s->d[0] * (uint32_t)s->d[1];
}

/* Output description of a decoded node i (flat nodes look back for their producer). */
static void node_output_info(const kpu_model_t *m, uint32_t i, const v4_node_t *n,
                             kpu_tensor_info_t *info)
{
    uint64_t count;
    memset(info, 0, sizeof *info);
    written(n, &info->dtype, &count);
    info->size = (size_t)count * (info->dtype == KPU_DTYPE_FLOAT32 ? 4u : 1u);
    info->w = (uint32_t)count;
    info->h = info->c = 1;
    switch (n->opcode) {
    case V4_OP_MATMUL: case V4_OP_QUANTIZED_MATMUL:
        info->w = (uint32_t)n->bcols;
        info->h = (uint32_t)n->rows;
        return;
    case V4_OP_SOFTMAX:
        info->w = (uint32_t)n->inner;
        info->h = (uint32_t)n->outer;
        return;
    case V4_OP_CONCAT: case V4_OP_REDUCE:
        if (n->opcode == V4_OP_REDUCE && v4_shape_count(&n->out_shape) == count)
            shape_info(&n->out_shape, info);
        return;
    case V4_OP_BINARY: case V4_OP_QUANTIZED_BINARY:
        shape_info(count == v4_shape_count(&n->out_shape) ? &n->out_shape : &n->in_shape, info);
        return;
    default: break;
    }
    if (!is_flat(n->opcode)) {
        shape_info(&n->out_shape, info);
        return;
    }
    /* a flat node keeps the shape of the latest earlier node that wrote its input */
    for (uint32_t j = i; j-- > 0;) {
        v4_node_t p;
        if (v4_decode_at(m, j, &p, NULL) != KPU_OK)
            return;
        v4_write_t w;
        v4_node_writes(&p, &w);
        int main_copy = w.space2 == V4_MEM_MAIN && w.start2 == n->in.start;
        if (!main_copy && !(w.space == (int)n->in.type && w.start == n->in.start))
            continue;
        kpu_tensor_info_t pi;
        node_output_info(m, j, &p, &pi);
        if ((uint64_t)pi.w * pi.h * pi.c == count) {
            info->w = pi.w;
            info->h = pi.h;
            info->c = pi.c;
        }
        return;
    }
}

kpu_status_t v4_layer_output_info(const kpu_model_t *m, uint32_t layer, kpu_tensor_info_t *info,
                                  kpu_diag_t *diag)
{
    v4_node_t n;
    kpu_status_t st = v4_decode_at(m, layer, &n, diag);
    if (st != KPU_OK)
        return st;
    node_output_info(m, layer, &n, info);
    return KPU_OK;
}

kpu_status_t v4_layer_info(const kpu_model_t *m, uint32_t layer, kpu_layer_info_t *info,
                           kpu_diag_t *diag)
{
    v4_node_t n;
    kpu_status_t st = v4_decode_at(m, layer, &n, diag);
    if (st != KPU_OK)
        return st;
    kpu_tensor_info_t out;
    node_output_info(m, layer, &n, &out);
    const v4_node_loc_t *loc = &state(m)->nodes[layer];
    memset(info, 0, sizeof *info);
    info->index = layer;
    info->type = KPU_V4_NODE_TYPE_BASE + n.opcode;
    info->body_offset = (uint32_t)loc->offset;
    info->body_size = loc->body_size;
    info->flags = n.opcode;
    info->wo = out.w;
    info->ho = out.h;
    info->cho = out.c;
    if (n.in_shape.d[0] || n.in_shape.d[1] || n.in_shape.d[2] || n.in_shape.d[3]) {
        info->wi = (uint32_t)n.in_shape.d[3];
        info->hi = (uint32_t)n.in_shape.d[2];
        info->chi = (uint32_t)n.in_shape.d[0] * (uint32_t)n.in_shape.d[1];
    } else if (n.opcode == V4_OP_MATMUL || n.opcode == V4_OP_QUANTIZED_MATMUL) {
        info->wi = (uint32_t)n.cols;
        info->hi = (uint32_t)n.rows;
        info->chi = 1;
    }
    if (n.opcode == V4_OP_KPU_CONV2D) {
        kpu_layer_arg_t a;
        kpu_layer_arg_decode(n.arg, &a);
        info->type = KL_K210_CONV;
        info->chi = kpu_arg_ic(&a) * (uint32_t)n.batches;
        info->dw = a.depth_wise_layer;
        info->kernel_type = a.kernel_type;
        info->pool_type = a.pool_type;
        info->para_size = a.para_size;
    }
    return KPU_OK;
}

static int overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

kpu_status_t v4_read_layer_output(const kpu_model_t *m, const kpu_backend_t *backend,
                                  uint32_t layer, int32_t channel, void *dst, size_t dst_size,
                                  size_t *copied, kpu_diag_t *diag)
{
    v4_node_t n;
    kpu_status_t st = v4_decode_at(m, layer, &n, diag);
    if (st != KPU_OK)
        return st;
    kpu_tensor_info_t info;
    node_output_info(m, layer, &n, &info);
    v4_write_t w;
    v4_node_writes(&n, &w);
    /* read from main memory whenever the node left its result there */
    int space = w.space2 == V4_MEM_MAIN ? V4_MEM_MAIN : w.space;
    uint64_t at = w.space2 == V4_MEM_MAIN ? w.start2 : w.start;
    uint64_t span = space == V4_MEM_MAIN ? info.size : w.size;
    for (uint32_t j = layer + 1; j <= (uint32_t)m->last_run; j++) {
        v4_node_t later;
        if ((st = v4_decode_at(m, j, &later, diag)) != KPU_OK)
            return st;
        v4_write_t lw;
        v4_node_writes(&later, &lw);
        if ((lw.space == space && overlaps(at, span, lw.start, lw.size)) ||
            (lw.space2 == space && overlaps(at, span, lw.start2, lw.size2)))
            return kpu_diag_set(diag, KPU_ERR_STATE, (int32_t)layer,
                                "layer %lu's output was overwritten by layer %lu; run up to "
                                "layer %lu to read it", (unsigned long)layer, (unsigned long)j,
                                (unsigned long)layer);
    }
    size_t es = info.dtype == KPU_DTYPE_FLOAT32 ? 4u : 1u;
    size_t plane = (size_t)info.w * info.h * es, first = 0, count = info.c, bytes = info.size;
    if (channel >= 0) {
        if ((uint32_t)channel >= info.c)
            return kpu_diag_set(diag, KPU_ERR_INDEX, (int32_t)layer, "channel %ld out of range "
                                "(layer %lu has %lu)", (long)channel, (unsigned long)layer,
                                (unsigned long)info.c);
        first = (size_t)channel;
        count = 1;
        bytes = plane;
    }
    if (dst_size < bytes)
        return kpu_diag_set(diag, KPU_ERR_SIZE, (int32_t)layer, "destination has %lu bytes, "
                            "layer %lu needs %lu", (unsigned long)dst_size,
                            (unsigned long)layer, (unsigned long)bytes);
    if (space == V4_MEM_MAIN) {
        memcpy(dst, m->main_mem + at + first * plane, bytes);
        *copied = bytes;
        return KPU_OK;
    }
    if (!backend || !backend->ops)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, (int32_t)layer, "layer %lu's output is in "
                            "KPU RAM: a backend is needed", (unsigned long)layer);
    /* KPU RAM: maps of N x C planes (kpu_conv2d: C = OC; kpu_upload: its shape) */
    const v4_shape_t *s = n.opcode == V4_OP_KPU_UPLOAD ? &n.in_shape : &n.out_shape;
    kpu_ram_layout_t l;
    kpu_ram_layout_init(&l, (uint32_t)s->d[3], (uint32_t)s->d[2], (uint32_t)s->d[1]);
    uint32_t lines = (uint32_t)kpu_ram_layout_lines(&l), base = (uint32_t)(at / KPU_RAM_LINE_BYTES);
    for (size_t k = 0; k < count; k++) {
        uint32_t ch = (uint32_t)(first + k), batch = ch / (uint32_t)s->d[1];
        st = kpu_ram_layout_read(&l, backend, base + batch * lines, ch % (uint32_t)s->d[1], 1,
                                 (uint8_t *)dst + k * plane, plane);
        if (st != KPU_OK)
            return kpu_diag_set(diag, st, (int32_t)layer, "layer %lu: KPU RAM read failed",
                                (unsigned long)layer);
    }
    *copied = bytes;
    return KPU_OK;
}

kpu_status_t kpu_v4_output_info(const kpu_model_t *m, uint32_t i, kpu_tensor_info_t *info,
                                kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!m || !info)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no model or info");
    if (m->container != &kpu_container_v4)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1, "output shapes from the graph are for "
                            "kmodel V4 only");
    const uint8_t *data;
    size_t size;
    kpu_dtype_t dtype;
    kpu_status_t st = kpu_model_output(m, i, &data, &size, &dtype, diag);
    if (st != KPU_OK)
        return st;
    size_t es = dtype == KPU_DTYPE_FLOAT32 ? 4u : 1u;
    memset(info, 0, sizeof *info);
    info->dtype = dtype;
    info->size = size;
    info->w = (uint32_t)(size / es);
    info->h = info->c = 1;
    const v4_view_t *v = &state(m)->view;
    const uint8_t *range = v->file + v->outputs_off + 16ull * i;
    uint32_t start = kpu_rd32(range + 8, 0);
    if (kpu_rd32(range, 0) != V4_MEM_MAIN)
        return KPU_OK; /* an output in the constants: no producer */
    for (uint32_t j = state(m)->view.nodes; j-- > 0;) {
        v4_node_t n;
        if ((st = v4_decode_at(m, j, &n, diag)) != KPU_OK)
            return st;
        v4_write_t w;
        v4_node_writes(&n, &w);
        if (!(w.space == V4_MEM_MAIN && w.start == start) &&
            !(w.space2 == V4_MEM_MAIN && w.start2 == start))
            continue;
        kpu_tensor_info_t ni;
        node_output_info(m, j, &n, &ni);
        if ((uint64_t)ni.w * ni.h * ni.c * es == size) {
            info->w = ni.w;
            info->h = ni.h;
            info->c = ni.c;
        }
        break;
    }
    return KPU_OK;
}
