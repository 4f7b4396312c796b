/* Models in SPI flash: the size from the header tables (spec 6.2), KPU.load(offset), and
 * KPU.load_flash's memory-saving mode, which keeps a compact image of the model resident and
 * streams each K210_CONV layer's weights / BN / activation blocks from flash when it runs
 * (V3 here; V4 in kpu_flash_stream_v4.c). */
#include "kpu_net_internal.h"

#include "kmodel_v3.h"

#define KMDL_MAGIC 0x4B4D444Cu
#define KMDL_SWAPPED 0x4C444D4Bu /* "KMDL" after model_le2be */
#define V5_HEADER_BYTES 32u
#define V5_MODULE_HEADER_BYTES 48u
#define V4_HEADER_BYTES 40u
#define LAYER_HEADERS_PER_READ 32u

/* ----- reading --------------------------------------------------------------------------- */

static kpu_status_t raw_read(const kpu_flash_t *flash, uint64_t addr, void *dst, size_t n,
                             uint32_t batch, kpu_diag_t *diag)
{
    if (addr > UINT32_MAX || n > UINT32_MAX - addr)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1, "flash range 0x%llx+%lu beyond 4 GiB",
                            (unsigned long long)addr, (unsigned long)n);
    uint8_t *out = dst;
    while (n > 0) {
        size_t chunk = (batch && n > batch) ? batch : n;
        if (flash->read(flash->ctx, (uint32_t)addr, out, chunk) != 0)
            return kpu_diag_set(diag, KPU_ERR_READ, -1, "flash read of %lu bytes at 0x%lx failed",
                                (unsigned long)chunk, (unsigned long)addr);
        out += chunk;
        addr += chunk;
        n -= chunk;
    }
    return KPU_OK;
}

kpu_status_t kpu_flash_read_le(const kpu_flash_t *flash, uint32_t base, uint64_t off, void *dst,
                               size_t n, int swap, uint32_t batch, kpu_diag_t *diag)
{
    if (!swap)
        return raw_read(flash, (uint64_t)base + off, dst, n, batch, diag);
    /* the swapped file is converted word by word from its start: whole words in place, the
     * partial words at either end through a 4-byte bounce */
    uint8_t *out = dst;
    while (n > 0) {
        uint64_t word = off & ~(uint64_t)3;
        size_t skip = (size_t)(off - word);
        if (skip == 0 && n >= 4) {
            size_t whole = n & ~(size_t)3;
            kpu_status_t st = raw_read(flash, (uint64_t)base + off, out, whole, batch, diag);
            if (st != KPU_OK)
                return st;
            kpu_kmodel_swap_words(out, whole);
            out += whole;
            off += whole;
            n -= whole;
            continue;
        }
        uint8_t w[4];
        kpu_status_t st = raw_read(flash, (uint64_t)base + word, w, 4, batch, diag);
        if (st != KPU_OK)
            return st;
        kpu_kmodel_swap_words(w, 4);
        size_t take = 4 - skip < n ? 4 - skip : n;
        memcpy(out, w + skip, take);
        out += take;
        off += take;
        n -= take;
    }
    return KPU_OK;
}

static uint32_t rd(const uint8_t *p) { return kpu_rd32(p, 0); }

/* ----- model size (6.2) -------------------------------------------------------------------- */

/* Sum of body_size over count 8-byte headers at off (read in groups). */
static kpu_status_t sum_bodies(const kpu_flash_t *flash, uint32_t addr, uint64_t off,
                               uint32_t count, int swap, uint64_t *sum, kpu_diag_t *diag)
{
    uint8_t buf[8 * LAYER_HEADERS_PER_READ];
    *sum = 0;
    for (uint32_t i = 0; i < count; i += LAYER_HEADERS_PER_READ) {
        uint32_t n = count - i < LAYER_HEADERS_PER_READ ? count - i : LAYER_HEADERS_PER_READ;
        kpu_status_t st = kpu_flash_read_le(flash, addr, off + 8ull * i, buf, 8u * n, swap, 0,
                                            diag);
        if (st != KPU_OK)
            return st;
        for (uint32_t j = 0; j < n; j++) {
            uint32_t body = rd(buf + 8 * j + 4);
            if (body == 0)
                return kpu_diag_set(diag, KPU_ERR_FORMAT, (int32_t)(i + j),
                                    "layer %lu: body_size 0", (unsigned long)(i + j));
            *sum += body;
        }
    }
    return KPU_OK;
}

