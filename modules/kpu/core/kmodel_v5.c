/* The kmodel V5 container as a kpu_container_t (nncase 1.x, K210 target): validation (the
 * container, then a dry run of the whole stackvm program and the k210 functions it calls),
 * the model's memory, running the entry function, outputs, and the KPU convolutions as the
 * "layers" of netinfo and feature maps. */
#include "stackvm.h"

#include "kmodel_v5.h"
#include "kpu_layer_arg.h"
#include "kpu_ram_layout.h"

#if KPU_V5_MAX_RANK != V5_MAX_RANK
#error "kpu_v5_output_dims hands out V5_MAX_RANK dims"
#endif

static v5_state_t *state(const kpu_model_t *m) { return m->state; }

/* The entry function's I/O: one uint8/float32 input, uint8/float32 outputs. */
static kpu_status_t check_entry(const v5_state_t *s, v5_function_t *fn, kpu_diag_t *diag)
{
    kpu_status_t st = v5_function_get(s, s->entry_module, s->entry_function, fn, diag);
    if (st != KPU_OK)
        return st;
    if (fn->inputs != 1)
        return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1,
                            "V5 model with %lu inputs (this runtime feeds exactly one)",
                            (unsigned long)fn->inputs);
    for (int o = 0; o < 2; o++)
        for (uint32_t i = 0; i < (o ? fn->outputs : fn->inputs); i++) {
            v5_range_t r;
            v5_shape_t sh;
            v5_function_io(s, fn, o, i, &r, &sh);
            if (r.datatype != V5_DT_U8 && r.datatype != V5_DT_F32)
                return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1,
                                    "V5 model %s %lu is %s (only uint8 and float32)",
                                    o ? "output" : "input", (unsigned long)i,
                                    v5_dtype_name(r.datatype));
        }
    return KPU_OK;
}

static kpu_status_t v5_validate(const uint8_t *data, size_t size, int swapped, kpu_diag_t *diag)
{
    if (swapped)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "a kmodel V5 is never word-swapped");
    v5_state_t s;
    kpu_status_t st = v5_parse(&s, data, size, diag);
    v5_function_t fn;
    if (st == KPU_OK)
        st = check_entry(&s, &fn, diag);
    sv_gen_t gen;
    sv_plan_t plan;
    if (st == KPU_OK)
        st = sv_check_program(&s, &gen, &plan, NULL, diag);
    return st;
}

static uint64_t pool_size(const v5_state_t *s, const v5_function_t *fn, int out)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < (out ? fn->outputs : fn->inputs); i++) {
        v5_range_t r;
        v5_shape_t sh;
        v5_function_io(s, fn, out, i, &r, &sh);
        if ((uint64_t)r.start + r.size > n)
            n = (uint64_t)r.start + r.size;
    }
    return n;
}

static uint64_t up8(uint64_t v) { return (v + 7u) & ~(uint64_t)7u; }

