/* kmodel V4 K210 nodes (spec A5) on any kpu_backend_t: kpu_upload writes a dense NCHW uint8
 * tensor into KPU RAM with the KPU row layout; kpu_conv2d runs its layer argument once per
 * batch through the backend (bit-exact on the software KPU, spec V3 sections 4-5) and copies
 * the dense result to main memory when the node asks for it, reading KPU RAM as the device
 * runtime does (no send_data_out stream, so every backend behaves the same). */
#include "v4_internal.h"

#include "kpu_act.h"
#include "kpu_layer_arg.h"
#include "kpu_ram_layout.h"

static kpu_status_t backend_failed(v4_ctx_t *c, kpu_status_t st, const char *what)
{
    if (c->diag && c->diag->status == st && c->diag->text[0])
        return st; /* keep the backend's own diagnosis */
    return v4_fail(c, st, "KPU backend %s failed (%s)", what, kpu_status_name(st));
}

/* ---- dense NCHW <-> KPU RAM --------------------------------------------------------------- */

kpu_status_t v4_kpu_store_check(v4_ctx_t *c, const v4_shape_t *s, uint32_t start,
                                uint64_t *bytes)
{
    for (int i = 0; i < 4; i++)
        if (s->d[i] < 1)
            return v4_fail(c, KPU_ERR_FORMAT, "KPU tensor %ldx%ldx%ldx%ld has an empty "
                           "dimension", (long)s->d[0], (long)s->d[1], (long)s->d[2],
                           (long)s->d[3]);
    if (start % KPU_RAM_LINE_BYTES)
        return v4_fail(c, KPU_ERR_NOT_IMPLEMENTED, "KPU tensor at byte %lu: not on a 64-byte "
                       "line", (unsigned long)start);
    kpu_ram_layout_t l;
    if (kpu_ram_layout_init(&l, (uint32_t)s->d[3], (uint32_t)s->d[2], (uint32_t)s->d[1]) !=
        KPU_OK)
        return v4_fail(c, KPU_ERR_FORMAT, "KPU tensor too large for the KPU layout");
    uint64_t lines = v4_mul(kpu_ram_layout_lines(&l), (uint32_t)s->d[0]);
    uint64_t line = start / KPU_RAM_LINE_BYTES;
    if (lines > KPU_RAM_LINES - line)
        return v4_fail(c, KPU_ERR_BOUNDS, "KPU tensor at line %llu needs %llu lines: outside "
                       "the 2 MiB KPU RAM", (unsigned long long)line, (unsigned long long)lines);
    *bytes = lines * KPU_RAM_LINE_BYTES;
    return KPU_OK;
}

kpu_status_t v4_kpu_store(v4_ctx_t *c, const v4_shape_t *s, uint32_t start, const uint8_t *src)
{
    kpu_ram_layout_t l;
    kpu_ram_layout_init(&l, (uint32_t)s->d[3], (uint32_t)s->d[2], (uint32_t)s->d[1]);
    uint32_t lines = (uint32_t)kpu_ram_layout_lines(&l);
    size_t map = (size_t)s->d[1] * (uint32_t)s->d[2] * (uint32_t)s->d[3];
    for (int32_t b = 0; b < s->d[0]; b++) {
        uint32_t line = start / KPU_RAM_LINE_BYTES + (uint32_t)b * lines;
        kpu_status_t st = kpu_ram_layout_write(&l, c->backend, line, 0, (uint32_t)s->d[1],
                                               src + (size_t)b * map, map);
        if (st != KPU_OK)
            return backend_failed(c, st, "RAM write");
    }
    return KPU_OK;
}

/* ---- kpu_upload ----------------------------------------------------------------------------- */

kpu_status_t v4_dec_kpu_upload(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st;
    if ((st = v4_range_in_out(c, r, n)) != KPU_OK)
        return st;
    v4_shape(r, &n->in_shape);
    if (r->short_read)
        return KPU_OK;
    if (n->out.type != V4_MEM_KPU)
        return v4_fail(c, KPU_ERR_FORMAT, "kpu_upload output must be in KPU RAM");
    uint64_t bytes;
    if ((st = v4_kpu_store_check(c, &n->in_shape, n->out.start, &bytes)) != KPU_OK)
        return st;
    n->out_shape = n->in_shape;
    return v4_need_read(c, &n->in, -1, v4_shape_count(&n->in_shape), "input");
}

