/* YOLOv2 region layer: activation, boxes, per-class greedy NMS, output (see yolo2.h). */
#include "yolo2.h"

#include <math.h>

/* The sizes every step needs, derived once from a checked configuration. */
typedef struct yolo2_dims {
    size_t wh;      /* cells per anchor plane */
    size_t boxes;   /* wh * anchor_num */
    size_t entries; /* 5 + classes: channels per anchor */
    size_t classes;
    size_t total;   /* floats in the output tensor */
} yolo2_dims_t;

static int mul_overflows(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return 1;
    *out = a * b;
    return 0;
}

static kpu_status_t yolo2_dims(const kpu_yolo2_config_t *cfg, yolo2_dims_t *d, kpu_diag_t *diag)
{
    if (cfg == NULL)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "yolo2: no configuration");
    if (cfg->out_w == 0 || cfg->out_h == 0 || cfg->out_c == 0)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "yolo2: output shape %ux%ux%u is empty",
                            (unsigned)cfg->out_w, (unsigned)cfg->out_h, (unsigned)cfg->out_c);
    if (cfg->in_w == 0 || cfg->in_h == 0)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "yolo2: input size %ux%u is empty",
                            (unsigned)cfg->in_w, (unsigned)cfg->in_h);
    if (cfg->anchor_num == 0 || cfg->anchors == NULL)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "yolo2: anchor_number should > 0");
    if (cfg->out_c % cfg->anchor_num != 0)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "yolo2: output channels %u are not a multiple of %u anchors",
                            (unsigned)cfg->out_c, (unsigned)cfg->anchor_num);
    if (cfg->out_c / cfg->anchor_num < 6)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "yolo2: %u channels per anchor leave no class (need 5 + classes)",
                            (unsigned)(cfg->out_c / cfg->anchor_num));
    /* written so that NaN fails too */
    if (!(cfg->threshold >= 0.0f && cfg->threshold <= 1.0f))
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "yolo2: threshold only support 0 to 1");
    if (!(cfg->nms >= 0.0f && cfg->nms <= 1.0f))
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "yolo2: nms_value only support 0 to 1");

    d->entries = cfg->out_c / cfg->anchor_num;
    d->classes = d->entries - 5;
    if (mul_overflows(cfg->out_w, cfg->out_h, &d->wh) ||
        mul_overflows(d->wh, cfg->anchor_num, &d->boxes) ||
        mul_overflows(d->wh, cfg->out_c, &d->total) ||
        d->total > SIZE_MAX / sizeof(float) || d->boxes > UINT32_MAX)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1, "yolo2: output shape %ux%ux%u is too large",
                            (unsigned)cfg->out_w, (unsigned)cfg->out_h, (unsigned)cfg->out_c);
    return KPU_OK;
}

kpu_status_t kpu_yolo2_check(const kpu_yolo2_config_t *cfg, uint32_t *classes, kpu_diag_t *diag)
{
    yolo2_dims_t d;
    kpu_status_t st = yolo2_dims(cfg, &d, diag);
    if (st == KPU_OK && classes != NULL)
        *classes = (uint32_t)d.classes;
    return st;
}

kpu_status_t kpu_yolo2_max_detections(const kpu_yolo2_config_t *cfg, size_t *count,
                                      kpu_diag_t *diag)
{
    yolo2_dims_t d;
    kpu_status_t st = yolo2_dims(cfg, &d, diag);
    if (st != KPU_OK)
        return st;
    if (count != NULL)
        *count = d.boxes;
    return KPU_OK;
}

/* Work memory: 4 floats per box, one probability per (box, class), one candidate index per box.
 * That is boxes * (5 + classes) four-byte words: exactly the size of the output tensor. */
kpu_status_t kpu_yolo2_work_size(const kpu_yolo2_config_t *cfg, size_t *bytes, kpu_diag_t *diag)
{
    yolo2_dims_t d;
    kpu_status_t st = yolo2_dims(cfg, &d, diag);
    if (st != KPU_OK)
        return st;
    if (bytes != NULL)
        *bytes = d.total * sizeof(float);
    return KPU_OK;
}

/* MaixPy's activation: expf in float, the division in double, rounded back to float. */
static float sigmoid(float v)
{
    return (float)(1.0 / (1.0 + (double)expf(-v)));
}

/* One box in normalised coordinates (centre, size), as darknet keeps it. */
typedef struct yolo2_box {
    float x, y, w, h;
} yolo2_box_t;