static void *alloc_zero(kpu_model_t *m, size_t n, size_t align)
{
    void *p = kpu_model_alloc(m, n, align);
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

static kpu_status_t v5_open(kpu_model_t *m, kpu_diag_t *diag)
{
    v5_state_t *s = alloc_zero(m, sizeof *s, 8);
    if (!s)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the V5 model state");
    m->state = s;
    v5_function_t fn;
    sv_plan_t plan;
    kpu_status_t st = v5_parse(s, m->data, m->size, diag);
    if (st == KPU_OK)
        st = check_entry(s, &fn, diag);
    if (st == KPU_OK)
        st = sv_check_program(s, &s->gen, &plan, NULL, diag);
    if (st != KPU_OK)
        return st;
    s->nlayers = plan.nlayers;
    s->stack_cap = (plan.max_stack < 56 ? 56 : plan.max_stack) + 8;
    s->nshape_regs = plan.nshape_regs;
    s->npad_regs = plan.npad_regs;
    s->layers = alloc_zero(m, sizeof *s->layers * s->nlayers, 8);
    s->layer_clobbered = alloc_zero(m, s->nlayers, 8);
    s->stack = alloc_zero(m, sizeof *s->stack * s->stack_cap, 8);
    s->stack_tag = alloc_zero(m, s->stack_cap, 8);
    s->shape_vals = alloc_zero(m, sizeof *s->shape_vals * V5_SHAPE_SLOT * s->nshape_regs, 8);
    s->shape_rank = alloc_zero(m, sizeof *s->shape_rank * s->nshape_regs, 8);
    s->pad_vals = alloc_zero(m, sizeof *s->pad_vals * V5_SHAPE_SLOT * 3 * s->npad_regs, 8);
    s->pad_rank = alloc_zero(m, sizeof *s->pad_rank * s->npad_regs, 8);
    if (!s->layers || !s->layer_clobbered || !s->stack || !s->stack_tag || !s->shape_vals ||
        !s->shape_rank || !s->pad_vals || !s->pad_rank)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the stackvm machine");
    for (uint32_t r = 0; r < s->nshape_regs; r++)
        s->shape_rank[r] = UINT32_MAX;
    for (uint32_t r = 0; r < s->npad_regs; r++)
        s->pad_rank[r] = UINT32_MAX;
    sv_plan_t again;
    st = sv_dry_run(s, s->gen, 1, &again, s->layers, diag);
    if (st != KPU_OK)
        return st;
    s->in_size = pool_size(s, &fn, 0);
    s->out_size = pool_size(s, &fn, 1);
    s->data_size = s->modules[s->entry_module].data_size;
    s->kdata_size = s->k210_module < V5_MAX_MODULES ? s->modules[s->k210_module].data_size : 0;
    s->in_pool = 0;
    s->out_pool = up8(s->in_size);
    s->data_off = s->out_pool + up8(s->out_size);
    s->kdata_off = s->data_off + up8(s->data_size);
    uint64_t total = s->kdata_off + up8(s->kdata_size);
    if (total > SIZE_MAX / 2)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "V5 model needs %llu bytes of memory",
                            (unsigned long long)total);
    m->main_mem = alloc_zero(m, (size_t)total, 64);
    if (!m->main_mem)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the model's %llu bytes "
                            "of tensors", (unsigned long long)total);
    m->main_size = (size_t)total;
    return KPU_OK;
}

static void v5_close(kpu_model_t *m)
{
    v5_state_t *s = state(m);
    if (!s)
        return;
    kpu_model_release(m, s->layers, sizeof *s->layers * s->nlayers);
    kpu_model_release(m, s->layer_clobbered, s->nlayers);
    kpu_model_release(m, s->stack, sizeof *s->stack * s->stack_cap);
    kpu_model_release(m, s->stack_tag, s->stack_cap);
    kpu_model_release(m, s->shape_vals, sizeof *s->shape_vals * V5_SHAPE_SLOT * s->nshape_regs);
    kpu_model_release(m, s->shape_rank, sizeof *s->shape_rank * s->nshape_regs);
    kpu_model_release(m, s->pad_vals, sizeof *s->pad_vals * V5_SHAPE_SLOT * 3 * s->npad_regs);
    kpu_model_release(m, s->pad_rank, sizeof *s->pad_rank * s->npad_regs);
    if (m->main_mem)
        kpu_model_release(m, m->main_mem, m->main_size);
    m->main_mem = NULL;
    kpu_model_release(m, s, sizeof *s);
    m->state = NULL;
}

/* A model without KPU convolutions (CPU only) shows its whole program as one layer, so that
 * it can be run and its output read like any other. */
static uint32_t v5_layer_count(const kpu_model_t *m)
{
    return state(m)->nlayers ? state(m)->nlayers : 1u;
}

static uint32_t v5_output_count(const kpu_model_t *m)
{
    v5_function_t fn;
    v5_state_t *s = state(m);
    return v5_function_get(s, s->entry_module, s->entry_function, &fn, NULL) == KPU_OK
               ? fn.outputs : 0;
}

