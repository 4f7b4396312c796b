/* KPU.load_flash of a kmodel V4 (nncase v0.2, spec kmodel-v4-v5.md A1 / A5) kept in flash in
 * its original byte order. The resident image holds the header, the I/O tables, the constants,
 * the node headers and every node body except the tables of the kpu_conv2d nodes (batch-norm,
 * activation, weights: nearly all of a KPU model's bytes). Such a body shrinks to its 120-byte
 * head (output range, batches, layer argument) plus the file offset and size of the original
 * body; v4_k210.c reads the tables through net->stream just before the node runs. */
#include "kpu_net_internal.h"

#include "kpu_act.h"
#include "kpu_layer_arg.h"
#include "v4_internal.h"

static uint32_t rd(const uint8_t *p) { return kpu_rd32(p, 0); }

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static kpu_status_t read_flash(const kpu_net_t *net, uint64_t off, void *dst, size_t n,
                               kpu_diag_t *diag)
{
    return kpu_flash_read_le(&net->flash, net->addr, off, dst, n, 0, 0, diag);
}

/* Where node i's tables lie in the file (the same skips the container's decoder applies),
 * checked to end inside its body; head receives the body's first 120 bytes. */
static kpu_status_t conv_tables(const kpu_net_t *net, uint64_t body_off, uint32_t body_size,
                                uint32_t node, uint8_t head[V4_CONV_HEAD_BYTES],
                                kpu_conv_blocks_t *b, kpu_diag_t *diag)
{
    if (body_size < V4_CONV_HEAD_BYTES)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, (int32_t)node,
                            "node %lu (kpu_conv2d): body has %lu bytes, its head needs %u",
                            (unsigned long)node, (unsigned long)body_size, V4_CONV_HEAD_BYTES);
    kpu_status_t st = read_flash(net, body_off, head, V4_CONV_HEAD_BYTES, diag);
    if (st != KPU_OK)
        return st;
    kpu_layer_arg_t a;
    kpu_layer_arg_decode(head + 24, &a);
    uint32_t oc = kpu_arg_oc(&a), k = kpu_arg_k(&a);
    uint64_t bn_size = 8ull * oc;
    uint64_t kw_size = (uint64_t)oc * (a.depth_wise_layer ? 1u : kpu_arg_ic(&a)) * k * k;
    uint64_t bn = body_off + V4_CONV_HEAD_BYTES + a.bwsx_base_addr;
    uint64_t act = bn + bn_size + a.active_addr;
    uint64_t kw = act + KPU_ACT_TABLE_BYTES + a.para_start_addr;
    if (kw + kw_size > body_off + body_size)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, (int32_t)node,
                            "node %lu (kpu_conv2d): tables end at file offset %llu, past its "
                            "%lu-byte body", (unsigned long)node,
                            (unsigned long long)(kw + kw_size), (unsigned long)body_size);
    memset(b, 0, sizeof *b);
    b->bn_off = (uint32_t)bn;
    b->bn_size = (uint32_t)bn_size;
    b->act_off = (uint32_t)act;
    b->weights_off = (uint32_t)kw;
    b->weights_size = (uint32_t)kw_size;
    return KPU_OK;
}

/* Bytes kpu_net_stream_fetch reads for these tables (256-aligned start, 4-aligned end). */
static uint64_t fetch_span(const kpu_conv_blocks_t *b)
{
    uint64_t lo = b->bn_off < b->act_off ? b->bn_off : b->act_off;
    lo = (b->weights_off < lo ? b->weights_off : lo) & ~(uint64_t)255;
    uint64_t hi = (uint64_t)b->weights_off + b->weights_size;
    if ((uint64_t)b->bn_off + b->bn_size > hi)
        hi = (uint64_t)b->bn_off + b->bn_size;
    if ((uint64_t)b->act_off + KPU_ACT_TABLE_BYTES > hi)
        hi = (uint64_t)b->act_off + KPU_ACT_TABLE_BYTES;
    return ((hi + 3) & ~(uint64_t)3) - lo;
}

typedef struct v4_layout {
    uint64_t headers, bodies;   /* file offsets of the node headers and the first body */
    uint32_t nodes;
} v4_layout_t;