/* Fills boxes[] and probs[] (probabilities <= threshold already 0) from the raw output. */
static void yolo2_activate(const kpu_yolo2_config_t *cfg, const yolo2_dims_t *d,
                           const float *out, yolo2_box_t *boxes, float *probs)
{
    const size_t wh = d->wh, classes = d->classes;
    for (size_t n = 0; n < cfg->anchor_num; n++) {
        const float aw = cfg->anchors[2 * n], ah = cfg->anchors[2 * n + 1];
        for (size_t i = 0; i < wh; i++) {
            const size_t idx = n * wh + i;
            const float *e = out + n * wh * d->entries + i; /* entry k at e[k * wh] */
            float *p = probs + idx * classes;
            yolo2_box_t *b = &boxes[idx];

            b->x = ((float)(i % cfg->out_w) + sigmoid(e[0])) / (float)cfg->out_w;
            b->y = ((float)(i / cfg->out_w) + sigmoid(e[wh])) / (float)cfg->out_h;
            b->w = expf(e[2 * wh]) * aw / (float)cfg->out_w;
            b->h = expf(e[3 * wh]) * ah / (float)cfg->out_h;
            const float objectness = sigmoid(e[4 * wh]);

            /* softmax over the class logits, maximum subtracted first */
            const float *logit = e + 5 * wh;
            float largest = logit[0];
            for (size_t j = 1; j < classes; j++)
                if (logit[j * wh] > largest)
                    largest = logit[j * wh];
            float sum = 0.0f;
            for (size_t j = 0; j < classes; j++) {
                p[j] = expf(logit[j * wh] - largest);
                sum += p[j];
            }
            for (size_t j = 0; j < classes; j++) {
                const float prob = objectness * (p[j] / sum);
                p[j] = prob > cfg->threshold ? prob : 0.0f;
            }
        }
    }
}

static float overlap(float c1, float s1, float c2, float s2)
{
    const float l1 = c1 - s1 / 2, l2 = c2 - s2 / 2;
    const float r1 = c1 + s1 / 2, r2 = c2 + s2 / 2;
    const float left = l1 > l2 ? l1 : l2;
    const float right = r1 < r2 ? r1 : r2;
    return right - left;
}

static float iou(const yolo2_box_t *a, const yolo2_box_t *b)
{
    const float w = overlap(a->x, a->w, b->x, b->w);
    const float h = overlap(a->y, a->h, b->y, b->h);
    const float inter = (w < 0 || h < 0) ? 0.0f : w * h;
    const float uni = a->w * a->h + b->w * b->h - inter;
    return inter / uni;
}

/* NMS order: higher probability first, then lower box index (a total order: probabilities
 * here are never NaN, they passed 'prob > threshold'). */
static int comes_after(const float *probs, size_t classes, size_t k, uint32_t a, uint32_t b)
{
    const float pa = probs[(size_t)a * classes + k], pb = probs[(size_t)b * classes + k];
    return pa < pb || (pa == pb && a > b);
}

static void sift_down(uint32_t *v, size_t root, size_t n, const float *probs, size_t classes,
                      size_t k)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && comes_after(probs, classes, k, v[child + 1], v[child]))
            child++;
        if (!comes_after(probs, classes, k, v[child], v[root]))
            return;
        const uint32_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

/* In-place heap sort into NMS order; no extra memory, deterministic thanks to the total order. */
static void sort_candidates(uint32_t *v, size_t n, const float *probs, size_t classes, size_t k)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n, probs, classes, k);
    for (size_t end = n; end-- > 1;) {
        const uint32_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end, probs, classes, k);
    }
}

/* Greedy per-class NMS. Boxes with probability 0 can neither suppress nor be changed, so only
 * the non-zero ones are sorted: same result as sorting all boxes like MaixPy. */
static void yolo2_nms(const kpu_yolo2_config_t *cfg, const yolo2_dims_t *d,
                      const yolo2_box_t *boxes, float *probs, uint32_t *cand)
{
    const size_t classes = d->classes;
    for (size_t k = 0; k < classes; k++) {
        size_t m = 0;
        for (size_t idx = 0; idx < d->boxes; idx++)
            if (probs[idx * classes + k] != 0.0f)
                cand[m++] = (uint32_t)idx;
        sort_candidates(cand, m, probs, classes, k);
        for (size_t a = 0; a < m; a++) {
            if (probs[(size_t)cand[a] * classes + k] == 0.0f)
                continue;
            const yolo2_box_t *ba = &boxes[cand[a]];
            for (size_t b = a + 1; b < m; b++) {
                float *pb = &probs[(size_t)cand[b] * classes + k];
                if (*pb != 0.0f && iou(ba, &boxes[cand[b]]) > cfg->nms)
                    *pb = 0.0f;
            }
        }
    }
}

