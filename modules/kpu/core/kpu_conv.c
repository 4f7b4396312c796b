/* One KPU layer in software: convolution, batch norm, activation, pooling (spec section 4).
 *
 * Data flow per layer: the IC input channels are unpacked once from the KPU RAM layout into
 * padded uint8 planes (border = pad_value for 3x3 kernels). SX (sum of the input taps) is the
 * same for every output channel of a normal convolution, so it is computed once per layer.
 * The products S = sum(x * w) are accumulated a tile of rows at a time over the flattened
 * padded plane (simple loops the compiler vectorizes; the two columns past each row are
 * computed and ignored): dense 1x1 layers with 8-bit weights as int16 dot products over the
 * channels, 4 output channels per pass (kpu_conv_dot.c), the others one output channel at a
 * time. BN + activation then run per pixel (kpu_conv_finish.c, through the activation lookup
 * table) and the plane is pooled and written to KPU RAM and the stream. Max and pick pooling
 * run before the activation when that gives the same bytes (kpu_finish_pooled).
 *
 * Choices where the spec leaves things open (section 13):
 * - ACC is saturated to +-2^39 before the BN multiplication (kpu_conv_finish.c).
 * - pad_type, first_stride, bypass_conv, full_add, load_para/load_coor/load_act are ignored:
 *   the tables of the job are always used.
 * - The layouts are derived from the widths (as the reference does), not from coef_group /
 *   row_switch_addr / channel_switch_addr.
 */
#include "kpu_conv.h"

#include <string.h>
#include "kpu_conv_dot.h"
#include "kpu_conv_finish.h"
#include "kpu_pool.h"
#include "kpu_simd.h"

#define TILE_ELEMS 4608u        /* accumulator tile: 18 KiB of int32, stays in L1 */
#define ALIGN_UP(v, a) (((v) + ((a) - 1)) & ~(size_t)((a) - 1))

/* ---- arithmetic helpers ---- */

/* Flooring right shift of a signed value. >> on a negative value is implementation-defined;
 * where it is arithmetic (every compiler we know) the constant test folds to a plain shift. */
static inline int64_t asr64(int64_t v, uint32_t s)
{
    if (((int64_t)-1 >> 1) == -1 || v >= 0)
        return v >> s;
    return -(int64_t)((~(uint64_t)v) >> s) - 1;
}

static inline int64_t sign_extend(uint64_t v, unsigned bits)
{
    uint64_t m = (uint64_t)1 << (bits - 1);
    v &= ((uint64_t)1 << bits) - 1;
    return (int64_t)(v ^ m) - (int64_t)m;
}

/* ---- decoding and checks ---- */

static uint64_t read_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t bits(uint64_t w, unsigned lo, unsigned n)
{
    return (w >> lo) & (((uint64_t)1 << n) - 1u);
}

