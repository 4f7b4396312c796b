/* libFuzzer harness for the kmodel loader and runtime (built with
 * -fsanitize=fuzzer,address,undefined by run_fuzz.sh).
 *
 * For every input: validate and load it with a counting malloc allocator; the two must agree.
 * If it loads, read every description the API offers, run it on a zero input with a software
 * KPU when the work is small enough, read every output and computed feature map, and free it.
 * Afterwards no byte may still be allocated. Any disagreement calls __builtin_trap(), which
 * libFuzzer reports as a crash, like a sanitizer finding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmodel.h"
#include "kpu_alloc_std.h"
#include "kpu_soft.h"

/* Caps that keep one input fast: a fuzzer must not spend seconds in a legal but huge model. */
#define MAX_MAIN_MEMORY   (8u * 1024u * 1024u)
#define MAX_TENSOR_BYTES  (4u * 1024u * 1024u)
#define MAX_KPU_MACS      4000000ull  /* summed over K210_CONV layers */
#define ALLOC_LIMIT       (64u * 1024u * 1024u)

static kpu_soft_t *g_soft;
static kpu_alloc_std_stats_t g_soft_stats;
static kpu_allocator_t g_soft_alloc;

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

/* A diag must always hold a terminated text and, after a failure, the failing status. */
static void check_diag(const kpu_diag_t *diag, kpu_status_t st)
{
    check(memchr(diag->text, '\0', sizeof diag->text) != NULL);
    if (st != KPU_OK)
        check(diag->status == st && kpu_status_name(st) != NULL);
}

static uint64_t conv_macs(const kpu_layer_info_t *li)
{
    uint64_t k = li->kernel_type ? 9u : 1u;
    uint64_t per_pixel = li->dw ? k : k * li->chi;
    return (uint64_t)li->wi * li->hi * li->cho * per_pixel;
}

/* Describes every layer; returns 1 when running the model stays inside the caps. */
static int describe(const kpu_model_t *m, uint32_t layers)
{
    kpu_diag_t diag;
    uint64_t macs = 0;
    int small = kpu_model_main_memory(m) <= MAX_MAIN_MEMORY;
    for (uint32_t i = 0; i < layers; i++) {
        kpu_layer_info_t li;
        kpu_tensor_info_t ti;
        kpu_status_t st = kpu_model_layer_info(m, i, &li, &diag);
        check_diag(&diag, st);
        if (st == KPU_OK) {
            check(li.index == i);
            if (li.type == KL_K210_CONV)
                macs += conv_macs(&li);
        }
        st = kpu_model_layer_output_info(m, i, &ti, &diag);
        check_diag(&diag, st);
        if (st == KPU_OK && ti.size > MAX_TENSOR_BYTES)
            small = 0;
    }
    /* Out-of-range indexes must be refused, not read. */
    kpu_layer_info_t li;
    check(kpu_model_layer_info(m, layers, &li, &diag) != KPU_OK);
    check(kpu_model_layer_info(m, UINT32_MAX, &li, &diag) != KPU_OK);
    return small && macs <= MAX_KPU_MACS;
}