/* Float corner to pixel: truncation toward zero; negative and NaN give 0 (MaixPy's uint32
 * conversion saturates negatives to 0 on RISC-V); 2^31 and above saturate. */
static int32_t corner(float f)
{
    if (!(f > 0.0f))
        return 0;
    if (f >= 2147483648.0f)
        return INT32_MAX;
    return (int32_t)f;
}

static void yolo2_detection(const kpu_yolo2_config_t *cfg, const yolo2_box_t *b,
                            kpu_yolo2_detection_t *det)
{
    const float iw = (float)cfg->in_w, ih = (float)cfg->in_h;
    const int32_t x1 = corner(b->x * iw - b->w * iw / 2);
    const int32_t y1 = corner(b->y * ih - b->h * ih / 2);
    const int32_t x2 = corner(b->x * iw + b->w * iw / 2);
    const int32_t y2 = corner(b->y * ih + b->h * ih / 2);
    det->x = x1;
    det->y = y1;
    det->w = x2 - x1; /* both in [0, INT32_MAX]: cannot overflow */
    det->h = y2 - y1;
}

kpu_status_t kpu_yolo2_decode(const kpu_yolo2_config_t *cfg, const float *output,
                              size_t output_count, void *work, size_t work_size,
                              kpu_yolo2_detection_t *dets, size_t capacity, size_t *count,
                              kpu_diag_t *diag)
{
    yolo2_dims_t d;
    kpu_status_t st = yolo2_dims(cfg, &d, diag);
    if (st != KPU_OK)
        return st;
    if (count == NULL || output == NULL || (dets == NULL && capacity != 0))
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "yolo2: missing buffer");
    *count = 0;
    if (output_count != d.total)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1,
                            "yolo2: output has %lu floats, shape %ux%ux%u needs %lu",
                            (unsigned long)output_count, (unsigned)cfg->out_w,
                            (unsigned)cfg->out_h, (unsigned)cfg->out_c, (unsigned long)d.total);
    if (work == NULL || work_size < d.total * sizeof(float) || ((uintptr_t)work & 3u) != 0)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1,
                            "yolo2: work memory needs %lu bytes aligned to 4, got %lu",
                            (unsigned long)(d.total * sizeof(float)), (unsigned long)work_size);

    /* the three work arrays, all of 4-byte elements */
    yolo2_box_t *boxes = (yolo2_box_t *)work;
    float *probs = (float *)(boxes + d.boxes);
    uint32_t *cand = (uint32_t *)(probs + d.boxes * d.classes);

    yolo2_activate(cfg, &d, output, boxes, probs);
    yolo2_nms(cfg, &d, boxes, probs, cand);

    /* anchor-major raster order; first maximum wins; strict '>' */
    size_t found = 0;
    for (size_t idx = 0; idx < d.boxes; idx++) {
        const float *p = probs + idx * d.classes;
        size_t best = 0;
        for (size_t j = 1; j < d.classes; j++)
            if (p[j] > p[best])
                best = j;
        if (!(p[best] > cfg->threshold))
            continue;
        if (found < capacity) {
            kpu_yolo2_detection_t *det = &dets[found];
            yolo2_detection(cfg, &boxes[idx], det);
            det->value = p[best];
            det->classid = (uint32_t)best;
            det->index = (uint32_t)found;
            det->anchor = (uint32_t)(idx / d.wh);
            det->cell = (uint32_t)(idx % d.wh);
        }
        found++;
    }
    *count = found;
    if (found > capacity)
        return kpu_diag_set(diag, KPU_ERR_SIZE, -1,
                            "yolo2: %lu detections do not fit in %lu entries",
                            (unsigned long)found, (unsigned long)capacity);
    return KPU_OK;
}

kpu_status_t kpu_yolo2_decode_alloc(const kpu_yolo2_config_t *cfg, const float *output,
                                    size_t output_count, const kpu_allocator_t *alloc,
                                    kpu_yolo2_detection_t *dets, size_t capacity, size_t *count,
                                    kpu_diag_t *diag)
{
    size_t bytes;
    kpu_status_t st = kpu_yolo2_work_size(cfg, &bytes, diag);
    if (st != KPU_OK)
        return st;
    if (alloc == NULL || alloc->alloc == NULL || alloc->free == NULL)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "yolo2: no allocator");
    void *work = alloc->alloc(alloc->ctx, bytes, 4);
    if (work == NULL)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1,
                            "yolo2: no memory for %lu bytes of work memory",
                            (unsigned long)bytes);
    st = kpu_yolo2_decode(cfg, output, output_count, work, bytes, dets, capacity, count, diag);
    alloc->free(alloc->ctx, work);
    return st;
}
