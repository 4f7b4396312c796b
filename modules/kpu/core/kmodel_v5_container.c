/* The kmodel V5 container (spec kmodel-v4-v5.md Part B): model header, modules, mempools,
 * functions and sections, parsed and bounds-checked without allocating. */
#include "stackvm.h"

#define KMDL_MAGIC 0x4B4D444Cu
#define V5_MAX_MEMPOOLS 16u
#define V5_MAX_SECTIONS 16u

static uint32_t rd32(const uint8_t *p) { return kpu_rd32(p, 0); }

v5_range_t v5_read_range(const uint8_t *p)
{
    v5_range_t r;
    r.location = p[0];
    r.datatype = p[1];
    r.start = rd32(p + 4);
    r.size = rd32(p + 8);
    return r;
}

uint32_t v5_dtype_size(uint32_t dt)
{
    static const uint8_t sizes[V5_DT_COUNT] = {1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 2};
    return dt < V5_DT_COUNT ? sizes[dt] : 0;
}

const char *v5_dtype_name(uint32_t dt)
{
    static const char *const names[V5_DT_COUNT] = {
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", "bfloat16"};
    return dt < V5_DT_COUNT ? names[dt] : "unknown";
}

/* Parses one function's descriptors: n ranges then n shapes, twice; returns the bytes used or
 * 0 when they do not fit in avail bytes. */
static uint64_t io_bytes(const uint8_t *p, uint64_t avail, uint32_t nin, uint32_t nout)
{
    uint64_t at = 0;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t n = pass ? nout : nin;
        if (at + (uint64_t)n * V5_RANGE_BYTES > avail)
            return 0;
        at += (uint64_t)n * V5_RANGE_BYTES;
        for (uint32_t i = 0; i < n; i++) {
            if (at + 4 > avail)
                return 0;
            uint32_t rank = rd32(p + at);
            if (rank > V5_MAX_RANK || at + 4 + 4ull * rank > avail)
                return 0;
            at += 4 + 4ull * rank;
        }
    }
    return at;
}

static int name_is(const uint8_t *p, const char *name)
{
    size_t n = strlen(name);
    if (memcmp(p, name, n) != 0)
        return 0;
    for (size_t i = n; i < 16; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

static kpu_status_t parse_sections(v5_module_t *mod, const uint8_t *data, uint64_t at,
                                   uint64_t end, uint32_t count, uint32_t mi, kpu_diag_t *diag)
{
    uint64_t merged_text = UINT64_MAX, merged_text_size = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (at + V5_SECTION_HEADER > end)
            return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1,
                                "V5 module %lu: section %lu header past the module end",
                                (unsigned long)mi, (unsigned long)i);
        const uint8_t *h = data + at;
        uint32_t flags = rd32(h + 16), body_start = rd32(h + 20), body_size = rd32(h + 24);
        int is_rdata = name_is(h, ".rdata"), is_text = name_is(h, ".text");
        at += V5_SECTION_HEADER;
        if (flags & 1u) { /* merged into .rdata: body_start is an offset inside it */
            if (is_text) {
                merged_text = body_start;
                merged_text_size = body_size;
            }
            continue;
        }
        uint64_t body = at + body_start;
        if (body + body_size > end)
            return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1,
                                "V5 module %lu: section %lu body (%llu bytes at %llu) past the "
                                "module end", (unsigned long)mi, (unsigned long)i,
                                (unsigned long long)body_size, (unsigned long long)body);
        if (is_rdata) {
            mod->rdata = data + body;
            mod->rdata_size = body_size;
        } else if (is_text) {
            mod->text = data + body;
            mod->text_size = body_size;
        }
        at = body + body_size;
    }
    if (merged_text != UINT64_MAX) {
        if (mod->rdata == NULL || merged_text + merged_text_size > mod->rdata_size)
            return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                                "V5 module %lu: .text merged outside .rdata", (unsigned long)mi);
        mod->text = mod->rdata + merged_text;
        mod->text_size = (uint32_t)merged_text_size;
    }
    if (!mod->text)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "V5 module %lu has no .text section",
                            (unsigned long)mi);
    return KPU_OK;
}