/* V5 (kmodel-v4-v5.md B1): the 32-byte model header, then modules back to back, each with its
 * own total size at offset 24 of its 48-byte header. */
static kpu_status_t v5_size(const kpu_flash_t *flash, uint32_t addr, uint32_t modules,
                            uint32_t max_size, uint64_t *total, kpu_diag_t *diag)
{
    uint64_t off = V5_HEADER_BYTES;
    for (uint32_t m = 0; m < modules; m++) {
        uint8_t mh[V5_MODULE_HEADER_BYTES];
        if (off + sizeof mh > max_size)
            break; /* finish_size reports the size error */
        kpu_status_t st = raw_read(flash, (uint64_t)addr + off, mh, sizeof mh, 0, diag);
        if (st != KPU_OK)
            return st;
        uint32_t size = rd(mh + 24);
        if (size < sizeof mh)
            return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                                "V5 module %lu: size %lu is smaller than its header",
                                (unsigned long)m, (unsigned long)size);
        off += size;
    }
    *total = modules == 0 ? 0 : off;
    return KPU_OK;
}

static kpu_status_t finish_size(uint64_t total, uint32_t addr, uint32_t max_size,
                                kpu_flash_model_t *info, kpu_diag_t *diag)
{
    if (total == 0 || total > max_size)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "model size err: the header at 0x%lx describes %llu bytes (at most "
                            "%lu)", (unsigned long)addr, (unsigned long long)total,
                            (unsigned long)max_size);
    info->size = (uint32_t)total;
    return KPU_OK;
}

kpu_status_t kpu_flash_model_info(const kpu_flash_t *flash, uint32_t addr, int expect_big_endian,
                                  uint32_t max_size, kpu_flash_model_t *info, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (!flash || !flash->read || !info)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "no flash reader or result");
    memset(info, 0, sizeof *info);
    if (max_size == 0)
        max_size = KPU_API_MAX_MODEL_SIZE;
    uint8_t head[V4_HEADER_BYTES];
    kpu_status_t st = raw_read(flash, addr, head, sizeof head, 0, diag);
    if (st != KPU_OK)
        return st;
    int erased = 1;
    for (size_t i = 0; i < sizeof head; i++)
        erased &= head[i] == 0xFF;
    if (erased)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                            "no model at flash address 0x%lx: it reads as erased (all 0xFF); "
                            "flash the model there first (e.g. its kfpkg)", (unsigned long)addr);
    int be = 0;
    uint32_t version = kpu_kmodel_version(head, sizeof head, &be);
    uint32_t first = rd(head);
    if (first == KMDL_SWAPPED)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                            "the kmodel at 0x%lx is word-swapped (big-endian) %s: only V3 is "
                            "word-swapped for KPU.load_flash; flash the original file%s",
                            (unsigned long)addr, rd(head + 4) == 0x04000000u ? "V4" : "V4/V5",
                            rd(head + 4) == 0x04000000u
                                ? " (KPU.load(offset) and KPU.load_flash both take it)" : "");
    if (expect_big_endian && version == 5)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                            "KPU.load_flash streams kmodel V3 and V4: open the kmodel V5 at 0x%lx "
                            "with KPU.load(0x%lx) (the whole model is read into memory)",
                            (unsigned long)addr, (unsigned long)addr);
    if (version == 0)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                            first == KMDL_MAGIC ? "unknown kmodel version %lu at 0x%lx"
                                                : "no kmodel at 0x%lx: first word 0x%08lx",
                            first == KMDL_MAGIC ? (unsigned long)rd(head + 4)
                                                : (unsigned long)addr,
                            first == KMDL_MAGIC ? (unsigned long)addr : (unsigned long)first);
    if (expect_big_endian && version == 3 && !be)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                            "load_flash needs a word-swapped (big-endian) kmodel V3; the model at "
                            "0x%lx is not: convert it with model_le2be", (unsigned long)addr);
    if (!expect_big_endian && be)
        return kpu_diag_set(diag, KPU_ERR_VERSION, -1,
                            "the model at 0x%lx is word-swapped (big-endian): open it with "
                            "KPU.load_flash, or flash the original file", (unsigned long)addr);
    info->version = version;
    info->big_endian = be;
    uint64_t sum = 0, total = 0;
    if (version == 3) {
        if (be)
            kpu_kmodel_swap_words(head, sizeof head);
        uint32_t layers = rd(head + 12), outputs = rd(head + 24);
        uint64_t off = KPU_V3_HEADER_BYTES + 8ull * outputs;
        if (layers == 0 || off + 8ull * layers > max_size)
            return finish_size(layers ? off + 8ull * layers : 0, addr, max_size, info, diag);
        st = sum_bodies(flash, addr, off, layers, be, &sum, diag);
        total = off + 8ull * layers + sum;
    } else if (version == 5) {
        st = v5_size(flash, addr, rd(head + 20), max_size, &total, diag);
    } else {
        uint32_t constants = rd(head + 16), nodes = rd(head + 24);
        uint32_t inputs = rd(head + 28), outputs = rd(head + 32);
        uint64_t off = V4_HEADER_BYTES + 32ull * inputs + 16ull * outputs + constants;
        if (off + 8ull * nodes > max_size)
            return finish_size(off + 8ull * nodes, addr, max_size, info, diag);
        st = sum_bodies(flash, addr, off, nodes, 0, &sum, diag);
        total = off + 8ull * nodes + sum;
    }
    if (st != KPU_OK)
        return st;
    return finish_size(total, addr, max_size, info, diag);
}