static kpu_status_t read_layout(const kpu_net_t *net, v4_layout_t *l, kpu_diag_t *diag)
{
    uint8_t h[V4_HEADER_BYTES];
    kpu_status_t st = read_flash(net, 0, h, sizeof h, diag);
    if (st != KPU_OK)
        return st;
    uint32_t constants = rd(h + 16), inputs = rd(h + 28), outputs = rd(h + 32);
    l->nodes = rd(h + 24);
    l->headers = V4_HEADER_BYTES + 32ull * inputs + 16ull * outputs + constants;
    l->bodies = l->headers + 8ull * l->nodes;
    if (l->nodes == 0 || l->bodies > net->model_size)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "kmodel V4 with %lu nodes whose tables "
                            "end at %llu (the model has %lu bytes)", (unsigned long)l->nodes,
                            (unsigned long long)l->bodies, (unsigned long)net->model_size);
    return KPU_OK;
}

/* Node headers: body sizes (kept for netinfo), the resident image size, the stream buffer. */
static kpu_status_t plan(kpu_net_t *net, const v4_layout_t *l, uint32_t *opcodes,
                         size_t *image, kpu_diag_t *diag)
{
    uint64_t off = l->bodies, compact = l->bodies, span = 0;
    for (uint32_t i = 0; i < l->nodes; i++) {
        uint8_t h[8];
        kpu_status_t st = read_flash(net, l->headers + 8ull * i, h, sizeof h, diag);
        if (st != KPU_OK)
            return st;
        opcodes[i] = rd(h);
        net->body_sizes[i] = rd(h + 4);
        if (opcodes[i] == V4_OP_KPU_CONV2D) {
            uint8_t head[V4_CONV_HEAD_BYTES];
            kpu_conv_blocks_t b;
            st = conv_tables(net, off, net->body_sizes[i], i, head, &b, diag);
            if (st != KPU_OK)
                return st;
            if (fetch_span(&b) > span)
                span = fetch_span(&b);
            compact += V4_CONV_STREAM_BODY;
        } else {
            compact += net->body_sizes[i];
        }
        off += net->body_sizes[i];
    }
    if (compact > SIZE_MAX || span > SIZE_MAX)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "model structure too large");
    *image = (size_t)compact;
    net->stream_cap = (size_t)span;
    return KPU_OK;
}

/* The image: everything before the bodies as in the file, bodies copied, kpu_conv2d bodies
 * as head + (offset, size) with their node header's body size patched. */
static kpu_status_t build(kpu_net_t *net, const v4_layout_t *l, const uint32_t *opcodes,
                          kpu_diag_t *diag)
{
    uint8_t *img = net->file;
    kpu_status_t st = read_flash(net, 0, img, (size_t)l->bodies, diag);
    uint64_t src = l->bodies, dst = l->bodies;
    for (uint32_t i = 0; st == KPU_OK && i < l->nodes; i++) {
        uint32_t size = net->body_sizes[i];
        if (opcodes[i] == V4_OP_KPU_CONV2D) {
            kpu_conv_blocks_t b;
            st = conv_tables(net, src, size, i, img + dst, &b, diag);
            put32(img + dst + V4_CONV_HEAD_BYTES, (uint32_t)src);
            put32(img + dst + V4_CONV_HEAD_BYTES + 4, size);
            put32(img + l->headers + 8ull * i + 4, V4_CONV_STREAM_BODY);
            dst += V4_CONV_STREAM_BODY;
        } else {
            st = read_flash(net, src, img + dst, size, diag);
            dst += size;
        }
        src += size;
    }
    return st;
}

kpu_status_t kpu_flash_load_stream_v4(kpu_net_t *net, const kpu_flash_t *flash,
                                      kpu_diag_t *diag)
{
    (void)flash; /* net->flash is the same reader */
    v4_layout_t l;
    kpu_status_t st = read_layout(net, &l, diag);
    if (st != KPU_OK)
        return st;
    net->body_sizes = kpu_net_alloc(net, sizeof(uint32_t) * l.nodes, 4);
    uint32_t *opcodes = kpu_net_alloc(net, sizeof(uint32_t) * l.nodes, 4);
    if (!net->body_sizes || !opcodes) {
        kpu_net_release(net, opcodes);
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the node table");
    }
    size_t image = 0;
    st = plan(net, &l, opcodes, &image, diag);
    if (st == KPU_OK)
        st = kpu_net_stream_alloc(net, image, diag);
    if (st == KPU_OK)
        st = build(net, &l, opcodes, diag);
    kpu_net_release(net, opcodes);
    if (st != KPU_OK)
        return st;
    return kpu_model_load_stream(&net->model, net->file, net->file_size, &net->stream,
                                 &net->alloc, diag);
}
