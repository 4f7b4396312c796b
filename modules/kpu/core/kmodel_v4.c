/* The kmodel V4 container (nncase v0.2, spec kmodel-v4-v5.md A1) as a kpu_container_t: the
 * header and tables, a load-time dry run that decodes and checks every node body against the
 * constants, main memory and KPU RAM, the model's main memory, feeding input 0 and running the
 * nodes in order. Layers and outputs are described in kmodel_v4_layers.c. */
#include "v4_internal.h"

#define KMDL_MAGIC 0x4B4D444Cu

static v4_state_t *state(const kpu_model_t *m) { return m->state; }

/* Reads the header and locates the tables; checks what needs no node body. */
static kpu_status_t parse_view(v4_view_t *v, const uint8_t *data, size_t size, kpu_diag_t *diag)
{
    memset(v, 0, sizeof *v);
    if (size < V4_HEADER_BYTES)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1, "%lu bytes is too short for a kmodel "
                            "V4 header (40)", (unsigned long)size);
    if (kpu_rd32(data, 0) != KMDL_MAGIC || kpu_rd32(data + 4, 0) != 4)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1, "not a kmodel V4 ('KMDL', version 4)");
    v->file = data;
    v->size = size;
    v->target = kpu_rd32(data + 12, 0);
    v->constants = kpu_rd32(data + 16, 0);
    v->main_mem = kpu_rd32(data + 20, 0);
    v->nodes = kpu_rd32(data + 24, 0);
    v->inputs = kpu_rd32(data + 28, 0);
    v->outputs = kpu_rd32(data + 32, 0);
    if (v->target > 1)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "kmodel V4 target %lu (0 CPU, 1 K210)",
                            (unsigned long)v->target);
    if (v->main_mem > V4_MAX_MAIN)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "kmodel V4 asks for %lu bytes of main "
                            "memory (at most %lu)", (unsigned long)v->main_mem,
                            (unsigned long)V4_MAX_MAIN);
    v->inputs_off = V4_HEADER_BYTES;
    v->shapes_off = v->inputs_off + 16ull * v->inputs;
    v->outputs_off = v->shapes_off + 16ull * v->inputs;
    v->const_off = v->outputs_off + 16ull * v->outputs;
    v->headers_off = v->const_off + v->constants;
    v->bodies_off = v->headers_off + 8ull * v->nodes;
    if (v->bodies_off > size)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1, "kmodel V4 tables (%lu inputs, %lu "
                            "outputs, %lu constant bytes, %lu nodes) end at %llu, past the "
                            "%lu-byte file", (unsigned long)v->inputs, (unsigned long)v->outputs,
                            (unsigned long)v->constants, (unsigned long)v->nodes,
                            (unsigned long long)v->bodies_off, (unsigned long)size);
    if (v->inputs != 1)
        return kpu_diag_set(diag, v->inputs ? KPU_ERR_NOT_IMPLEMENTED : KPU_ERR_FORMAT, -1,
                            "kmodel V4 with %lu inputs (this runtime feeds exactly one, as the "
                            "SDK does)", (unsigned long)v->inputs);
    if (v->nodes == 0)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "kmodel V4 without nodes");
    return KPU_OK;
}

static v4_ctx_t view_ctx(const v4_view_t *v, kpu_diag_t *diag)
{
    v4_ctx_t c;
    memset(&c, 0, sizeof c);
    c.consts = v->file + v->const_off;
    c.const_size = v->constants;
    c.main_size = v->main_mem;
    c.diag = diag;
    c.node = -1;
    c.streamed = v->streamed;
    return c;
}

/* A memory_range of the I/O tables, read through the node reader for the same checks. */
static kpu_status_t io_range(v4_ctx_t *c, const v4_view_t *v, uint64_t off, v4_range_t *r,
                             const char *what)
{
    v4_rd_t rd = {v->file + off, V4_RANGE_BYTES, 0, 0};
    return v4_range(c, &rd, r, what);
}

static void input_shape(const v4_view_t *v, v4_shape_t *s)
{
    v4_rd_t rd = {v->file + v->shapes_off, 16, 0, 0};
    v4_shape(&rd, s);
}

static kpu_status_t check_io(const v4_view_t *v, kpu_diag_t *diag)
{
    v4_ctx_t c = view_ctx(v, diag);
    v4_range_t r;
    v4_shape_t s;
    kpu_status_t st = io_range(&c, v, v->inputs_off, &r, "input 0");
    if (st != KPU_OK)
        return st;
    input_shape(v, &s);
    if ((st = v4_need_shape(&c, &s, "input shape")) != KPU_OK)
        return st;
    if (r.type == V4_MEM_CONST)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "kmodel V4 input 0 is in the constants");
    if (r.type == V4_MEM_KPU) {
        uint64_t bytes;
        if (r.dtype != V4_DT_U8)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "kmodel V4 input 0 in KPU RAM must "
                                "be uint8");
        if ((st = v4_kpu_store_check(&c, &s, r.start, &bytes)) != KPU_OK)
            return st;
    }
    for (uint32_t i = 0; i < v->outputs; i++) {
        if ((st = io_range(&c, v, v->outputs_off + 16ull * i, &r, "output")) != KPU_OK)
            return st;
        if (r.type == V4_MEM_KPU)
            return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1, "kmodel V4 output %lu is "
                                "in KPU RAM (only main memory or constants)", (unsigned long)i);
    }
    return KPU_OK;
}