kpu_status_t v4_run_kpu_upload(v4_ctx_t *c, const v4_node_t *n)
{
    return v4_kpu_store(c, &n->in_shape, n->out.start, v4_src(c, &n->in));
}

/* ---- kpu_conv2d ------------------------------------------------------------------------------ */

static uint32_t map_lines(uint32_t w, uint32_t h, uint32_t ch)
{
    kpu_ram_layout_t l;
    kpu_ram_layout_init(&l, w, h, ch);
    return (uint32_t)kpu_ram_layout_lines(&l);
}

/* The layer argument of batch b: the image addresses advance by one map per batch. */
static void batch_arg(const kpu_layer_arg_t *a, uint32_t b, kpu_layer_arg_t *out)
{
    *out = *a;
    out->image_src_addr += b * map_lines(kpu_arg_iw(a), kpu_arg_ih(a), kpu_arg_ic(a));
    out->image_dst_addr += b * map_lines(kpu_arg_ow(a), kpu_arg_oh(a), kpu_arg_oc(a));
}

/* A load_flash image: where the tables lie in the original body (offset and size follow the
 * head), with the same skips as in the file; they must end inside that body. */
static kpu_status_t stream_tables(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n,
                                  const kpu_layer_arg_t *a)
{
    uint32_t off = v4_u32(r), size = v4_u32(r);
    if (r->short_read)
        return KPU_OK;
    uint64_t bn = (uint64_t)off + V4_CONV_HEAD_BYTES + a->bwsx_base_addr;
    uint64_t act = bn + n->bn_size + a->active_addr;
    uint64_t kw = act + KPU_ACT_TABLE_BYTES + a->para_start_addr;
    uint64_t end = kw + n->kw_size;
    if (end > (uint64_t)off + size || end > UINT32_MAX)
        return v4_fail(c, KPU_ERR_TRUNCATED, "kpu_conv2d tables end at file offset %llu, past "
                       "the node's %lu-byte body at %lu", (unsigned long long)end,
                       (unsigned long)size, (unsigned long)off);
    n->bn_off = (uint32_t)bn;
    n->act_off = (uint32_t)act;
    n->kw_off = (uint32_t)kw;
    return KPU_OK;
}

kpu_status_t v4_dec_kpu_conv2d(v4_ctx_t *c, v4_rd_t *r, v4_node_t *n)
{
    kpu_status_t st = v4_range(c, r, &n->out, "main_mem_output");
    if (st != KPU_OK)
        return st;
    n->batches = v4_i32(r);
    v4_skip(r, 4);
    n->arg = v4_bytes(r, KPU_LAYER_ARG_BYTES);
    if (r->short_read)
        return KPU_OK;
    kpu_layer_arg_t a;
    kpu_layer_arg_decode(n->arg, &a);
    uint32_t oc = kpu_arg_oc(&a), k = kpu_arg_k(&a);
    /* in the file the three table addresses are padding byte counts before each table */
    n->bn_size = 8u * oc;
    n->kw_size = (size_t)oc * (a.depth_wise_layer ? 1u : kpu_arg_ic(&a)) * k * k;
    if (c->streamed) {
        if ((st = stream_tables(c, r, n, &a)) != KPU_OK || r->short_read)
            return st;
    } else {
        v4_skip(r, a.bwsx_base_addr);
        n->bn = v4_bytes(r, n->bn_size);
        v4_skip(r, a.active_addr);
        n->act = v4_bytes(r, KPU_ACT_TABLE_BYTES);
        v4_skip(r, a.para_start_addr);
        n->kw = v4_bytes(r, n->kw_size);
        if (r->short_read)
            return KPU_OK;
    }
    if (n->batches < 1)
        return v4_fail(c, KPU_ERR_FORMAT, "kpu_conv2d with %ld batches", (long)n->batches);
    if ((st = kpu_layer_arg_validate(&a, 1, n->kw_size, n->bn_size, c->diag, c->node)) != KPU_OK)
        return st;
    uint64_t in_end = (uint64_t)a.image_src_addr +
                      (uint64_t)(uint32_t)n->batches *
                          map_lines(kpu_arg_iw(&a), kpu_arg_ih(&a), kpu_arg_ic(&a));
    uint64_t out_end = (uint64_t)a.image_dst_addr +
                       (uint64_t)(uint32_t)n->batches *
                           map_lines(kpu_arg_ow(&a), kpu_arg_oh(&a), oc);
    if (in_end > KPU_RAM_LINES || out_end > KPU_RAM_LINES)
        return v4_fail(c, KPU_ERR_BOUNDS, "kpu_conv2d: %ld batches of maps do not fit in the "
                       "2 MiB KPU RAM", (long)n->batches);
    n->out_shape.d[0] = n->batches;
    n->out_shape.d[1] = (int32_t)oc;
    n->out_shape.d[2] = (int32_t)kpu_arg_oh(&a);
    n->out_shape.d[3] = (int32_t)kpu_arg_ow(&a);
    n->in_shape.d[0] = n->batches;
    n->in_shape.d[1] = (int32_t)kpu_arg_ic(&a);
    n->in_shape.d[2] = (int32_t)kpu_arg_ih(&a);
    n->in_shape.d[3] = (int32_t)kpu_arg_iw(&a);
    if (n->out.size == 0)
        return KPU_OK;
    return v4_need_write(c, &n->out, -1, v4_shape_count(&n->out_shape), "main_mem_output");
}