/* ----- KPU.load(offset) ---------------------------------------------------------------------- */

kpu_status_t kpu_net_load_flash(kpu_api_t *api, kpu_net_t **out, const kpu_flash_t *flash,
                                uint32_t addr, kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (out)
        *out = NULL;
    kpu_flash_model_t fm;
    kpu_status_t st = kpu_flash_model_info(flash, addr, 0, api ? api->max_model_size : 0, &fm,
                                           diag);
    if (st != KPU_OK)
        return st;
    kpu_net_t *net;
    st = kpu_net_create(api, KPU_NET_FROM_FLASH, &net, diag);
    if (st != KPU_OK)
        return st;
    net->addr = addr;
    net->model_size = fm.size;
    net->file = kpu_net_alloc(net, fm.size, 256);
    if (!net->file) {
        kpu_net_destroy(net);
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the model (%lu bytes)",
                            (unsigned long)fm.size);
    }
    net->file_size = fm.size;
    st = raw_read(flash, addr, net->file, fm.size, 0, diag);
    if (st == KPU_OK)
        st = kpu_model_load(&net->model, net->file, fm.size, 0, &net->alloc, diag);
    if (st != KPU_OK) {
        kpu_net_destroy(net);
        return st;
    }
    kpu_net_loaded_model(net);
    *out = net;
    return KPU_OK;
}

/* ----- KPU.load_flash ---------------------------------------------------------------------- */

/* Where a K210_CONV layer's blocks lie in the original file, checked against its body. */
typedef struct conv_place {
    uint32_t words[6];
    uint64_t lo, hi;   /* span to read: 256-aligned start (keeps table alignment), 4-aligned end */
} conv_place_t;

static kpu_status_t place_conv(const kpu_flash_t *flash, uint32_t addr, uint64_t body_off,
                               uint32_t body_size, uint32_t layer, conv_place_t *p,
                               kpu_diag_t *diag)
{
    if (body_size < 24)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, (int32_t)layer,
                            "layer %lu (K210_CONV): body has %lu bytes, its fields need 24",
                            (unsigned long)layer, (unsigned long)body_size);
    uint8_t w[24];
    kpu_status_t st = kpu_flash_read_le(flash, addr, body_off, w, sizeof w, 1, 0, diag);
    if (st != KPU_OK)
        return st;
    for (int i = 0; i < 6; i++)
        p->words[i] = rd(w + 4 * i);
    uint64_t end = body_off + body_size;
    static const uint32_t need[6] = {0, 0, KPU_LAYER_ARG_BYTES, 0, 0, 144};
    for (int i = 2; i < 6; i++) {
        uint64_t o = p->words[i];
        if (o < body_off || o > end || need[i] > end - o)
            return kpu_diag_set(diag, KPU_ERR_BOUNDS, (int32_t)layer,
                                "layer %lu (K210_CONV): block at file offset %lu outside its "
                                "body (%llu..%llu)", (unsigned long)layer, (unsigned long)o,
                                (unsigned long long)body_off, (unsigned long long)end);
    }
    uint64_t lo = p->words[3];
    for (int i = 4; i < 6; i++)
        if (p->words[i] < lo)
            lo = p->words[i];
    p->lo = lo & ~(uint64_t)255;
    p->hi = (end + 3) & ~(uint64_t)3;
    return KPU_OK;
}

