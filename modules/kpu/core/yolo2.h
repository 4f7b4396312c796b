/* YOLOv2 region layer (MaixPy's run_yolo2 decoding, spec maixpy-kpu-api.md section 8): turns the
 * float32 output tensor of a YOLOv2 model into boxes in model-input pixels, with per-class greedy
 * NMS. Portable C99, no global state, no hidden allocation.
 *
 * Same arithmetic as MaixPy (float32 with expf; the sigmoid's 1 / (1 + e) in double as MaixPy
 * writes it; strict '>' everywhere; anchor-major visiting order; first maximum wins), with these
 * deliberate differences, all fixes of MaixPy bugs:
 *  - classes = out_c / anchor_num - 5 (MaixPy hard-codes 5 anchors); out_c must be a multiple of
 *    anchor_num and give at least one class, else KPU_ERR_ARGUMENT;
 *  - any number of detections (MaixPy writes past a fixed array of 10); the caller sizes its
 *    array with kpu_yolo2_max_detections;
 *  - the output tensor is read only (MaixPy activates it in place, so a later get_output or a
 *    second decode of the same run sees sigmoid/softmax values);
 *  - NMS sorts candidates by probability descending and, for equal probabilities, by ascending
 *    box index (MaixPy's qsort leaves that order undefined), so results are deterministic;
 *  - corner conversion (section 8.6) is defined for every float: truncation toward zero, negative
 *    and NaN corners become 0 (MaixPy relies on RISC-V fcvt saturation for negatives), corners
 *    >= 2^31 saturate to INT32_MAX. x, y, w, h are int32: MaixPy's int16 rectangle fields wrap
 *    above 32767, here nothing wraps. w = x2 - x1 may be negative only for negative anchors. */
#ifndef YOLO2_H
#define YOLO2_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_alloc.h"
#include "kpu_status.h"

typedef struct kpu_yolo2_config {
    uint32_t out_w, out_h, out_c; /* output tensor shape (CHW, float32) */
    uint32_t in_w, in_h;          /* model input size: the pixel space of the boxes */
    const float *anchors;         /* anchor_num (w, h) pairs, in grid cells */
    uint32_t anchor_num;
    float threshold;              /* 0..1: a class probability must be > threshold */
    float nms;                    /* 0..1: a box is suppressed when IoU > nms */
} kpu_yolo2_config_t;

typedef struct kpu_yolo2_detection {
    int32_t x, y, w, h;   /* model-input pixels: x1, y1, x2 - x1, y2 - y1 (see above) */
    float value;          /* class probability: sigmoid(objectness) * softmax(class) */
    uint32_t classid;
    uint32_t index;       /* position in the result (0-based) */
    uint32_t anchor;      /* which anchor and which cell (row * out_w + col) produced it */
    uint32_t cell;
} kpu_yolo2_detection_t;

/* Checks a configuration; on success *classes (if not NULL) receives the class count. */
kpu_status_t kpu_yolo2_check(const kpu_yolo2_config_t *cfg, uint32_t *classes, kpu_diag_t *diag);

/* Upper bound of detections for cfg: one per (anchor, cell) = out_w * out_h * anchor_num. */
kpu_status_t kpu_yolo2_max_detections(const kpu_yolo2_config_t *cfg, size_t *count,
                                      kpu_diag_t *diag);

/* Bytes of work memory kpu_yolo2_decode needs (aligned to 4 bytes; boxes, probabilities and
 * the NMS candidate list). */
kpu_status_t kpu_yolo2_work_size(const kpu_yolo2_config_t *cfg, size_t *bytes, kpu_diag_t *diag);

/* Decodes output (output_count floats, must equal out_w * out_h * out_c) using work (at least
 * kpu_yolo2_work_size bytes, 4-byte aligned). Detections go to dets in visiting order; *count
 * receives how many were found. If that is more than capacity, the first capacity entries are
 * written and KPU_ERR_SIZE is returned. */
kpu_status_t kpu_yolo2_decode(const kpu_yolo2_config_t *cfg, const float *output,
                              size_t output_count, void *work, size_t work_size,
                              kpu_yolo2_detection_t *dets, size_t capacity, size_t *count,
                              kpu_diag_t *diag);

/* Same, with the work memory taken from alloc for the duration of the call. */
kpu_status_t kpu_yolo2_decode_alloc(const kpu_yolo2_config_t *cfg, const float *output,
                                    size_t output_count, const kpu_allocator_t *alloc,
                                    kpu_yolo2_detection_t *dets, size_t capacity, size_t *count,
                                    kpu_diag_t *diag);

#endif