/* Functions of a module: headers and descriptors inside the module, code inside .text. */
static kpu_status_t check_functions(const v5_state_t *s, uint32_t mi, kpu_diag_t *diag)
{
    const v5_module_t *mod = &s->modules[mi];
    for (uint32_t f = 0; f < mod->nfunctions; f++) {
        v5_function_t fn;
        kpu_status_t st = v5_function_get(s, mi, f, &fn, diag);
        if (st != KPU_OK)
            return st;
        if ((uint64_t)fn.entry + fn.text_size > mod->text_size)
            return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                                "V5 module %lu function %lu: code %lu+%lu outside .text (%lu "
                                "bytes)", (unsigned long)mi, (unsigned long)f,
                                (unsigned long)fn.entry, (unsigned long)fn.text_size,
                                (unsigned long)mod->text_size);
        for (int o = 0; o < 2; o++)
            for (uint32_t i = 0; i < (o ? fn.outputs : fn.inputs); i++) {
                v5_range_t r;
                v5_shape_t sh;
                v5_function_io(s, &fn, o, i, &r, &sh);
                uint64_t n = v5_dtype_size(r.datatype);
                for (uint32_t d = 0; d < sh.rank; d++)
                    n = n * sh.dims[d] > UINT32_MAX ? UINT64_MAX : n * sh.dims[d];
                if (n == 0 || n != r.size || r.location != (o ? V5_LOC_OUTPUT : V5_LOC_INPUT))
                    return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                        "V5 module %lu function %lu: %s %lu descriptor (location "
                                        "%u, %s, %lu bytes) does not match its shape",
                                        (unsigned long)mi, (unsigned long)f,
                                        o ? "output" : "input", (unsigned long)i,
                                        (unsigned)r.location, v5_dtype_name(r.datatype),
                                        (unsigned long)r.size);
            }
    }
    return KPU_OK;
}

static kpu_status_t parse_module(v5_state_t *s, uint32_t mi, uint64_t at, uint64_t *next,
                                 kpu_diag_t *diag)
{
    const uint8_t *data = s->file;
    if (at + V5_MODULE_HEADER > s->file_size)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1, "V5 module %lu header past the end of "
                            "the file", (unsigned long)mi);
    const uint8_t *h = data + at;
    v5_module_t *mod = &s->modules[mi];
    memset(mod, 0, sizeof *mod);
    uint32_t size = rd32(h + 24), mempools = rd32(h + 28), shared = rd32(h + 32);
    uint32_t sections = rd32(h + 36), functions = rd32(h + 40);
    if (name_is(h, "stackvm"))
        mod->kind = V5_MOD_STACKVM;
    else if (name_is(h, "k210"))
        mod->kind = V5_MOD_K210;
    else
        return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1,
                            "V5 module %lu has type \"%.16s\": only stackvm and k210 modules "
                            "are supported", (unsigned long)mi, (const char *)h);
    if (size < V5_MODULE_HEADER)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "V5 module %lu size %lu is below its "
                            "header", (unsigned long)mi, (unsigned long)size);
    /* the writer may seek past the final padding without writing it */
    uint64_t end = at + size;
    if (end > s->file_size + 7u)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1,
                            "V5 module %lu (%lu bytes at %llu) runs past the end of the file",
                            (unsigned long)mi, (unsigned long)size, (unsigned long long)at);
    if (end > s->file_size)
        end = s->file_size;
    if (mempools > V5_MAX_MEMPOOLS || sections > V5_MAX_SECTIONS ||
        functions > V5_MAX_FUNCTIONS)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "V5 module %lu: %lu mempools, %lu sections, "
                            "%lu functions (limits %u, %u, %u)", (unsigned long)mi,
                            (unsigned long)mempools, (unsigned long)sections,
                            (unsigned long)functions, V5_MAX_MEMPOOLS, V5_MAX_SECTIONS,
                            V5_MAX_FUNCTIONS);
    if (shared != 0)
        return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1,
                            "V5 module %lu has %lu shared mempools (not supported)",
                            (unsigned long)mi, (unsigned long)shared);
    uint64_t p = at + V5_MODULE_HEADER;
    if (p + 8ull * mempools > end)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1, "V5 module %lu mempools past its end",
                            (unsigned long)mi);
    for (uint32_t i = 0; i < mempools; i++, p += 8)
        if (data[p] == V5_LOC_DATA)
            mod->data_size = rd32(data + p + 4);
    mod->nfunctions = functions;
    mod->functions_offset = p;
    for (uint32_t i = 0; i < functions; i++) {
        if (p + V5_FUNCTION_HEADER > end)
            return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1,
                                "V5 module %lu function %lu header past the module end",
                                (unsigned long)mi, (unsigned long)i);
        uint32_t fsize = rd32(data + p + 4), nin = rd32(data + p + 16);
        uint32_t nout = rd32(data + p + 20);
        int bad = fsize < V5_FUNCTION_HEADER || p + fsize > end || nin > V5_MAX_IO ||
                  nout > V5_MAX_IO;
        if (!bad && nin + nout > 0)
            bad = io_bytes(data + p + V5_FUNCTION_HEADER, fsize - V5_FUNCTION_HEADER, nin,
                           nout) == 0;
        if (bad)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                "V5 module %lu function %lu: size %lu does not hold %lu "
                                "inputs and %lu outputs (rank <= %u, at most %u each)",
                                (unsigned long)mi, (unsigned long)i, (unsigned long)fsize,
                                (unsigned long)nin, (unsigned long)nout, V5_MAX_RANK,
                                V5_MAX_IO);
        p += fsize;
    }
    kpu_status_t st = parse_sections(mod, data, p, end, sections, mi, diag);
    if (st != KPU_OK)
        return st;
    *next = at + size;
    return KPU_OK;
}

