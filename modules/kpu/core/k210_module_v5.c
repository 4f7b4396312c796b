/* The k210 module of a V5 model (spec Part D): kpu_upload, kpu_download, kpu_conv2d and copy.
 * Convolutions run on the same kpu_backend_t as V3 (software KPU or the real one); uploads and
 * downloads use the section-5 KPU RAM layout. Every range is checked at load time. */
#include "stackvm.h"

#include "kpu_layer_arg.h"
#include "kpu_ram_layout.h"

#define ACT_TABLE_BYTES 144u
#define CONV_TIMEOUT_MS 5000u

static uint32_t rd32(const uint8_t *p) { return kpu_rd32(p, 0); }

static uint32_t insn_size(uint8_t op)
{
    static const uint8_t sizes[4] = {44, 44, 152, 76};
    return op < 4 ? sizes[op] : 0;
}

static const char *op_name(uint8_t op)
{
    static const char *const names[4] = {"kpu_upload", "kpu_download", "kpu_conv2d", "copy"};
    return op < 4 ? names[op] : "?";
}

/* Checks that a range names memory the k210 module can reach; returns its capacity. */
#define ALLOW_KPU 1
#define WRITTEN 2   /* the instruction writes the range: never the model's .rdata */

static kpu_status_t check_range(const v5_state_t *s, const v5_function_t *fn, v5_range_t r,
                                int flags, uint32_t pc, kpu_diag_t *diag)
{
    const v5_module_t *mod = &s->modules[fn->module];
    int allow_kpu = flags & ALLOW_KPU;
    uint64_t cap = 0;
    /* inputs may be bound to read-only memory (the stackvm .rdata) */
    if ((flags & WRITTEN) && (r.location == V5_LOC_RDATA || r.location == V5_LOC_INPUT))
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "k210 function %lu offset %lu writes "
                            "into its %s", (unsigned long)fn->index, (unsigned long)pc,
                            r.location == V5_LOC_RDATA ? ".rdata" : "input");
    switch (r.location) {
    case V5_LOC_INPUT: case V5_LOC_OUTPUT: {
        int out = r.location == V5_LOC_OUTPUT;
        uint32_t n = out ? fn->outputs : fn->inputs;
        for (uint32_t i = 0; i < n; i++) {
            v5_range_t d;
            v5_shape_t sh;
            v5_function_io(s, fn, out, i, &d, &sh);
            if (d.start == r.start)
                cap = d.size;
        }
        break;
    }
    case V5_LOC_RDATA: cap = mod->rdata_size; if (r.start > cap) cap = 0; else cap -= r.start; break;
    case V5_LOC_DATA: cap = mod->data_size; if (r.start > cap) cap = 0; else cap -= r.start; break;
    case V5_LOC_KPU:
        if (allow_kpu)
            cap = r.start > KPU_RAM_BYTES ? 0 : KPU_RAM_BYTES - r.start;
        break;
    default: break;
    }
    if (r.size > cap)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                            "k210 function %lu offset %lu: range (location %u, start %lu, %lu "
                            "bytes) outside its memory", (unsigned long)fn->index,
                            (unsigned long)pc, (unsigned)r.location, (unsigned long)r.start,
                            (unsigned long)r.size);
    return KPU_OK;
}

static uint64_t map_bytes(uint32_t w, uint32_t h, uint32_t c)
{
    kpu_ram_layout_t l;
    if (kpu_ram_layout_init(&l, w, h, c) != KPU_OK)
        return UINT64_MAX;
    return kpu_ram_layout_lines(&l) * KPU_RAM_LINE_BYTES;
}