static void entry_io(const kpu_model_t *m, int out, uint32_t i, v5_range_t *r, v5_shape_t *sh)
{
    v5_state_t *s = state(m);
    v5_function_t fn;
    v5_function_get(s, s->entry_module, s->entry_function, &fn, NULL);
    v5_function_io(s, &fn, out, i, r, sh);
}

/* A recorded tensor in memory order: w innermost, h next, c the product of the others (the
 * validated shape covers exactly the range's bytes, so w * h * c * element size == size). */
static void describe_io(const v5_range_t *r, const v5_shape_t *sh, kpu_tensor_info_t *info)
{
    memset(info, 0, sizeof *info);
    info->w = info->h = info->c = 1;
    if (sh->rank >= 1)
        info->w = sh->dims[sh->rank - 1];
    if (sh->rank >= 2)
        info->h = sh->dims[sh->rank - 2];
    for (uint32_t d = 0; d + 2 < sh->rank; d++)
        info->c *= sh->dims[d];
    info->dtype = r->datatype == V5_DT_F32 ? KPU_DTYPE_FLOAT32 : KPU_DTYPE_UINT8;
    info->size = r->size;
}

static kpu_status_t v5_input_info(const kpu_model_t *m, kpu_tensor_info_t *info,
                                  kpu_diag_t *diag)
{
    (void)diag;
    v5_range_t r;
    v5_shape_t sh;
    entry_io(m, 0, 0, &r, &sh);
    describe_io(&r, &sh, info);
    return KPU_OK;
}

static kpu_status_t v5_run(kpu_model_t *m, const kpu_backend_t *backend, const void *input,
                           size_t input_size, uint32_t last_layer, kpu_diag_t *diag)
{
    v5_state_t *s = state(m);
    v5_range_t r;
    v5_shape_t sh;
    entry_io(m, 0, 0, &r, &sh);
    if (input_size != r.size)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1, "input has %lu bytes, the model takes %lu "
                            "(%s)", (unsigned long)input_size, (unsigned long)r.size,
                            v5_dtype_name(r.datatype));
    memcpy(m->main_mem + s->in_pool + r.start, input, input_size);
    sv_ctx_t c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.s = s;
    c.backend = backend;
    c.diag = diag;
    c.last_layer = (s->nlayers == 0 || last_layer + 1 >= s->nlayers) ? UINT32_MAX : last_layer;
    memset(s->layer_clobbered, 0, s->nlayers);
    v5_function_t fn;
    kpu_status_t st = v5_function_get(s, s->entry_module, s->entry_function, &fn, diag);
    if (st == KPU_OK)
        st = sv_run_function(&c, &fn);
    if (st == KPU_OK && c.last_layer != UINT32_MAX && !c.stopped)
        return kpu_diag_set(diag, KPU_ERR_RUN, (int32_t)last_layer,
                            "the program ended before KPU layer %lu", (unsigned long)last_layer);
    return st;
}

static kpu_status_t v5_output(const kpu_model_t *m, uint32_t i, const uint8_t **data,
                              size_t *size, kpu_dtype_t *dtype, kpu_diag_t *diag)
{
    (void)diag;
    v5_range_t r;
    v5_shape_t sh;
    entry_io(m, 1, i, &r, &sh);
    *data = m->main_mem + state(m)->out_pool + r.start;
    *size = r.size;
    *dtype = r.datatype == V5_DT_F32 ? KPU_DTYPE_FLOAT32 : KPU_DTYPE_UINT8;
    return KPU_OK;
}

static kpu_status_t v5_layer_output_info(const kpu_model_t *m, uint32_t layer,
                                         kpu_tensor_info_t *info, kpu_diag_t *diag);