kpu_status_t kpu_net_stream_fetch(void *ctx, uint32_t layer, kpu_conv_blocks_t *b,
                                  kpu_diag_t *diag)
{
    kpu_net_t *net = ctx;
    uint64_t lo = b->weights_off;
    if (b->bn_off < lo)
        lo = b->bn_off;
    if (b->act_off < lo)
        lo = b->act_off;
    lo &= ~(uint64_t)255;
    uint64_t hi = (uint64_t)b->weights_off + b->weights_size;
    uint64_t bn_end = (uint64_t)b->bn_off + b->bn_size, act_end = (uint64_t)b->act_off + 144u;
    if (bn_end > hi)
        hi = bn_end;
    if (act_end > hi)
        hi = act_end;
    hi = (hi + 3) & ~(uint64_t)3;
    if (hi - lo > net->stream_cap)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, (int32_t)layer,
                            "layer %lu: %llu bytes of blocks, the stream buffer has %lu",
                            (unsigned long)layer, (unsigned long long)(hi - lo),
                            (unsigned long)net->stream_cap);
    uint8_t *buf = net->stream_buf[net->dual_buf ? net->stream_next & 1u : 0];
    net->stream_next++;
    kpu_status_t st = kpu_flash_read_le(&net->flash, net->addr, lo, buf, (size_t)(hi - lo),
                                        net->stream_swapped, net->batch_size, diag);
    if (st != KPU_OK)
        return st;
    b->weights = buf + (b->weights_off - lo);
    b->bn = buf + (b->bn_off - lo);
    b->act = buf + (b->act_off - lo);
    return KPU_OK;
}

/* Reads the layer table of a swapped V3 file and sizes the compact image and stream buffer. */
static kpu_status_t plan_stream(kpu_net_t *net, const kpu_flash_t *flash, uint32_t layers,
                                uint64_t tables, uint32_t *types, size_t *image_size,
                                kpu_diag_t *diag)
{
    uint64_t off = tables, compact = tables;
    size_t span = 0;
    for (uint32_t i = 0; i < layers; i++) {
        uint8_t h[8];
        kpu_status_t st = kpu_flash_read_le(flash, net->addr, tables - 8ull * (layers - i), h, 8,
                                            1, 0, diag);
        if (st != KPU_OK)
            return st;
        types[i] = rd(h);
        net->body_sizes[i] = rd(h + 4);
        if (types[i] == KL_K210_CONV) {
            conv_place_t p;
            st = place_conv(flash, net->addr, off, net->body_sizes[i], i, &p, diag);
            if (st != KPU_OK)
                return st;
            if (p.hi - p.lo > span)
                span = (size_t)(p.hi - p.lo);
            compact += KPU_V3_CONV_EXTERNAL_BODY + KPU_LAYER_ARG_BYTES;
        } else {
            compact += net->body_sizes[i];
        }
        off += net->body_sizes[i];
    }
    if (compact > SIZE_MAX)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "model structure too large");
    *image_size = (size_t)compact;
    net->stream_cap = span;
    return KPU_OK;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Fills the compact image: header and tables as in the file (conv body sizes patched), CPU
 * bodies copied, conv bodies as external blocks plus their resident layer argument. */
static kpu_status_t build_image(kpu_net_t *net, const kpu_flash_t *flash, uint32_t layers,
                                uint64_t tables, const uint32_t *types, kpu_diag_t *diag)
{
    uint8_t *img = net->file;
    kpu_status_t st = kpu_flash_read_le(flash, net->addr, 0, img, (size_t)tables, 1, 0, diag);
    if (st != KPU_OK)
        return st;
    uint64_t src = tables, dst = tables;
    for (uint32_t i = 0; i < layers; i++) {
        uint8_t *hdr = img + tables - 8ull * (layers - i);
        uint32_t body = net->body_sizes[i];
        if (types[i] == KL_K210_CONV) {
            conv_place_t p;
            st = place_conv(flash, net->addr, src, body, i, &p, diag);
            if (st != KPU_OK)
                return st;
            uint8_t *out = img + dst;
            uint32_t compact = KPU_V3_CONV_EXTERNAL_BODY + KPU_LAYER_ARG_BYTES;
            uint64_t end = src + body;
            put32(out, p.words[0] | KPU_V3_CONV_EXTERNAL);
            put32(out + 4, p.words[1]);
            put32(out + 8, (uint32_t)(dst + KPU_V3_CONV_EXTERNAL_BODY));
            put32(out + 12, p.words[3]);
            put32(out + 16, p.words[4]);
            put32(out + 20, p.words[5]);
            put32(out + 24, (uint32_t)(end - p.words[3]));
            put32(out + 28, (uint32_t)(end - p.words[4]));
            st = kpu_flash_read_le(flash, net->addr, p.words[2], out + KPU_V3_CONV_EXTERNAL_BODY,
                                   KPU_LAYER_ARG_BYTES, 1, 0, diag);
            if (st != KPU_OK)
                return st;
            put32(hdr + 4, compact);
            dst += compact;
        } else {
            st = kpu_flash_read_le(flash, net->addr, src, img + dst, body, 1, 0, diag);
            if (st != KPU_OK)
                return st;
            dst += body;
        }
        src += body;
    }
    return KPU_OK;
}