/* upload/download: a dense N x C x H x W u8 tensor and its KPU RAM image. */
static kpu_status_t check_transfer(const v5_state_t *s, const v5_function_t *fn,
                                   const uint8_t *p, uint32_t pc, kpu_diag_t *diag)
{
    int up = p[0] == K210_UPLOAD;
    v5_range_t in = v5_read_range(p + 4), out = v5_read_range(p + 16);
    v5_range_t kpu = up ? out : in, mem = up ? in : out;
    uint32_t n = rd32(p + 28), c = rd32(p + 32), h = rd32(p + 36), w = rd32(p + 40);
    uint64_t one = map_bytes(w, h, c), dense = (uint64_t)c * h * w;
    if (kpu.location != V5_LOC_KPU || mem.location == V5_LOC_KPU || n == 0 || n > 65535 ||
        one == UINT64_MAX || kpu.start % KPU_RAM_LINE_BYTES != 0)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "k210 function %lu offset %lu: %s of %lux%lux%lux%lu between "
                            "locations %u and %u (KPU RAM offset %lu)", (unsigned long)fn->index,
                            (unsigned long)pc, op_name(p[0]), (unsigned long)n, (unsigned long)c,
                            (unsigned long)h, (unsigned long)w, (unsigned)in.location,
                            (unsigned)out.location, (unsigned long)kpu.start);
    kpu_status_t st = check_range(s, fn, in, up ? 0 : ALLOW_KPU, pc, diag);
    if (st == KPU_OK)
        st = check_range(s, fn, out, up ? ALLOW_KPU | WRITTEN : WRITTEN, pc, diag);
    if (st != KPU_OK)
        return st;
    if (dense * n > mem.size || (uint64_t)kpu.start + one * n > KPU_RAM_BYTES)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                            "k210 function %lu offset %lu: %s of %lux%lux%lux%lu does not fit "
                            "its ranges", (unsigned long)fn->index, (unsigned long)pc,
                            op_name(p[0]), (unsigned long)n, (unsigned long)c, (unsigned long)h,
                            (unsigned long)w);
    return KPU_OK;
}

static kpu_status_t check_conv(const v5_state_t *s, const v5_function_t *fn, const uint8_t *p,
                               uint32_t pc, v5_layer_t *layer, kpu_diag_t *diag)
{
    v5_range_t wr = v5_read_range(p + 4), bn = v5_read_range(p + 16);
    v5_range_t act = v5_read_range(p + 28), mo = v5_read_range(p + 40);
    uint32_t batches = rd32(p + 52);
    kpu_layer_arg_t a;
    kpu_layer_arg_decode(p + 56, &a);
    kpu_status_t st = KPU_OK;
    const v5_range_t *tables[3] = {&wr, &bn, &act};
    for (int i = 0; i < 3 && st == KPU_OK; i++) {
        if (tables[i]->location == V5_LOC_KPU)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "k210 function %lu offset %lu: "
                                "kpu_conv2d table in KPU RAM", (unsigned long)fn->index,
                                (unsigned long)pc);
        st = check_range(s, fn, *tables[i], 0, pc, diag);
    }
    if (st == KPU_OK && mo.size != 0)
        st = check_range(s, fn, mo, WRITTEN, pc, diag);
    if (st != KPU_OK)
        return st;
    uint32_t wsize = v5_dtype_size(wr.datatype);
    if (batches == 0 || batches > 65535 || (wsize != 1 && wsize != 2) ||
        act.size < ACT_TABLE_BYTES)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "k210 function %lu offset %lu: kpu_conv2d with %lu batches, %s "
                            "weights, %lu-byte activation table", (unsigned long)fn->index,
                            (unsigned long)pc, (unsigned long)batches,
                            v5_dtype_name(wr.datatype), (unsigned long)act.size);
    st = kpu_layer_arg_validate(&a, wsize == 1, wr.size, bn.size, diag, -1);
    if (st != KPU_OK)
        return st;
    uint64_t in_map = map_bytes(kpu_arg_iw(&a), kpu_arg_ih(&a), kpu_arg_ic(&a));
    uint64_t out_map = map_bytes(kpu_arg_ow(&a), kpu_arg_oh(&a), kpu_arg_oc(&a));
    uint64_t dense = (uint64_t)kpu_arg_ow(&a) * kpu_arg_oh(&a) * kpu_arg_oc(&a);
    if ((uint64_t)a.image_src_addr * KPU_RAM_LINE_BYTES + in_map * batches > KPU_RAM_BYTES ||
        (uint64_t)a.image_dst_addr * KPU_RAM_LINE_BYTES + out_map * batches > KPU_RAM_BYTES ||
        (mo.size != 0 && dense * batches > mo.size))
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                            "k210 function %lu offset %lu: %lu batches of the layer do not fit "
                            "KPU RAM or the output range", (unsigned long)fn->index,
                            (unsigned long)pc, (unsigned long)batches);
    memset(layer, 0, sizeof *layer);
    layer->k210_function = fn->index;
    layer->insn_offset = pc;
    layer->iw = kpu_arg_iw(&a);
    layer->ih = kpu_arg_ih(&a);
    layer->ic = kpu_arg_ic(&a);
    layer->ow = kpu_arg_ow(&a);
    layer->oh = kpu_arg_oh(&a);
    layer->oc = kpu_arg_oc(&a);
    layer->batches = batches;
    layer->dw = a.depth_wise_layer;
    layer->kernel_type = a.kernel_type;
    layer->pool_type = a.pool_type;
    layer->out_kpu = (uint64_t)a.image_dst_addr * KPU_RAM_LINE_BYTES;
    layer->out_kpu_size = out_map * batches;
    return KPU_OK;
}