kpu_status_t kpu_conv_prepare(kpu_conv_layer_t *l, const kpu_conv_job_t *job,
                              kpu_conv_rounding_t rounding, kpu_diag_t *diag)
{
    if (l == NULL || job == NULL)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "KPU job: NULL job");
    if (job->weights == NULL || job->bn == NULL || job->act == NULL)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "KPU job: missing weights/BN/act table");
    memset(l, 0, sizeof(*l));
    uint8_t raw[KPU_LAYER_ARG_BYTES];
    kpu_layer_arg_t a;
    for (unsigned i = 0; i < KPU_LAYER_ARG_BYTES; i++)
        raw[i] = (uint8_t)(job->arg[i / 8] >> (8 * (i % 8)));
    kpu_layer_arg_decode(raw, &a);
    l->depthwise = a.depth_wise_layer;
    l->src_line = a.image_src_addr;
    l->dst_line = a.image_dst_addr;
    l->ic = kpu_arg_ic(&a);
    l->oc = kpu_arg_oc(&a);
    l->iw = kpu_arg_iw(&a);
    l->ih = kpu_arg_ih(&a);
    l->ow = kpu_arg_ow(&a);
    l->oh = kpu_arg_oh(&a);
    uint32_t kernel_type = a.kernel_type;
    l->pool_type = a.pool_type;
    l->pad_value = a.pad_value;
    l->shr_w = a.shr_w;
    l->shr_x = a.shr_x;
    l->arg_w = a.arg_w;
    l->arg_x = a.arg_x;
    l->arg_add = a.arg_add;
    l->eight_bit = job->eight_bit ? 1 : 0;
    l->rounding = rounding == KPU_CONV_ROUND_CS ? KPU_CONV_ROUND_CS : KPU_CONV_ROUND_RNE_BUGGY;

    if (kernel_type > 1)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "KPU job: kernel_type %u (only 0 = 1x1 and 1 = 3x3 exist)",
                            (unsigned)kernel_type);
    l->k = kernel_type ? 3u : 1u;
    uint32_t stride = kpu_pool_stride(l->pool_type);
    if (stride == 0)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1, "KPU job: pool_type %u (valid 0..9)",
                            (unsigned)l->pool_type);
    if (l->depthwise && l->ic != l->oc)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "KPU job: depthwise layer with %u input and %u output channels",
                            (unsigned)l->ic, (unsigned)l->oc);
    if (l->iw / stride == 0 || l->ih / stride == 0 || l->ow != l->iw / stride ||
        l->oh != l->ih / stride)
        return kpu_diag_set(diag, KPU_ERR_FORMAT, -1,
                            "KPU job: output %ux%u is not input %ux%u pooled by pool_type %u",
                            (unsigned)l->ow, (unsigned)l->oh, (unsigned)l->iw, (unsigned)l->ih,
                            (unsigned)l->pool_type);

    kpu_ram_layout_init(&l->in_layout, l->iw, l->ih, l->ic);
    kpu_ram_layout_init(&l->out_layout, l->ow, l->oh, l->oc);
    if (kpu_ram_layout_check(&l->in_layout, l->src_line) != KPU_OK)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                            "KPU job: input map %ux%ux%u at line %u runs past the 2 MiB KPU RAM",
                            (unsigned)l->iw, (unsigned)l->ih, (unsigned)l->ic,
                            (unsigned)l->src_line);
    if (kpu_ram_layout_check(&l->out_layout, l->dst_line) != KPU_OK)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                            "KPU job: output map %ux%ux%u at line %u runs past the 2 MiB KPU RAM",
                            (unsigned)l->ow, (unsigned)l->oh, (unsigned)l->oc,
                            (unsigned)l->dst_line);
    /* <= 1024 * 1024 * 9 * 2: no overflow */
    size_t need = (size_t)l->oc * (l->depthwise ? 1u : l->ic) * l->k * l->k *
                  (l->eight_bit ? 1u : 2u);
    if (job->weights_size < need)
        return kpu_diag_set(diag, KPU_ERR_BOUNDS, -1,
                            "KPU job: %zu weight bytes, the layer needs %zu", job->weights_size,
                            need);
    l->weights = job->weights;
    l->bn = job->bn;
    kpu_act_decode(&l->act, job->act, l->rounding == KPU_CONV_ROUND_CS);

    l->pw = l->iw + l->k - 1;
    l->ph = l->ih + l->k - 1;
    /* Tiles read up to 2 * pw + 2 + 15 elements past the last pixel row (see acc_tile). */
    l->plane_stride = ALIGN_UP((size_t)l->ph * l->pw + 18u, 16u);
    /* a multiple of 4 rows (pw <= 1026), so pooling windows never straddle two tiles */
    l->tile_rows = TILE_ELEMS / l->pw / 4u * 4u;
    if (l->tile_rows > l->ih)
        l->tile_rows = l->ih;
    return KPU_OK;
}

/* ---- scratch ---- */

/* Dense 1x1 layers with 8-bit weights run as dot products over the channels (kpu_conv_dot.h),
 * KPU_DOT_OUTPUTS output channels at a time. */
static int use_dot(const kpu_conv_layer_t *l)
{
    return l->k == 1 && !l->depthwise && l->eight_bit;
}

static uint32_t channel_block(const kpu_conv_layer_t *l)
{
    return use_dot(l) ? KPU_DOT_OUTPUTS : 1u;
}