static kpu_status_t stream_buffers(kpu_net_t *net, kpu_diag_t *diag)
{
    for (int i = 0; i < (net->dual_buf ? 2 : 1); i++) {
        net->stream_buf[i] = kpu_net_alloc(net, net->stream_cap ? net->stream_cap : 4, 256);
        if (!net->stream_buf[i])
            return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1,
                                "no memory for the weights buffer (%lu bytes)",
                                (unsigned long)net->stream_cap);
    }
    net->stream.fetch = kpu_net_stream_fetch;
    net->stream.ctx = net;
    return KPU_OK;
}

kpu_status_t kpu_net_stream_alloc(kpu_net_t *net, size_t image, kpu_diag_t *diag)
{
    net->file = kpu_net_alloc(net, image, 256);
    net->file_size = image;
    if (!net->file)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1,
                            "no memory for the model structure (%lu bytes)", (unsigned long)image);
    return stream_buffers(net, diag);
}

static kpu_status_t load_stream(kpu_net_t *net, const kpu_flash_t *flash, kpu_diag_t *diag)
{
    uint8_t head[KPU_V3_HEADER_BYTES];
    kpu_status_t st = kpu_flash_read_le(flash, net->addr, 0, head, sizeof head, 1, 0, diag);
    if (st != KPU_OK)
        return st;
    uint32_t layers = rd(head + 12), outputs = rd(head + 24);
    uint64_t tables = KPU_V3_HEADER_BYTES + 8ull * outputs + 8ull * layers;
    if (layers == 0 || tables > net->model_size)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "kmodel V3 with %lu layers and %lu outputs",
                            (unsigned long)layers, (unsigned long)outputs);
    net->body_sizes = kpu_net_alloc(net, sizeof(uint32_t) * layers, 4);
    uint32_t *types = kpu_net_alloc(net, sizeof(uint32_t) * layers, 4);
    if (!net->body_sizes || !types) {
        kpu_net_release(net, types);
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "no memory for the layer table");
    }
    size_t image = 0;
    st = plan_stream(net, flash, layers, tables, types, &image, diag);
    if (st == KPU_OK)
        st = kpu_net_stream_alloc(net, image, diag);
    if (st == KPU_OK)
        st = build_image(net, flash, layers, tables, types, diag);
    kpu_net_release(net, types);
    if (st != KPU_OK)
        return st;
    return kpu_model_load_stream(&net->model, net->file, net->file_size, &net->stream,
                                 &net->alloc, diag);
}

kpu_status_t kpu_net_load_flash_stream(kpu_api_t *api, kpu_net_t **out, const kpu_flash_t *flash,
                                       uint32_t addr, int dual_buf, uint32_t batch_size,
                                       kpu_diag_t *diag)
{
    kpu_diag_clear(diag);
    if (out)
        *out = NULL;
    /* models bigger than RAM are the point of load_flash: only the flash bounds the size */
    kpu_flash_model_t fm;
    kpu_status_t st = kpu_flash_model_info(flash, addr, 1, UINT32_MAX, &fm, diag);
    if (st != KPU_OK)
        return st;
    kpu_net_t *net;
    st = kpu_net_create(api, KPU_NET_FROM_FLASH_STREAM, &net, diag);
    if (st != KPU_OK)
        return st;
    net->addr = addr;
    net->model_size = fm.size;
    net->flash = *flash;
    net->dual_buf = dual_buf != 0;
    net->batch_size = batch_size;
    net->stream_swapped = fm.version == 3; /* V3 is word-swapped, V4 in its own order */
    st = fm.version == 4 ? kpu_flash_load_stream_v4(net, flash, diag)
                         : load_stream(net, flash, diag);
    if (st != KPU_OK) {
        kpu_net_destroy(net);
        return st;
    }
    kpu_net_loaded_model(net);
    *out = net;
    return KPU_OK;
}