static kpu_status_t check_copy(const v5_state_t *s, const v5_function_t *fn, const uint8_t *p,
                               uint32_t pc, kpu_diag_t *diag)
{
    v5_range_t in = v5_read_range(p + 4), out = v5_read_range(p + 16);
    uint32_t es = v5_dtype_size(in.datatype);
    kpu_status_t st = check_range(s, fn, in, 0, pc, diag);
    if (st == KPU_OK)
        st = check_range(s, fn, out, WRITTEN, pc, diag);
    if (st != KPU_OK)
        return st;
    uint64_t last_in = 0, last_out = 0;
    for (int d = 0; d < 4; d++) {
        uint64_t n = rd32(p + 28 + 4 * d);
        if (n == 0)
            return KPU_OK; /* nothing to copy */
        last_in += (n - 1) * rd32(p + 44 + 4 * d);
        last_out += (n - 1) * rd32(p + 60 + 4 * d);
    }
    if (es == 0 || (last_in + 1) * es > in.size || (last_out + 1) * es > out.size)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                            "k210 function %lu offset %lu: copy outside its ranges",
                            (unsigned long)fn->index, (unsigned long)pc);
    return KPU_OK;
}

kpu_status_t k210_validate_function(const v5_state_t *s, const v5_function_t *fn,
                                    k210_layer_cb cb, void *user, kpu_diag_t *diag)
{
    const v5_module_t *mod = &s->modules[fn->module];
    const uint8_t *code = mod->text + fn->entry;
    uint32_t pc = 0;
    while (pc < fn->text_size) {
        uint8_t op = code[pc];
        uint32_t size = insn_size(op);
        if (size == 0)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                "k210 function %lu: illegal instruction %u at offset %lu",
                                (unsigned long)fn->index, (unsigned)op, (unsigned long)pc);
        if ((uint64_t)pc + size > fn->text_size)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                "k210 function %lu: %s at offset %lu runs past the code",
                                (unsigned long)fn->index, op_name(op), (unsigned long)pc);
        const uint8_t *p = code + pc;
        kpu_status_t st = KPU_OK;
        if (op == K210_UPLOAD || op == K210_DOWNLOAD) {
            st = check_transfer(s, fn, p, pc, diag);
        } else if (op == K210_CONV2D) {
            v5_layer_t layer;
            st = check_conv(s, fn, p, pc, &layer, diag);
            if (st == KPU_OK && cb)
                cb(user, &layer);
        } else {
            st = check_copy(s, fn, p, pc, diag);
        }
        if (st != KPU_OK)
            return st;
        pc += size;
    }
    return KPU_OK;
}

/* ---- execution ---- */

typedef struct bound {
    const v5_state_t *s;
    const v5_function_t *fn;
    uint8_t *const *in, *const *out;
    uint8_t *data;
} bound_t;