typedef struct scratch_map {
    uint8_t *planes;   /* ic x plane_stride */
    int16_t *x;        /* dot products: plane_stride pixels x icp channels, int16 */
    int16_t *w;        /* dot products: 4 x icp weights */
    int32_t *csum;     /* plane_stride: sum of the planes a pixel's taps read */
    int64_t *tx;       /* plane_stride: (arg_x * SX) >> shr_x per pixel (index y * pw + x) */
    void *lut;         /* activation lookup table */
    void *acc;         /* tile accumulator, int32 (8-bit) or int64 (16-bit weights), per
                        * channel of a block (tile_len elements apart) */
    uint8_t *act;      /* ih x iw activation output per channel of a block */
    uint8_t *pooled;   /* oh x ow per channel of a block */
    size_t total;
} scratch_map_t;

static size_t tile_len(const kpu_conv_layer_t *l)
{
    return ALIGN_UP((size_t)l->tile_rows * l->pw, 16u);
}

static void map_scratch(const kpu_conv_layer_t *l, uint8_t *base, scratch_map_t *m)
{
    size_t off = 0;
    m->planes = base ? base + off : NULL;
    off = ALIGN_UP(off + (size_t)l->ic * l->plane_stride, 64u);
    size_t icp = use_dot(l) ? kpu_dot_padded(l->ic) : 0;
    m->x = base ? (int16_t *)(void *)(base + off) : NULL;
    off = ALIGN_UP(off + l->plane_stride * icp * sizeof(int16_t), 64u);
    m->w = base ? (int16_t *)(void *)(base + off) : NULL;
    off = ALIGN_UP(off + KPU_DOT_OUTPUTS * icp * sizeof(int16_t), 64u);
    m->csum = base ? (int32_t *)(void *)(base + off) : NULL;
    off = ALIGN_UP(off + l->plane_stride * sizeof(int32_t), 64u);
    m->tx = base ? (int64_t *)(void *)(base + off) : NULL;
    off = ALIGN_UP(off + l->plane_stride * sizeof(int64_t), 64u);
    m->lut = base ? (void *)(base + off) : NULL;
    off = ALIGN_UP(off + kpu_act_lut_bytes(), 64u);
    m->acc = base ? (void *)(base + off) : NULL;
    size_t block = channel_block(l);
    off = ALIGN_UP(off + tile_len(l) * (use_dot(l) ? block * sizeof(int32_t) : sizeof(int64_t)),
                   64u);
    m->act = base ? base + off : NULL;
    off = ALIGN_UP(off + block * l->ih * l->iw, 64u);
    m->pooled = base ? base + off : NULL;
    off = ALIGN_UP(off + block * l->oh * l->ow, 64u);
    m->total = off;
}

size_t kpu_conv_scratch_size(const kpu_conv_layer_t *l)
{
    scratch_map_t m;
    map_scratch(l, NULL, &m);
    return m.total;
}

/* ---- input planes and SX ---- */

static void unpack_input(const kpu_conv_layer_t *l, const uint8_t *ram, uint8_t *planes)
{
    const uint8_t *base = ram + (size_t)l->src_line * KPU_RAM_LINE_BYTES;
    uint32_t p = (l->k - 1) / 2;
    for (uint32_t c = 0; c < l->ic; c++) {
        uint8_t *plane = planes + (size_t)c * l->plane_stride;
        if (p) {
            memset(plane, l->pad_value, l->pw);
            memset(plane + (size_t)(l->ph - 1) * l->pw, l->pad_value, l->pw);
        }
        for (uint32_t y = 0; y < l->ih; y++) {
            uint8_t *row = plane + (size_t)(y + p) * l->pw;
            if (p) {
                row[0] = l->pad_value;
                row[l->pw - 1] = l->pad_value;
            }
            memcpy(row + p, base + kpu_ram_layout_offset(&l->in_layout, c, y, 0), l->iw);
        }
        /* slack past the plane only feeds the ignored columns; keep it defined */
        memset(plane + (size_t)l->ph * l->pw, 0, l->plane_stride - (size_t)l->ph * l->pw);
    }
}