/* Walks the node headers: where body i is and how much of it the file holds. */
static void node_loc(const v4_view_t *v, uint32_t i, uint64_t *offset, v4_node_loc_t *loc)
{
    const uint8_t *h = v->file + v->headers_off + 8ull * i;
    loc->opcode = kpu_rd32(h, 0);
    loc->body_size = kpu_rd32(h + 4, 0);
    loc->offset = *offset;
    loc->avail = *offset >= v->size ? 0
                 : (uint32_t)(v->size - *offset < loc->body_size ? v->size - *offset
                                                                 : loc->body_size);
    *offset += loc->body_size;
}

/* The dry run: every node decoded and checked; loc (may be NULL) receives the body table. */
static kpu_status_t check_nodes(const v4_view_t *v, v4_node_loc_t *locs, kpu_diag_t *diag)
{
    v4_ctx_t c = view_ctx(v, diag);
    uint64_t offset = v->bodies_off;
    for (uint32_t i = 0; i < v->nodes; i++) {
        v4_node_loc_t loc;
        node_loc(v, i, &offset, &loc);
        c.node = (int32_t)i;
        v4_node_t n;
        kpu_status_t st = v4_node_decode(&c, loc.opcode, v->file + loc.offset, loc.avail, &n);
        if (st != KPU_OK)
            return st;
        if (locs)
            locs[i] = loc;
    }
    return KPU_OK;
}

static kpu_status_t v4_validate(const uint8_t *data, size_t size, int swapped, kpu_diag_t *diag)
{
    if (swapped)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "a kmodel V4 is never word-swapped");
    v4_view_t v;
    kpu_status_t st = parse_view(&v, data, size, diag);
    if (st == KPU_OK)
        st = check_io(&v, diag);
    if (st == KPU_OK)
        st = check_nodes(&v, NULL, diag);
    return st;
}

kpu_status_t kpu_v4_validate_stream(const uint8_t *data, size_t size, kpu_diag_t *diag)
{
    v4_view_t v;
    kpu_status_t st = parse_view(&v, data, size, diag);
    v.streamed = 1;
    if (st == KPU_OK)
        st = check_io(&v, diag);
    if (st == KPU_OK)
        st = check_nodes(&v, NULL, diag);
    return st;
}

static kpu_status_t v4_open(kpu_model_t *m, kpu_diag_t *diag)
{
    v4_state_t *s = kpu_model_alloc(m, sizeof *s, 8);
    if (!s)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the V4 model state");
    memset(s, 0, sizeof *s);
    m->state = s;
    kpu_status_t st = parse_view(&s->view, m->data, m->size, diag);
    if (st != KPU_OK)
        return st;
    s->view.streamed = m->stream != NULL;
    s->nodes = kpu_model_alloc(m, sizeof *s->nodes * s->view.nodes, 8);
    if (!s->nodes)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for %lu V4 node entries",
                            (unsigned long)s->view.nodes);
    if ((st = check_nodes(&s->view, s->nodes, diag)) != KPU_OK)
        return st;
    size_t main = ((size_t)s->view.main_mem + 7u) & ~(size_t)7u;
    m->main_mem = kpu_model_alloc(m, main, 64);
    if (!m->main_mem)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the model's %lu bytes "
                            "of main memory", (unsigned long)main);
    memset(m->main_mem, 0, main ? main : 1);
    m->main_size = main;
    return KPU_OK;
}

static void v4_close(kpu_model_t *m)
{
    v4_state_t *s = state(m);
    if (!s)
        return;
    if (m->main_mem)
        kpu_model_release(m, m->main_mem, m->main_size);
    m->main_mem = NULL;
    if (s->nodes)
        kpu_model_release(m, s->nodes, sizeof *s->nodes * s->view.nodes);
    kpu_model_release(m, s, sizeof *s);
    m->state = NULL;
}

static uint32_t v4_layer_count(const kpu_model_t *m) { return state(m)->view.nodes; }

static uint32_t v4_output_count(const kpu_model_t *m) { return state(m)->view.outputs; }