static kpu_status_t v5_layer_info(const kpu_model_t *m, uint32_t layer, kpu_layer_info_t *info,
                                  kpu_diag_t *diag)
{
    v5_state_t *s = state(m);
    if (s->nlayers == 0) {
        kpu_tensor_info_t in, out;
        v5_input_info(m, &in, diag);
        v5_layer_output_info(m, 0, &out, diag);
        v5_function_t fn;
        kpu_status_t st = v5_function_get(s, s->entry_module, s->entry_function, &fn, diag);
        if (st != KPU_OK)
            return st;
        memset(info, 0, sizeof *info);
        info->type = KPU_V5_PROGRAM_LAYER;
        info->body_offset = (uint32_t)(s->modules[s->entry_module].text + fn.entry - m->data);
        info->body_size = fn.text_size;
        info->wi = in.w;
        info->hi = in.h;
        info->chi = in.c;
        info->wo = out.w;
        info->ho = out.h;
        info->cho = out.c;
        return KPU_OK;
    }
    const v5_layer_t *l = &s->layers[layer];
    v5_function_t fn;
    kpu_status_t st = v5_function_get(s, s->k210_module, l->k210_function, &fn, diag);
    if (st != KPU_OK)
        return st;
    const uint8_t *p = s->modules[s->k210_module].text + fn.entry + l->insn_offset;
    kpu_layer_arg_t a;
    kpu_layer_arg_decode(p + 56, &a);
    memset(info, 0, sizeof *info);
    info->index = layer;
    info->type = KL_K210_CONV;
    info->wi = l->iw;
    info->hi = l->ih;
    info->chi = l->ic;
    info->wo = l->ow;
    info->ho = l->oh;
    info->cho = l->oc;
    info->dw = l->dw;
    info->kernel_type = l->kernel_type;
    info->pool_type = l->pool_type;
    info->para_size = a.para_size;
    info->body_offset = (uint32_t)(p - m->data);
    info->body_size = K210_CONV_BYTES;
    return KPU_OK;
}

static kpu_status_t v5_layer_output_info(const kpu_model_t *m, uint32_t layer,
                                         kpu_tensor_info_t *info, kpu_diag_t *diag)
{
    (void)diag;
    memset(info, 0, sizeof *info);
    if (state(m)->nlayers == 0) { /* the program layer: output 0 */
        v5_range_t r;
        v5_shape_t sh;
        entry_io(m, 1, 0, &r, &sh);
        describe_io(&r, &sh, info);
        return KPU_OK;
    }
    const v5_layer_t *l = &state(m)->layers[layer];
    info->w = l->ow;
    info->h = l->oh;
    info->c = l->oc * l->batches;
    info->dtype = KPU_DTYPE_UINT8;
    info->size = (size_t)l->ow * l->oh * l->oc * l->batches;
    return KPU_OK;
}

static kpu_status_t read_program_output(const kpu_model_t *m, int32_t channel, void *dst,
                                        size_t dst_size, size_t *copied, kpu_diag_t *diag)
{
    kpu_tensor_info_t info;
    v5_layer_output_info(m, 0, &info, diag);
    const uint8_t *data;
    size_t size;
    kpu_dtype_t dtype;
    v5_output(m, 0, &data, &size, &dtype, diag);
    size_t plane = size / (info.c ? info.c : 1), first = 0, n = size;
    if (channel >= 0) {
        if ((uint32_t)channel >= info.c)
            return kpu_diag_set(diag, KPU_ERR_INDEX, 0, "channel %ld out of range (%lu)",
                                (long)channel, (unsigned long)info.c);
        first = (size_t)channel * plane;
        n = plane;
    }
    if (dst_size < n)
        return kpu_diag_set(diag, KPU_ERR_SIZE, 0, "destination has %lu bytes, %lu needed",
                            (unsigned long)dst_size, (unsigned long)n);
    memcpy(dst, data + first, n);
    *copied = n;
    return KPU_OK;
}