kpu_status_t v4_run_kpu_conv2d(v4_ctx_t *c, const v4_node_t *n)
{
    kpu_layer_arg_t a;
    kpu_layer_arg_decode(n->arg, &a);
    const kpu_backend_t *be = c->backend;
    uint32_t ow = kpu_arg_ow(&a), oh = kpu_arg_oh(&a), oc = kpu_arg_oc(&a);
    size_t map = (size_t)ow * oh * oc;
    const uint8_t *kw = n->kw, *bn = n->bn, *act = n->act;
    if (c->streamed) { /* load_flash: the tables are read from flash now */
        if (!c->stream)
            return v4_fail(c, KPU_ERR_FORMAT, "kpu_conv2d tables in flash without a stream");
        kpu_conv_blocks_t blk;
        memset(&blk, 0, sizeof blk);
        blk.weights_off = n->kw_off;
        blk.weights_size = (uint32_t)n->kw_size;
        blk.bn_off = n->bn_off;
        blk.bn_size = (uint32_t)n->bn_size;
        blk.act_off = n->act_off;
        kpu_status_t st = c->stream->fetch(c->stream->ctx, (uint32_t)c->node, &blk, c->diag);
        if (st != KPU_OK)
            return st;
        kw = blk.weights;
        bn = blk.bn;
        act = blk.act;
    }
    for (uint32_t b = 0; b < (uint32_t)n->batches; b++) {
        kpu_layer_arg_t ab;
        batch_arg(&a, b, &ab);
        kpu_conv_job_t job;
        memset(&job, 0, sizeof job);
        kpu_layer_arg_words(n->arg, job.arg);
        /* word 1 carries the (advanced) image addresses; the result stays in KPU RAM */
        job.arg[1] = (job.arg[1] & ~((uint64_t)0x7FFF | ((uint64_t)0x7FFF << 32))) |
                     (uint64_t)ab.image_src_addr | ((uint64_t)ab.image_dst_addr << 32);
        job.arg[11] &= ~(uint64_t)1;
        job.weights = kw;
        job.weights_size = n->kw_size;
        job.bn = bn;
        job.act = act;
        job.eight_bit = 1;
        kpu_status_t st = be->ops->submit(be->self, &job, c->diag);
        if (st != KPU_OK)
            return backend_failed(c, st, "submit");
        st = be->ops->wait(be->self, V4_CONV_TIMEOUT_MS, c->diag);
        if (st != KPU_OK)
            return backend_failed(c, st, "wait");
        if (n->out.size == 0)
            continue;
        kpu_ram_layout_t l;
        kpu_ram_layout_init(&l, ow, oh, oc);
        st = kpu_ram_layout_read(&l, be, ab.image_dst_addr, 0, oc,
                                 v4_dst(c, &n->out) + (size_t)b * map, map);
        if (st != KPU_OK)
            return backend_failed(c, st, "RAM read");
    }
    return KPU_OK;
}
