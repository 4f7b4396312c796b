/* libFuzzer harness for the MaixPy net layer (kpu_api.h): the three ways MaixPy loads a model
 * (KPU.load from memory, KPU.load(offset) from flash, KPU.load_flash streaming a word-swapped
 * model), then netinfo, forward on a zero input when small, outputs and the YOLOv2 decode.
 *
 * The fuzz input is the flash contents (model at address 0). Every net must give back all of
 * its memory; any other disagreement calls __builtin_trap(), reported as a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpu_alloc_std.h"
#include "kpu_api.h"
#include "kpu_soft.h"

#define MAX_TENSOR_BYTES (4u * 1024u * 1024u)
#define MAX_KPU_MACS     4000000ull
#define ALLOC_LIMIT      (64u * 1024u * 1024u)

static kpu_soft_t *g_soft;
static kpu_alloc_std_stats_t g_soft_stats;
static kpu_allocator_t g_soft_alloc;

typedef struct flash_image {
    const uint8_t *data;
    size_t size;
} flash_image_t;

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

/* Reads past the end of the image fail like a flash read error, never read out of bounds. */
static int flash_read(void *ctx, uint32_t addr, void *dst, size_t n)
{
    const flash_image_t *img = ctx;
    if (addr > img->size || n > img->size - addr)
        return -1;
    memcpy(dst, img->data + addr, n);
    return 0;
}

static int small_enough(const kpu_net_t *net)
{
    kpu_diag_t diag;
    uint64_t macs = 0;
    uint32_t layers = kpu_net_layer_count(net);
    for (uint32_t i = 0; i < layers; i++) {
        kpu_layer_info_t li;
        if (kpu_net_layer_info(net, i, &li, &diag) != KPU_OK)
            continue;
        if (li.type == KL_K210_CONV) {
            uint64_t k = li.kernel_type ? 9u : 1u;
            macs += (uint64_t)li.wi * li.hi * li.cho * (li.dw ? k : k * li.chi);
        }
    }
    kpu_layer_info_t li;
    check(kpu_net_layer_info(net, layers, &li, &diag) != KPU_OK);
    return macs <= MAX_KPU_MACS;
}

static void exercise(kpu_net_t *net)
{
    kpu_diag_t diag;
    kpu_tensor_info_t in;
    check(kpu_net_loaded(net));
    if (!small_enough(net) || kpu_net_input_info(net, &in, &diag) != KPU_OK ||
        in.size > MAX_TENSOR_BYTES)
        return;
    uint8_t *input = calloc(in.size ? in.size : 1, 1);
    if (input == NULL)
        return;
    kpu_backend_t backend = kpu_soft_backend(g_soft);
    uint32_t layers = kpu_net_layer_count(net);
    /* a partial run first (fmap demos), then the whole model */
    int32_t ends[2] = {layers > 1 ? (int32_t)(layers / 2) : -1, -1};
    for (int r = 0; r < 2; r++) {
        if (kpu_net_forward(net, &backend, input, in.size, ends[r], &diag) != KPU_OK)
            continue;
        for (uint32_t i = 0; i <= kpu_net_output_count(net); i++) {
            kpu_fmap_t fmap;
            if (kpu_net_get_output(net, i, &fmap, &diag) != KPU_OK)
                continue;
            volatile uint8_t sink = 0; /* touch every byte the map claims */
            for (size_t j = 0; j < fmap.size; j++)
                sink ^= fmap.data[j];
            (void)sink;
        }
    }
    /* set_layers then a forward without an end layer: only the first n layers run */
    if (layers > 0 && kpu_net_set_layers(net, (int32_t)(1 + layers / 3), &diag) == KPU_OK &&
        kpu_net_forward(net, &backend, input, in.size, -1, &diag) == KPU_OK)
        check(kpu_net_last_layer(net) == (int32_t)(layers / 3));
    check(kpu_net_set_layers(net, (int32_t)layers + 1, &diag) == KPU_ERR_INDEX);
    (void)kpu_net_set_layers(net, 0, &diag);
    (void)kpu_net_check_image(net, 1, in.w, in.h, KPU_IMAGE_RGB565, &diag);
    (void)kpu_net_check_image(net, 1, in.w, in.h, KPU_IMAGE_GRAYSCALE, &diag);
    static const float anchors[10] = {1.889f, 2.5245f, 2.9465f, 3.94056f, 3.99987f,
                                      5.3658f, 5.155437f, 6.92275f, 6.718375f, 9.01025f};
    const kpu_yolo2_detection_t *dets = NULL;
    size_t count = 0;
    if (kpu_net_init_yolo2(net, 0.5f, 0.3f, 5, anchors, &diag) == KPU_OK &&
        kpu_net_yolo2_decode(net, &dets, &count, &diag) == KPU_OK && count > 0)
        check(dets != NULL);
    kpu_net_deinit(net); /* later use is a state error, never a crash */
    check(kpu_net_forward(net, &backend, input, in.size, -1, &diag) == KPU_ERR_STATE);
    free(input);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_soft == NULL) {
        g_soft_alloc = kpu_alloc_std_counting(&g_soft_stats);
        if (kpu_soft_create(&g_soft, &g_soft_alloc, KPU_ROUND_V02) != KPU_OK)
            __builtin_trap();
    }
    flash_image_t img = {data, size};
    kpu_flash_t flash = {flash_read, &img};
    kpu_alloc_std_stats_t stats;
    memset(&stats, 0, sizeof stats);
    stats.limit = ALLOC_LIMIT;
    kpu_allocator_t alloc = kpu_alloc_std_counting(&stats);
    kpu_api_t api;
    kpu_api_init(&api, &alloc);
    kpu_diag_t diag;

    kpu_flash_model_t info;
    (void)kpu_flash_model_info(&flash, 0, 0, KPU_API_MAX_MODEL_SIZE, &info, &diag);
    (void)kpu_flash_model_info(&flash, 0, 1, KPU_API_MAX_MODEL_SIZE, &info, &diag);

    for (int how = 0; how < 4; how++) {
        kpu_net_t *net = NULL;
        kpu_status_t st;
        switch (how) {
        case 0: st = kpu_net_load_memory(&api, &net, data, size, &diag); break;
        case 1: st = kpu_net_load_flash(&api, &net, &flash, 0, &diag); break;
        case 2: st = kpu_net_load_flash_stream(&api, &net, &flash, 0, 0, 0, &diag); break;
        default: st = kpu_net_load_flash_stream(&api, &net, &flash, 0, 1, 4096, &diag); break;
        }
        check(memchr(diag.text, '\0', sizeof diag.text) != NULL);
        check((st == KPU_OK) == (net != NULL));
        if (net != NULL) {
            exercise(net);
            kpu_net_destroy(net);
        }
        check(api.nets == 0 && api.held == 0);
    }
    check(stats.in_use == 0);
    return 0;
}