static kpu_status_t v5_read_layer_output(const kpu_model_t *m, const kpu_backend_t *backend,
                                         uint32_t layer, int32_t channel, void *dst,
                                         size_t dst_size, size_t *copied, kpu_diag_t *diag)
{
    v5_state_t *s = state(m);
    if (s->nlayers == 0)
        return read_program_output(m, channel, dst, dst_size, copied, diag);
    const v5_layer_t *l = &s->layers[layer];
    if (s->layer_clobbered[layer])
        return kpu_diag_set(diag, KPU_ERR_STATE, (int32_t)layer,
                            "layer %lu's output was overwritten in KPU RAM by a later layer; run "
                            "up to layer %lu to read it", (unsigned long)layer,
                            (unsigned long)layer);
    if (!backend || !backend->ops)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, (int32_t)layer,
                            "layer %lu's output is in KPU RAM: a backend is needed",
                            (unsigned long)layer);
    uint32_t total = l->oc * l->batches;
    if (channel >= 0 && (uint32_t)channel >= total)
        return kpu_diag_set(diag, KPU_ERR_INDEX, (int32_t)layer,
                            "channel %ld out of range (layer %lu has %lu)", (long)channel,
                            (unsigned long)layer, (unsigned long)total);
    size_t plane = (size_t)l->ow * l->oh;
    uint32_t first = channel >= 0 ? (uint32_t)channel : 0, count = channel >= 0 ? 1 : total;
    size_t n = plane * count;
    if (dst_size < n)
        return kpu_diag_set(diag, KPU_ERR_SIZE, (int32_t)layer,
                            "destination has %lu bytes, layer %lu needs %lu",
                            (unsigned long)dst_size, (unsigned long)layer, (unsigned long)n);
    kpu_ram_layout_t lay;
    kpu_ram_layout_init(&lay, l->ow, l->oh, l->oc);
    uint32_t lines = (uint32_t)kpu_ram_layout_lines(&lay);
    uint32_t base = (uint32_t)(l->out_kpu / KPU_RAM_LINE_BYTES);
    for (uint32_t k = 0; k < count; k++) {
        uint32_t ch = first + k, batch = ch / l->oc;
        kpu_status_t st = kpu_ram_layout_read(&lay, backend, base + batch * lines, ch % l->oc, 1,
                                              (uint8_t *)dst + k * plane, plane);
        if (st != KPU_OK)
            return kpu_diag_set(diag, st, (int32_t)layer, "layer %lu: KPU RAM read failed",
                                (unsigned long)layer);
    }
    *copied = n;
    return KPU_OK;
}

const kpu_container_t kpu_container_v5 = {
    5,
    v5_validate,
    v5_open,
    v5_close,
    v5_layer_count,
    v5_output_count,
    v5_input_info,
    v5_run,
    v5_output,
    v5_layer_info,
    v5_layer_output_info,
    v5_read_layer_output,
};

const char *kpu_v5_layer_type_name(uint32_t type)
{
    return type == KPU_V5_PROGRAM_LAYER ? "V5_STACKVM" : NULL;
}

static kpu_status_t check_output(const kpu_model_t *m, uint32_t i, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!m)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no model");
    if (m->container != &kpu_container_v5)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1, "recorded output shapes are for kmodel "
                            "V5 only (this is V%lu)", (unsigned long)m->container->version);
    if (i >= v5_output_count(m))
        return kpu_diag_set(diag, KPU_ERR_INDEX, -1, "output %lu out of range (the model has "
                            "%lu)", (unsigned long)i, (unsigned long)v5_output_count(m));
    return KPU_OK;
}

kpu_status_t kpu_v5_output_info(const kpu_model_t *m, uint32_t i, kpu_tensor_info_t *info,
                                kpu_diag_t *diag)
{
    kpu_status_t st = check_output(m, i, diag);
    if (st != KPU_OK)
        return st;
    if (!info)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no info");
    v5_range_t r;
    v5_shape_t sh;
    entry_io(m, 1, i, &r, &sh);
    describe_io(&r, &sh, info);
    return KPU_OK;
}

kpu_status_t kpu_v5_output_dims(const kpu_model_t *m, uint32_t i, uint32_t *dims,
                                uint32_t *rank, kpu_diag_t *diag)
{
    kpu_status_t st = check_output(m, i, diag);
    if (st != KPU_OK)
        return st;
    if (!dims || !rank)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no dims or rank");
    v5_range_t r;
    v5_shape_t sh;
    entry_io(m, 1, i, &r, &sh);
    *rank = sh.rank;
    memcpy(dims, sh.dims, sizeof *dims * sh.rank);
    return KPU_OK;
}