/* csum = sum of `count` planes starting at `first` (element-wise over plane_stride). */
static void sum_planes(const kpu_conv_layer_t *l, const uint8_t *planes, uint32_t first,
                       uint32_t count, int32_t *restrict csum)
{
    size_t n = l->plane_stride & ~(size_t)15;
    memset(csum, 0, n * sizeof(int32_t));
    for (uint32_t c = first; c < first + count; c++) {
        const uint8_t *restrict pl = planes + (size_t)c * l->plane_stride;
        for (size_t i = 0; i < n; i++)
            csum[i] += pl[i];
    }
}

/* tx[q] = (arg_x * SX) >> shr_x for output pixel q (q = y * pw + x), SX = the sum of csum
 * over the pixel's k x k taps; [lo, hi] receives the range of tx (over every element written,
 * the ignored columns too: a wider range is only more cautious). */
typedef struct tx_range {
    int64_t lo, hi;
} tx_range_t;

#define SX_CHUNK 256u

/* sx[i] = the k x k taps of csum at i, i < n; *lo, *hi receive min and max (all >= 0).
 * n is a multiple of 16; saying so (as in the kernels below) lets -O2 vectorize. */
KPU_KERNEL static void sum_taps(const kpu_conv_layer_t *l, const int32_t *restrict csum,
                                int32_t *restrict sx, size_t n, int32_t *lo, int32_t *hi)
{
    int32_t a = INT32_MAX, b = 0;
    n &= ~(size_t)15;
    if (l->k == 1) {
        for (size_t i = 0; i < n; i++) {
            int32_t v = csum[i];
            sx[i] = v;
            a = v < a ? v : a;
            b = v > b ? v : b;
        }
    } else {
        const int32_t *r0 = csum, *r1 = csum + l->pw, *r2 = csum + 2 * (size_t)l->pw;
        for (size_t i = 0; i < n; i++) {
            int32_t v = r0[i] + r0[i + 1] + r0[i + 2] + r1[i] + r1[i + 1] + r1[i + 2] + r2[i] +
                        r2[i + 1] + r2[i + 2];
            sx[i] = v;
            a = v < a ? v : a;
            b = v > b ? v : b;
        }
    }
    *lo = a;
    *hi = b;
}

/* tx[i] = asr(arg_x * sx[i], shr_x) in int32 when the caller has checked that every product
 * fits (a plain vector loop), else in int64. arg_x * 2^-shr_x arrives reduced (see scale_sx). */
KPU_KERNEL static void scale_chunk(int64_t *restrict tx, const int32_t *restrict sx, size_t n,
                                   int32_t arg_x, uint32_t shr_x, int narrow)
{
    n &= ~(size_t)15;
    if (narrow && ((int32_t)-1 >> 1) == -1) {
        for (size_t i = 0; i < n; i++)
            tx[i] = (arg_x * sx[i]) >> shr_x;
        return;
    }
    for (size_t i = 0; i < n; i++)
        tx[i] = asr64((int64_t)arg_x * sx[i], shr_x);
}

static tx_range_t scale_sx(const kpu_conv_layer_t *l, const int32_t *restrict csum,
                           int64_t *restrict tx)
{
    size_t n = ALIGN_UP((size_t)l->ih * l->pw, 16u);
    const int64_t arg_x = l->arg_x;
    const uint32_t shr_x = l->shr_x;
    /* nncase's arg_x are multiples of large powers of two: floor(a 2^t sx / 2^s) =
     * floor(a sx / 2^(s - t)) exactly, and the smaller product usually fits in int32 */
    int32_t ax = l->arg_x;
    uint32_t sh = shr_x;
    while (sh > 0 && ax % 2 == 0) {
        ax /= 2;
        sh--;
    }
    int64_t mag = ax < 0 ? -(int64_t)ax : ax;
    int32_t sx[SX_CHUNK], lo = INT32_MAX, hi = 0;
    /* chunks keep sx in L1; the chunk's largest sx bounds every product in it */
    for (size_t i0 = 0; i0 < n; i0 += SX_CHUNK) {
        size_t len = n - i0 < SX_CHUNK ? n - i0 : SX_CHUNK;
        int32_t a, b;
        sum_taps(l, csum + i0, sx, len, &a, &b);
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
        scale_chunk(tx + i0, sx, len, ax, sh, sh < 31 && mag * b < INT32_MAX);
    }
    /* s -> asr(arg_x * s) is monotone, so the range of tx is spanned by the extreme sx */
    int64_t ta = asr64(arg_x * lo, shr_x), tb = asr64(arg_x * hi, shr_x);
    tx_range_t r = {ta < tb ? ta : tb, ta < tb ? tb : ta};
    return r;
}