static void read_results(const kpu_model_t *m, const kpu_backend_t *backend, uint32_t layers)
{
    kpu_diag_t diag;
    uint32_t outputs = kpu_model_output_count(m);
    for (uint32_t i = 0; i <= outputs; i++) {
        const uint8_t *data = NULL;
        size_t size = 0;
        kpu_dtype_t dtype;
        kpu_status_t st = kpu_model_output(m, i, &data, &size, &dtype, &diag);
        check_diag(&diag, st);
        check(i < outputs || st != KPU_OK);
        if (st == KPU_OK) {
            volatile uint8_t sink = 0; /* touch every byte so ASan checks the whole range */
            for (size_t j = 0; j < size; j++)
                sink ^= data[j];
            (void)sink;
        }
    }
    int32_t last = kpu_model_last_run_layer(m);
    for (int32_t i = 0; i <= last && (uint32_t)i < layers; i++) {
        kpu_tensor_info_t ti;
        if (kpu_model_layer_output_info(m, (uint32_t)i, &ti, &diag) != KPU_OK)
            continue;
        uint8_t *dst = malloc(ti.size + 1);
        size_t copied = 0;
        if (dst == NULL)
            continue;
        kpu_status_t st = kpu_model_read_layer_output(m, backend, (uint32_t)i, -1, dst,
                                                      ti.size + 1, &copied, &diag);
        check_diag(&diag, st);
        if (st == KPU_OK)
            check(copied <= ti.size + 1);
        st = kpu_model_read_layer_output(m, backend, (uint32_t)i, 0, dst, ti.size + 1, &copied,
                                         &diag);
        check_diag(&diag, st);
        /* a destination that is too small must be refused, never overrun */
        if (ti.size > 1) {
            st = kpu_model_read_layer_output(m, backend, (uint32_t)i, -1, dst, 1, &copied,
                                             &diag);
            check(st != KPU_OK);
        }
        free(dst);
    }
}

static void run_zero_input(kpu_model_t *m, uint32_t layers)
{
    kpu_diag_t diag;
    kpu_tensor_info_t in;
    if (kpu_model_input_info(m, &in, &diag) != KPU_OK || in.size > MAX_TENSOR_BYTES)
        return;
    uint8_t *input = calloc(in.size ? in.size : 1, 1);
    if (input == NULL)
        return;
    kpu_backend_t backend = kpu_soft_backend(g_soft);
    /* wrong input size first: must be refused */
    check(kpu_model_run(m, &backend, input, in.size + 1, -1, &diag) != KPU_OK);
    kpu_status_t st = kpu_model_run(m, &backend, input, in.size, -1, &diag);
    check_diag(&diag, st);
    read_results(m, &backend, layers);
    if (layers > 1) { /* a partial run, as fmap demos do */
        st = kpu_model_run(m, &backend, input, in.size, (int32_t)(layers / 2), &diag);
        check_diag(&diag, st);
        if (st == KPU_OK)
            check(kpu_model_last_run_layer(m) == (int32_t)(layers / 2));
        read_results(m, &backend, layers);
    }
    free(input);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_soft == NULL) {
        g_soft_alloc = kpu_alloc_std_counting(&g_soft_stats);
        if (kpu_soft_create(&g_soft, &g_soft_alloc, KPU_ROUND_V02) != KPU_OK)
            __builtin_trap();
    }
    int big_endian = 0;
    if (size >= 8)
        (void)kpu_kmodel_version(data, size, &big_endian);
    uint32_t flags = big_endian ? KPU_LOAD_CONVERT_BIG_ENDIAN : 0u;
    if (size > 0 && (data[0] & 0x80u)) /* let the input pick the copying mode too */
        flags |= KPU_LOAD_COPY;

    kpu_diag_t diag;
    kpu_status_t valid = kpu_model_validate(data, size, flags, &diag);
    check_diag(&diag, valid);

    kpu_alloc_std_stats_t stats;
    memset(&stats, 0, sizeof stats);
    stats.limit = ALLOC_LIMIT;
    kpu_allocator_t alloc = kpu_alloc_std_counting(&stats);
    kpu_model_t *m = NULL;
    kpu_status_t st = kpu_model_load(&m, data, size, flags, &alloc, &diag);
    check_diag(&diag, st);
    /* validate and load apply the same checks; only the allocator may make them differ */
    if (valid == KPU_OK)
        check(st == KPU_OK || st == KPU_ERR_NO_MEMORY);
    else
        check(st == valid);
    if (st == KPU_OK) {
        check(m != NULL);
        uint32_t layers = kpu_model_layer_count(m);
        check(kpu_model_version(m) >= 3);
        check(kpu_model_memory(m) >= kpu_model_main_memory(m));
        check(kpu_model_last_run_layer(m) == -1);
        if (describe(m, layers))
            run_zero_input(m, layers);
        kpu_model_free(m);
    }
    check(stats.in_use == 0); /* everything the model allocated came back */
    return 0;
}