kpu_status_t v5_function_get(const v5_state_t *s, uint32_t module, uint32_t index,
                             v5_function_t *fn, kpu_diag_t *diag)
{
    if (module >= s->nmodules || index >= s->modules[module].nfunctions)
        return kpu_diag_set(diag, KPU_ERR_INDEX, -1, "V5 function %lu of module %lu does not "
                            "exist", (unsigned long)index, (unsigned long)module);
    uint64_t p = s->modules[module].functions_offset;
    for (uint32_t i = 0; i < index; i++)
        p += rd32(s->file + p + 4); /* sizes were checked by v5_parse */
    const uint8_t *h = s->file + p;
    fn->module = module;
    fn->index = index;
    fn->offset = p;
    fn->inputs = rd32(h + 16);
    fn->outputs = rd32(h + 20);
    fn->entry = rd32(h + 24);
    fn->text_size = rd32(h + 28);
    return KPU_OK;
}

void v5_function_io(const v5_state_t *s, const v5_function_t *fn, int is_output, uint32_t i,
                    v5_range_t *range, v5_shape_t *shape)
{
    const uint8_t *p = s->file + fn->offset + V5_FUNCTION_HEADER;
    uint64_t at = 0;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t n = pass ? fn->outputs : fn->inputs;
        const uint8_t *ranges = p + at;
        at += (uint64_t)n * V5_RANGE_BYTES;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t rank = rd32(p + at);
            if (pass == is_output && k == i) {
                *range = v5_read_range(ranges + (uint64_t)k * V5_RANGE_BYTES);
                shape->rank = rank;
                for (uint32_t d = 0; d < rank; d++)
                    shape->dims[d] = rd32(p + at + 4 + 4ull * d);
                return;
            }
            at += 4 + 4ull * rank;
        }
    }
}

kpu_status_t v5_parse(v5_state_t *s, const uint8_t *data, size_t size, kpu_diag_t *diag)
{
    memset(s, 0, sizeof *s);
    s->file = data;
    s->file_size = size;
    s->k210_module = V5_MAX_MODULES;
    if (size < V5_MODEL_HEADER)
        return kpu_diag_set(diag, KPU_ERR_TRUNCATED, -1, "%lu bytes is too short for a V5 header",
                            (unsigned long)size);
    if (rd32(data) != KMDL_MAGIC || rd32(data + 4) != 5)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1, "not a kmodel V5 file");
    uint32_t modules = rd32(data + 20);
    s->entry_module = rd32(data + 24);
    s->entry_function = rd32(data + 28);
    if (modules == 0 || modules > V5_MAX_MODULES)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "V5 model with %lu modules (1..%u)",
                            (unsigned long)modules, V5_MAX_MODULES);
    s->nmodules = modules;
    uint64_t at = V5_MODEL_HEADER;
    for (uint32_t i = 0; i < modules; i++) {
        kpu_status_t st = parse_module(s, i, at, &at, diag);
        if (st != KPU_OK)
            return st;
        if (s->modules[i].kind == V5_MOD_K210) {
            if (s->k210_module != V5_MAX_MODULES)
                return kpu_diag_set(diag, KPU_ERR_NOT_IMPLEMENTED, -1,
                                    "V5 model with more than one k210 module");
            s->k210_module = i;
        }
    }
    for (uint32_t i = 0; i < modules; i++) {
        kpu_status_t st = check_functions(s, i, diag);
        if (st != KPU_OK)
            return st;
    }
    if (s->entry_module >= modules || s->modules[s->entry_module].kind != V5_MOD_STACKVM ||
        s->entry_function >= s->modules[s->entry_module].nfunctions)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "V5 entry function %lu of module %lu is not a stackvm function",
                            (unsigned long)s->entry_function, (unsigned long)s->entry_module);
    return KPU_OK;
}