/* ---- accumulation of S over one tile (n is a multiple of 16) ---- */

/* 8-bit weights: w * x <= 255 * 255 fits in 16 unsigned bits; saying so lets the compiler use
 * 16-bit vector multiplies (several times faster than 32-bit ones on plain SSE2). Kept out of
 * line (KPU_KERNEL) so they get the wider clones. */
#define MUL8(w, x) ((int32_t)(uint16_t)((w) * (x)))

KPU_KERNEL static void acc3x3_u8(int32_t *restrict acc, const uint16_t *w,
                                 const uint8_t *restrict r0, size_t pw, size_t n)
{
    const uint8_t *restrict r1 = r0 + pw;
    const uint8_t *restrict r2 = r1 + pw;
    uint16_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6],
             w7 = w[7], w8 = w[8];
    n &= ~(size_t)15;
    for (size_t i = 0; i < n; i++)
        acc[i] += MUL8(w0, r0[i]) + MUL8(w1, r0[i + 1]) + MUL8(w2, r0[i + 2]) +
                  MUL8(w3, r1[i]) + MUL8(w4, r1[i + 1]) + MUL8(w5, r1[i + 2]) +
                  MUL8(w6, r2[i]) + MUL8(w7, r2[i + 1]) + MUL8(w8, r2[i + 2]);
}

KPU_KERNEL static void acc1x1x4_u8(int32_t *restrict acc, const uint16_t *w,
                                   const uint8_t *restrict x0, const uint8_t *restrict x1,
                                   const uint8_t *restrict x2, const uint8_t *restrict x3,
                                   size_t n)
{
    uint16_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
    n &= ~(size_t)15;
    for (size_t i = 0; i < n; i++)
        acc[i] += MUL8(w0, x0[i]) + MUL8(w1, x1[i]) + MUL8(w2, x2[i]) + MUL8(w3, x3[i]);
}

KPU_KERNEL static void acc1x1_u8(int32_t *restrict acc, uint16_t w, const uint8_t *restrict x,
                                 size_t n)
{
    n &= ~(size_t)15;
    for (size_t i = 0; i < n; i++)
        acc[i] += MUL8(w, x[i]);
}

/* 16-bit weights: a tap product is < 2^24, nine of them < 2^28; sums go to int64. */
static void acc3x3_u16(int64_t *restrict acc, const int32_t *w, const uint8_t *restrict r0,
                       size_t pw, size_t n)
{
    const uint8_t *restrict r1 = r0 + pw;
    const uint8_t *restrict r2 = r1 + pw;
    for (size_t i = 0; i < n; i++)
        acc[i] += (int64_t)(w[0] * r0[i] + w[1] * r0[i + 1] + w[2] * r0[i + 2] + w[3] * r1[i] +
                            w[4] * r1[i + 1] + w[5] * r1[i + 2] + w[6] * r2[i] +
                            w[7] * r2[i + 1] + w[8] * r2[i + 2]);
}

static void acc1x1_u16(int64_t *restrict acc, int32_t w, const uint8_t *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += (int64_t)(w * x[i]);
}

static inline int32_t weight_at(const kpu_conv_layer_t *l, size_t index)
{
    if (l->eight_bit)
        return l->weights[index];
    return (int32_t)(l->weights[2 * index] | ((uint32_t)l->weights[2 * index + 1] << 8));
}