/* Host address of a (validated) non-KPU range. */
static uint8_t *host(const bound_t *b, v5_range_t r)
{
    const v5_module_t *mod = &b->s->modules[b->fn->module];
    if (r.location == V5_LOC_RDATA)
        return (uint8_t *)(uintptr_t)(mod->rdata + r.start);
    if (r.location == V5_LOC_DATA)
        return b->data + r.start;
    int out = r.location == V5_LOC_OUTPUT;
    uint32_t n = out ? b->fn->outputs : b->fn->inputs;
    for (uint32_t i = 0; i < n; i++) {
        v5_range_t d;
        v5_shape_t sh;
        v5_function_io(b->s, b->fn, out, i, &d, &sh);
        if (d.start == r.start)
            return out ? b->out[i] : b->in[i];
    }
    return NULL;
}

static kpu_status_t backend_failed(sv_ctx_t *c, kpu_status_t st, const char *what)
{
    if (c->diag && c->diag->status == st && c->diag->text[0])
        return st;
    return kpu_diag_set(c->diag, st, (int32_t)c->layers_done, "k210: KPU backend %s failed (%s)",
                        what, kpu_status_name(st));
}

/* Marks computed layers whose KPU RAM output [at, at + n) overlaps as overwritten. */
static void clobber(sv_ctx_t *c, uint64_t at, uint64_t n)
{
    v5_state_t *s = c->s;
    for (uint32_t j = 0; j < c->layers_done && j < s->nlayers; j++) {
        const v5_layer_t *l = &s->layers[j];
        if (at < l->out_kpu + l->out_kpu_size && l->out_kpu < at + n)
            s->layer_clobbered[j] = 1;
    }
}

static kpu_status_t run_transfer(sv_ctx_t *c, const bound_t *b, const uint8_t *p)
{
    int up = p[0] == K210_UPLOAD;
    v5_range_t in = v5_read_range(p + 4), out = v5_read_range(p + 16);
    uint32_t n = rd32(p + 28), ch = rd32(p + 32), h = rd32(p + 36), w = rd32(p + 40);
    uint8_t *mem = host(b, up ? in : out);
    uint32_t line = (up ? out.start : in.start) / KPU_RAM_LINE_BYTES;
    kpu_ram_layout_t l;
    kpu_ram_layout_init(&l, w, h, ch);
    uint32_t lines = (uint32_t)kpu_ram_layout_lines(&l);
    size_t dense = (size_t)ch * h * w;
    for (uint32_t i = 0; i < n; i++) {
        kpu_status_t st = up ? kpu_ram_layout_write(&l, c->backend, line + i * lines, 0, ch,
                                                    mem + i * dense, dense)
                             : kpu_ram_layout_read(&l, c->backend, line + i * lines, 0, ch,
                                                   mem + i * dense, dense);
        if (st != KPU_OK)
            return backend_failed(c, st, up ? "RAM write" : "RAM read");
    }
    if (up)
        clobber(c, (uint64_t)out.start, (uint64_t)lines * KPU_RAM_LINE_BYTES * n);
    return KPU_OK;
}

static kpu_status_t run_conv(sv_ctx_t *c, const bound_t *b, const uint8_t *p)
{
    v5_range_t wr = v5_read_range(p + 4), bn = v5_read_range(p + 16);
    v5_range_t act = v5_read_range(p + 28), mo = v5_read_range(p + 40);
    uint32_t batches = rd32(p + 52);
    kpu_layer_arg_t a;
    kpu_layer_arg_decode(p + 56, &a);
    uint32_t in_lines = (uint32_t)(map_bytes(kpu_arg_iw(&a), kpu_arg_ih(&a), kpu_arg_ic(&a)) /
                                   KPU_RAM_LINE_BYTES);
    uint32_t out_lines = (uint32_t)(map_bytes(kpu_arg_ow(&a), kpu_arg_oh(&a), kpu_arg_oc(&a)) /
                                    KPU_RAM_LINE_BYTES);
    size_t dense = (size_t)kpu_arg_ow(&a) * kpu_arg_oh(&a) * kpu_arg_oc(&a);
    uint8_t *main_out = mo.size ? host(b, mo) : NULL;
    uint32_t src = a.image_src_addr, dst = a.image_dst_addr;
    for (uint32_t i = 0; i < batches; i++) {
        kpu_conv_job_t job;
        memset(&job, 0, sizeof job);
        a.image_src_addr = src + i * in_lines;
        a.image_dst_addr = dst + i * out_lines;
        a.send_data_out = main_out != NULL;
        if (batches == 1) {
            kpu_layer_arg_words(p + 56, job.arg);
            job.arg[11] = (job.arg[11] & ~1ull) | (main_out != NULL);
        } else {
            kpu_layer_arg_encode(&a, job.arg);
        }
        if (main_out) {
            job.stream_out = main_out + i * dense;
            job.stream_size = dense;
        }
        job.weights = host(b, wr);
        job.weights_size = wr.size;
        job.bn = host(b, bn);
        job.act = host(b, act);
        job.eight_bit = v5_dtype_size(wr.datatype) == 1;
        kpu_status_t st = c->backend->ops->submit(c->backend->self, &job, c->diag);
        if (st != KPU_OK)
            return backend_failed(c, st, "submit");
        st = c->backend->ops->wait(c->backend->self, CONV_TIMEOUT_MS, c->diag);
        if (st != KPU_OK)
            return backend_failed(c, st, "wait");
    }
    clobber(c, (uint64_t)dst * KPU_RAM_LINE_BYTES, (uint64_t)out_lines * KPU_RAM_LINE_BYTES *
                                                       batches);
    if (c->layers_done < c->s->nlayers)
        c->s->layer_clobbered[c->layers_done] = 0;
    c->layers_done++;
    if (c->last_layer != UINT32_MAX && c->layers_done > c->last_layer)
        c->stopped = 1;
    return KPU_OK;
}