static void io_at(const v4_view_t *v, uint64_t off, v4_range_t *r)
{
    const uint8_t *p = v->file + off;
    r->type = kpu_rd32(p, 0);
    r->dtype = kpu_rd32(p + 4, 0);
    r->start = kpu_rd32(p + 8, 0);
    r->size = kpu_rd32(p + 12, 0);
}

static kpu_status_t v4_input_info(const kpu_model_t *m, kpu_tensor_info_t *info,
                                  kpu_diag_t *diag)
{
    (void)diag;
    const v4_view_t *v = &state(m)->view;
    v4_range_t r;
    v4_shape_t s;
    io_at(v, v->inputs_off, &r);
    input_shape(v, &s);
    memset(info, 0, sizeof *info);
    info->w = (uint32_t)s.d[3];
    info->h = (uint32_t)s.d[2];
    info->c = (uint32_t)s.d[0] * (uint32_t)s.d[1];
    info->dtype = r.dtype == V4_DT_F32 ? KPU_DTYPE_FLOAT32 : KPU_DTYPE_UINT8;
    /* KPU input: the caller gives dense NCHW bytes; main: the range's bytes, copied as is */
    info->size = r.type == V4_MEM_KPU ? (size_t)v4_shape_count(&s) : r.size;
    return KPU_OK;
}

static kpu_status_t v4_run(kpu_model_t *m, const kpu_backend_t *backend, const void *input,
                           size_t input_size, uint32_t last, kpu_diag_t *diag)
{
    v4_state_t *s = state(m);
    const v4_view_t *v = &s->view;
    v4_range_t r;
    v4_shape_t shape;
    io_at(v, v->inputs_off, &r);
    input_shape(v, &shape);
    kpu_tensor_info_t info;
    v4_input_info(m, &info, diag);
    if (input_size != info.size)
        return kpu_diag_set(diag, KPU_ERR_SIZE, 0, "input has %lu bytes, the model takes %lu "
                            "(%lux%lux%lu %s)", (unsigned long)input_size,
                            (unsigned long)info.size, (unsigned long)info.w,
                            (unsigned long)info.h, (unsigned long)info.c,
                            info.dtype == KPU_DTYPE_UINT8 ? "uint8" : "float32");
    if (!backend) {
        /* CPU-only models (iris) may run without a backend */
        int needs = r.type == V4_MEM_KPU;
        for (uint32_t i = 0; i <= last && !needs; i++)
            needs = s->nodes[i].opcode == V4_OP_KPU_UPLOAD ||
                    s->nodes[i].opcode == V4_OP_KPU_CONV2D;
        if (needs)
            return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "this V4 model uses KPU RAM: a "
                                "KPU backend is needed");
    }
    v4_ctx_t c = view_ctx(v, diag);
    c.main = m->main_mem;
    c.backend = backend;
    c.stream = m->stream;
    kpu_status_t st = KPU_OK;
    if (r.type == V4_MEM_KPU)
        st = v4_kpu_store(&c, &shape, r.start, input);
    else
        memcpy(m->main_mem + r.start, input, input_size);
    for (uint32_t i = 0; i <= last && st == KPU_OK; i++) {
        v4_node_t n;
        c.node = (int32_t)i;
        st = v4_node_decode(&c, s->nodes[i].opcode, v->file + s->nodes[i].offset,
                            s->nodes[i].avail, &n);
        if (st == KPU_OK)
            st = v4_node_run(&c, &n);
    }
    return st;
}

static kpu_status_t v4_output(const kpu_model_t *m, uint32_t i, const uint8_t **data,
                              size_t *size, kpu_dtype_t *dtype, kpu_diag_t *diag)
{
    (void)diag;
    const v4_view_t *v = &state(m)->view;
    v4_range_t r;
    io_at(v, v->outputs_off + 16ull * i, &r);
    *data = (r.type == V4_MEM_CONST ? v->file + v->const_off : m->main_mem) + r.start;
    *size = r.size;
    *dtype = r.dtype == V4_DT_F32 ? KPU_DTYPE_FLOAT32 : KPU_DTYPE_UINT8;
    return KPU_OK;
}

kpu_status_t v4_decode_at(const kpu_model_t *m, uint32_t i, v4_node_t *n, kpu_diag_t *diag)
{
    const v4_state_t *s = state(m);
    v4_ctx_t c = view_ctx(&s->view, diag);
    c.main = m->main_mem;
    c.node = (int32_t)i;
    c.stream = m->stream;
    return v4_node_decode(&c, s->nodes[i].opcode, s->view.file + s->nodes[i].offset,
                          s->nodes[i].avail, n);
}

const kpu_container_t kpu_container_v4 = {
    4,
    v4_validate,
    v4_open,
    v4_close,
    v4_layer_count,
    v4_output_count,
    v4_input_info,
    v4_run,
    v4_output,
    v4_layer_info,
    v4_layer_output_info,
    v4_read_layer_output,
};