/* S of output channel o over plane elements [q0, q0 + n), n a multiple of 16. */
static void acc_tile(const kpu_conv_layer_t *l, const uint8_t *planes, uint32_t o, size_t q0,
                     size_t n, void *acc)
{
    uint32_t kk = l->k * l->k;
    uint32_t c0 = l->depthwise ? o : 0, cn = l->depthwise ? 1 : l->ic;
    size_t wbase = (size_t)o * (l->depthwise ? 1u : l->ic) * kk;
    int32_t *a32 = acc;
    int64_t *a64 = acc;
    uint16_t w8[9];
    int32_t wv[9];
    memset(acc, 0, n * (l->eight_bit ? sizeof(int32_t) : sizeof(int64_t)));
    if (l->eight_bit) {
        const uint8_t *wp = l->weights + wbase;
        uint32_t c = 0;
        if (l->k == 1) {
            for (; c + 4 <= cn; c += 4) {
                for (uint32_t j = 0; j < 4; j++)
                    w8[j] = wp[c + j];
                const uint8_t *p = planes + (size_t)(c0 + c) * l->plane_stride + q0;
                acc1x1x4_u8(a32, w8, p, p + l->plane_stride, p + 2 * l->plane_stride,
                            p + 3 * l->plane_stride, n);
            }
        }
        for (; c < cn; c++) {
            const uint8_t *p = planes + (size_t)(c0 + c) * l->plane_stride + q0;
            if (l->k == 1) {
                acc1x1_u8(a32, wp[c], p, n);
                continue;
            }
            for (uint32_t t = 0; t < 9; t++)
                w8[t] = wp[(size_t)c * 9 + t];
            acc3x3_u8(a32, w8, p, l->pw, n);
        }
        return;
    }
    for (uint32_t c = 0; c < cn; c++) {
        const uint8_t *p = planes + (size_t)(c0 + c) * l->plane_stride + q0;
        if (l->k == 1) {
            acc1x1_u16(a64, weight_at(l, wbase + c), p, n);
            continue;
        }
        for (uint32_t t = 0; t < 9; t++)
            wv[t] = weight_at(l, wbase + (size_t)c * 9 + t);
        acc3x3_u16(a64, wv, p, l->pw, n);
    }
}

/* SW of output channel o: the sum of its weights (pad taps included, spec 4.2). */
static int64_t weight_sum(const kpu_conv_layer_t *l, uint32_t o)
{
    size_t count = (size_t)(l->depthwise ? 1u : l->ic) * l->k * l->k;
    size_t base = (size_t)o * count;
    int64_t sw = 0;
    for (size_t i = 0; i < count; i++)
        sw += weight_at(l, base + i);
    return sw;
}

/* ---- batch norm + activation ---- */

typedef struct channel_consts {
    int64_t c;        /* ((arg_w * SW) >> shr_w) + arg_add * g_ic */
    int64_t sw;       /* SW */
    int64_t norm_mul; /* 24-bit signed */
    int64_t norm_add; /* 32-bit signed */
    uint32_t norm_shift;
} channel_consts_t;

static void channel_consts(const kpu_conv_layer_t *l, uint32_t o, channel_consts_t *cc)
{
    uint64_t bn = read_u64le(l->bn + 8 * (size_t)o);
    int64_t g_ic = l->depthwise ? 1 : (int64_t)l->ic;
    cc->sw = weight_sum(l, o);
    cc->c = asr64((int64_t)l->arg_w * cc->sw, l->shr_w) + l->arg_add * g_ic;
    cc->norm_mul = sign_extend(bits(bn, 0, 24), 24);
    cc->norm_add = sign_extend(bits(bn, 24, 32), 32);
    cc->norm_shift = (uint32_t)bits(bn, 56, 4);
}

/* ---- output ---- */

static void emit_channel(const kpu_conv_layer_t *l, uint32_t o, const uint8_t *pooled,
                         uint8_t *ram, uint8_t *stream, size_t stream_size)
{
    uint8_t *base = ram + (size_t)l->dst_line * KPU_RAM_LINE_BYTES;
    for (uint32_t y = 0; y < l->oh; y++)
        memcpy(base + kpu_ram_layout_offset(&l->out_layout, o, y, 0),
               pooled + (size_t)y * l->ow, l->ow);
    if (stream == NULL)
        return;
    size_t plane = (size_t)l->ow * l->oh, start = (size_t)o * plane;
    if (start < stream_size)
        memcpy(stream + start, pooled, stream_size - start < plane ? stream_size - start : plane);
}