static void run_copy(const bound_t *b, const uint8_t *p)
{
    v5_range_t in = v5_read_range(p + 4), out = v5_read_range(p + 16);
    uint32_t es = v5_dtype_size(in.datatype);
    const uint8_t *src = host(b, in);
    uint8_t *dst = host(b, out);
    uint32_t n[4], si[4], so[4];
    for (int d = 0; d < 4; d++) {
        n[d] = rd32(p + 28 + 4 * d);
        si[d] = rd32(p + 44 + 4 * d);
        so[d] = rd32(p + 60 + 4 * d);
    }
    for (uint32_t i0 = 0; i0 < n[0]; i0++)
        for (uint32_t i1 = 0; i1 < n[1]; i1++)
            for (uint32_t i2 = 0; i2 < n[2]; i2++)
                for (uint32_t i3 = 0; i3 < n[3]; i3++) {
                    uint64_t a = (uint64_t)i0 * si[0] + (uint64_t)i1 * si[1] +
                                 (uint64_t)i2 * si[2] + (uint64_t)i3 * si[3];
                    uint64_t o = (uint64_t)i0 * so[0] + (uint64_t)i1 * so[1] +
                                 (uint64_t)i2 * so[2] + (uint64_t)i3 * so[3];
                    memmove(dst + o * es, src + a * es, es);
                }
}

kpu_status_t k210_run_function(sv_ctx_t *c, uint32_t fn_index, uint8_t *const *in,
                               const uint64_t *in_size, uint8_t *const *out,
                               const uint64_t *out_size)
{
    (void)in_size;
    (void)out_size; /* the caller bound views of exactly the declared sizes */
    v5_state_t *s = c->s;
    v5_function_t fn;
    kpu_status_t st = v5_function_get(s, s->k210_module, fn_index, &fn, c->diag);
    if (st != KPU_OK)
        return st;
    if (!c->backend || !c->backend->ops)
        return kpu_diag_set(c->diag, KPU_ERR_ARGUMENT, -1,
                            "the model calls the KPU (k210 function %lu): a backend is needed",
                            (unsigned long)fn_index);
    bound_t b = {s, &fn, in, out, c->m->main_mem + s->kdata_off};
    const uint8_t *code = s->modules[fn.module].text + fn.entry;
    for (uint32_t pc = 0; pc < fn.text_size && !c->stopped; pc += insn_size(code[pc])) {
        const uint8_t *p = code + pc;
        if (p[0] == K210_UPLOAD || p[0] == K210_DOWNLOAD)
            st = run_transfer(c, &b, p);
        else if (p[0] == K210_CONV2D)
            st = run_conv(c, &b, p);
        else
            run_copy(&b, p);
        if (st != KPU_OK)
            return st;
    }
    return KPU_OK;
}