/* One output channel of a block: its constants and where its pixels go. */
typedef struct channel_job {
    kpu_finisher_t f;
    int early;         /* pooled before the activation (finish_pooled) */
    uint8_t *act, *pooled;
} channel_job_t;

void kpu_conv_run(const kpu_conv_layer_t *l, uint8_t *ram, void *scratch, uint8_t *stream,
                  size_t stream_size)
{
    scratch_map_t m;
    kpu_act_lut_t lut;
    map_scratch(l, scratch, &m);
    int have_lut = kpu_act_lut_build(&lut, &l->act, m.lut);
    unpack_input(l, ram, m.planes);
    tx_range_t txr = {0, 0};
    if (!l->depthwise) {
        sum_planes(l, m.planes, 0, l->ic, m.csum);
        txr = scale_sx(l, m.csum, m.tx);
    }
    int dot = use_dot(l);
    size_t icp = dot ? kpu_dot_padded(l->ic) : 0, tlen = tile_len(l);
    if (dot)
        kpu_dot_pack_input(m.x, m.planes, l->plane_stride, l->ic, icp, l->plane_stride);
    int pick = l->pool_type >= 5 && l->pool_type <= 7;
    int max_pool = l->pool_type == 1 || l->pool_type == 3;
    uint32_t block = channel_block(l);
    for (uint32_t o0 = 0; o0 < l->oc; o0 += block) {
        uint32_t count = l->oc - o0 < block ? l->oc - o0 : block;
        channel_job_t jobs[KPU_DOT_OUTPUTS];
        if (l->depthwise) {
            sum_planes(l, m.planes, o0, 1, m.csum);
            txr = scale_sx(l, m.csum, m.tx);
        }
        for (uint32_t j = 0; j < count; j++) {
            channel_consts_t cc;
            channel_job_t *cj = &jobs[j];
            channel_consts(l, o0 + j, &cc);
            kpu_finish_init(&cj->f, &l->act, have_lut ? &lut : NULL, cc.c, cc.sw, cc.norm_mul,
                            cc.norm_add, cc.norm_shift, txr.lo, txr.hi, l->pw);
            cj->f.a32 = l->eight_bit ? (const int32_t *)m.acc + j * tlen : NULL;
            cj->f.a64 = l->eight_bit ? NULL : m.acc;
            cj->f.tx = m.tx;
            cj->early = pick || (max_pool && kpu_finish_max_commutes(&cj->f));
            cj->act = m.act + (size_t)j * l->ih * l->iw;
            cj->pooled = m.pooled + (size_t)j * l->oh * l->ow;
        }
        if (dot)
            kpu_dot_pack_weights(m.w, l->weights, l->ic, icp, o0, count);
        for (uint32_t y0 = 0; y0 < l->ih; y0 += l->tile_rows) {
            uint32_t y1 = y0 + l->tile_rows < l->ih ? y0 + l->tile_rows : l->ih;
            size_t q0 = (size_t)y0 * l->pw, n = ALIGN_UP((size_t)(y1 - y0) * l->pw, 16u);
            if (dot)
                kpu_dot_run(m.acc, tlen, m.x + q0 * icp, m.w, icp, n);
            else
                acc_tile(l, m.planes, o0, q0, n, m.acc);
            for (uint32_t j = 0; j < count; j++) {
                if (jobs[j].early)
                    kpu_finish_pooled(&jobs[j].f, l->pool_type, l->ow, l->oh, y0, y1,
                                  jobs[j].pooled);
                else
                    kpu_finish_rows(&jobs[j].f, l->iw, y0, y1, jobs[j].act);
            }
        }
        for (uint32_t j = 0; j < count; j++) {
            const uint8_t *result = jobs[j].early ? jobs[j].pooled : jobs[j].act;
            if (!jobs[j].early && l->pool_type != 0) {
                kpu_pool_plane(l->pool_type, jobs[j].act, l->iw, l->ih, jobs[j].pooled);
                result = jobs[j].pooled;
            }
            emit_channel(l, o0 + j, result, ram, stream, stream_size);
        }
    }
    size_t total = (size_t)l->oc * l->oh * l->ow;
    if (stream != NULL && stream_size > total)
        memset(stream + total, 0, stream_size - total);
}
