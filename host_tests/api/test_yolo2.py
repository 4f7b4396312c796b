"""The C YOLOv2 region layer (maixkpu.postprocess.yolo2_decode) against an independent numpy
implementation of spec maixpy-kpu-api.md section 8, written here from the spec text, plus the
real VOC model of kmodel-v3-and-kpu.md section 12 when the runtime can run it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_tests.conftest import shared_model
from maixkpu._core import ffi, lib
from maixkpu.postprocess import Detection, KpuError, yolo2_decode

F32 = np.float32
INT32_MAX = 2**31 - 1
VOC_ANCHORS = (1.08, 1.19, 3.42, 4.41, 6.63, 11.38, 9.42, 5.11, 16.62, 10.52)


# ---------------------------------------------------------------------------------------------
# Reference implementation (spec section 8), vectorised over boxes


@dataclass
class RefResult:
    boxes: np.ndarray        # (boxes, 4) float32 x, y, w, h normalised
    probs_pre_nms: np.ndarray  # (boxes, classes) float32, <= threshold already 0
    detections: list[tuple[int, int, int, int, float, int, int, int]]  # x y w h v cls anchor cell


def _exp32(v: np.ndarray) -> np.ndarray:
    # expf: the exactly rounded float32 exponential (float64 exp, then rounded)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(v.astype(np.float64)).astype(F32)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    # spec 8.3 / MaixPy: 1.0 / (1.0 + expf(-v)) with the division in double
    with np.errstate(over="ignore", invalid="ignore"):
        return (1.0 / (1.0 + _exp32(-v).astype(np.float64))).astype(F32)


def _corner(f: np.ndarray) -> np.ndarray:
    # truncation toward zero; negative and NaN to 0; saturation at INT32_MAX (yolo2.h)
    with np.errstate(invalid="ignore"):
        t = np.minimum(np.trunc(f.astype(np.float64)), INT32_MAX)
        return np.where(f > 0, t, 0).astype(np.int64)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of one box a (4,) with boxes b (n, 4), float32 in darknet's operation order."""
    two = F32(2)
    with np.errstate(all="ignore"):
        def overlap(c1: F32, s1: F32, c2: np.ndarray, s2: np.ndarray) -> np.ndarray:
            l1, l2 = c1 - s1 / two, c2 - s2 / two
            r1, r2 = c1 + s1 / two, c2 + s2 / two
            left = np.where(l1 > l2, l1, l2)
            right = np.where(r1 < r2, r1, r2)
            return (right - left).astype(F32)

        ow = overlap(a[0], a[2], b[:, 0], b[:, 2])
        oh = overlap(a[1], a[3], b[:, 1], b[:, 3])
        inter = np.where((ow < 0) | (oh < 0), F32(0), ow * oh).astype(F32)
        union = (a[2] * a[3] + b[:, 2] * b[:, 3]) - inter
        return (inter / union).astype(F32)


def reference_decode(out: np.ndarray, out_w: int, out_h: int, out_c: int, in_w: int,
                     in_h: int, anchors: tuple[float, ...], threshold: float,
                     nms: float) -> RefResult:
    na = len(anchors) // 2
    entries = out_c // na
    classes = entries - 5
    wh = out_w * out_h
    thr, nms32 = F32(threshold), F32(nms)
    anc = np.asarray(anchors, dtype=F32).reshape(na, 2)
    t = np.asarray(out, dtype=F32).reshape(na, entries, wh)  # element (n, e, loc), spec 8.2

    loc = np.arange(wh)
    col, row = (loc % out_w).astype(F32), (loc // out_w).astype(F32)
    with np.errstate(all="ignore"):
        bx = (col + _sigmoid(t[:, 0])) / F32(out_w)
        by = (row + _sigmoid(t[:, 1])) / F32(out_h)
        bw = _exp32(t[:, 2]) * anc[:, 0:1] / F32(out_w)
        bh = _exp32(t[:, 3]) * anc[:, 1:2] / F32(out_h)
        objectness = _sigmoid(t[:, 4])
        logits = t[:, 5:]                                 # (na, classes, wh)
        largest = logits[:, 0]
        for j in range(1, classes):
            largest = np.where(logits[:, j] > largest, logits[:, j], largest)
        e = _exp32(logits - largest[:, None, :])
        total = np.zeros_like(largest)
        for j in range(classes):                          # float32, in class order
            total = (total + e[:, j]).astype(F32)
        p = (objectness[:, None, :] * (e / total[:, None, :])).astype(F32)
    p = np.where(p > thr, p, F32(0)).astype(F32)
    # box index idx = n * wh + loc
    probs = p.transpose(0, 2, 1).reshape(na * wh, classes).copy()
    boxes = np.stack([bx, by, bw, bh], axis=-1).reshape(na * wh, 4).astype(F32)
    pre_nms = probs.copy()

    # per-class greedy NMS; equal probabilities in ascending box index (documented choice)
    for k in range(classes):
        cand = np.nonzero(probs[:, k] != 0)[0]
        order = cand[np.lexsort((cand, -probs[cand, k]))]
        for pos, i in enumerate(order):
            if probs[i, k] == 0:
                continue
            later = order[pos + 1:]
            if later.size:
                probs[later[_iou(boxes[i], boxes[later]) > nms32], k] = 0

    best = np.argmax(probs, axis=1)                       # first maximum wins
    value = probs[np.arange(probs.shape[0]), best]
    keep = np.nonzero(value > thr)[0]                     # visiting order = idx order
    W, H, two = F32(in_w), F32(in_h), F32(2)
    with np.errstate(all="ignore"):
        x1 = _corner(boxes[:, 0] * W - boxes[:, 2] * W / two)
        y1 = _corner(boxes[:, 1] * H - boxes[:, 3] * H / two)
        x2 = _corner(boxes[:, 0] * W + boxes[:, 2] * W / two)
        y2 = _corner(boxes[:, 1] * H + boxes[:, 3] * H / two)
    dets = [(int(x1[i]), int(y1[i]), int(x2[i] - x1[i]), int(y2[i] - y1[i]), float(value[i]),
             int(best[i]), int(i // wh), int(i % wh)) for i in keep]
    return RefResult(boxes, pre_nms, dets)


def assert_same(got: list[Detection], ref: RefResult) -> None:
    assert len(got) == len(ref.detections)
    for i, (d, r) in enumerate(zip(got, ref.detections)):
        x, y, w, h, value, cls, anchor, cell = r
        assert (d.x, d.y, d.w, d.h) == (x, y, w, h), (i, d, r)
        assert (d.classid, d.anchor, d.cell) == (cls, anchor, cell), (i, d, r)
        assert d.value == pytest.approx(value, rel=1e-6), (i, d, r)
        assert d.index == i and d.objnum == len(got)


def decode_both(out: np.ndarray, out_w: int, out_h: int, out_c: int, in_w: int, in_h: int,
                anchors: tuple[float, ...], threshold: float,
                nms: float) -> tuple[list[Detection], RefResult]:
    before = out.copy()
    got = yolo2_decode(out, out_w, out_h, out_c, in_w, in_h, anchors, threshold, nms)
    np.testing.assert_array_equal(out, before)  # the caller's tensor is never modified
    return got, reference_decode(out, out_w, out_h, out_c, in_w, in_h, anchors, threshold, nms)


# ---------------------------------------------------------------------------------------------
# Generated outputs


@st.composite
def yolo_cases(draw: st.DrawFn) -> tuple:
    na = draw(st.integers(1, 10))
    out_w, out_h = draw(st.integers(1, 20)), draw(st.integers(1, 15))
    # bounded work: with a low threshold every (box, class) takes part in NMS
    classes = min(draw(st.integers(1, 25)), max(1, 12000 // (na * out_w * out_h)))
    in_w, in_h = draw(st.integers(1, 640)), draw(st.integers(1, 480))
    anchors = tuple(draw(st.lists(st.floats(0.0625, 20.0, width=32), min_size=2 * na,
                                  max_size=2 * na)))
    threshold = draw(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7])
                     | st.floats(0.0, 1.0, width=32))
    nms = draw(st.sampled_from([0.0, 0.2, 0.3, 0.5, 1.0]) | st.floats(0.0, 1.0, width=32))
    seed = draw(st.integers(0, 2**32 - 1))
    strong = draw(st.floats(0.0, 1.0))   # fraction of confident boxes
    tie = draw(st.booleans())            # identical logits in all confident boxes
    spread = draw(st.sampled_from([0.3, 1.0, 3.0]))
    specials = draw(st.integers(0, 4))  # NaN / infinite / huge entries sprinkled in

    rng = np.random.default_rng(seed)
    entries, wh = 5 + classes, out_w * out_h
    out = rng.normal(0.0, spread, size=(na, entries, wh)).astype(F32)
    mask = rng.random((na, wh)) < strong
    hot = rng.integers(0, classes, size=(na, wh))
    for n, loc in zip(*np.nonzero(mask)):
        out[n, 4, loc] = 6.0 if tie else rng.uniform(2.0, 8.0)
        out[n, 5 + hot[n, loc], loc] = 9.0 if tie else rng.uniform(3.0, 9.0)
        if tie:
            out[n, 0:4, loc] = 0.0
    for _ in range(specials):
        where = tuple(int(rng.integers(0, d)) for d in out.shape)
        out[where] = rng.choice([np.nan, np.inf, -np.inf, 100.0, -100.0])
    return out.reshape(na * entries, out_h, out_w), out_w, out_h, na * entries, in_w, in_h, \
        anchors, threshold, nms


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yolo_cases())
def test_matches_reference(case: tuple) -> None:
    got, ref = decode_both(*case)
    assert_same(got, ref)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_many_detections_beyond_maixpy_cap(seed: int) -> None:
    # every box confident, small boxes in distinct cells: far more than MaixPy's 10 survive NMS
    rng = np.random.default_rng(seed)
    na, classes, out_w, out_h = 2, 3, 8, 6
    out = rng.normal(0.0, 0.2, size=(na, 5 + classes, out_h * out_w)).astype(F32)
    out[:, 4] = 5.0
    out[:, 5] += 6.0
    out[:, 2:4] = -1.0
    anchors = (0.5, 0.5, 0.6, 0.4)
    got, ref = decode_both(out.reshape(-1), out_w, out_h, na * (5 + classes), 160, 120,
                           anchors, 0.5, 0.5)
    assert len(got) > 10
    assert_same(got, ref)


def test_flat_and_chw_inputs_agree() -> None:
    rng = np.random.default_rng(7)
    out = rng.normal(0, 2, size=(5 * 25, 7, 10)).astype(F32)
    out[4::25] += 3
    a = yolo2_decode(out, 10, 7, 125, 320, 240, VOC_ANCHORS, 0.3, 0.4)
    b = yolo2_decode(out.reshape(-1), 10, 7, 125, 320, 240, VOC_ANCHORS, 0.3, 0.4)
    assert a == b and a


# ---------------------------------------------------------------------------------------------
# Hand-made cases with values worked out from the spec formulas


def _one_box(classes: int = 2) -> np.ndarray:
    """1 anchor, 1x1 grid: all logits 0 except a confident objectness and class 0."""
    out = np.zeros((5 + classes, 1, 1), dtype=F32)
    out[4] = 20.0          # sigmoid ~ 1
    out[5] = 20.0          # softmax ~ 1 for class 0
    return out


def test_single_box_geometry() -> None:
    # tx = ty = 0 -> centre 0.5; tw = th = 0 -> size = anchor / grid = 0.5 of the input
    dets = yolo2_decode(_one_box(), 1, 1, 7, 100, 80, (0.5, 0.5), 0.5, 0.3)
    assert len(dets) == 1
    d = dets[0]
    assert d.rect() == (25, 20, 50, 40)
    assert (d.classid, d.index, d.objnum, d.anchor, d.cell) == (0, 0, 1, 0, 0)
    assert d.value == pytest.approx(1.0, abs=1e-6)


def test_no_detection_gives_empty_list() -> None:
    out = np.full((5 * 25, 7, 10), -10.0, dtype=F32)
    assert yolo2_decode(out, 10, 7, 125, 320, 240, VOC_ANCHORS, 0.5, 0.2) == []


def test_threshold_is_strict() -> None:
    # objectness 0 -> 0.5, one class -> softmax 1: probability exactly 0.5, not > 0.5
    out = np.zeros((6, 1, 1), dtype=F32)
    assert yolo2_decode(out, 1, 1, 6, 10, 10, (1, 1), 0.5, 0.2) == []
    assert len(yolo2_decode(out, 1, 1, 6, 10, 10, (1, 1), 0.49, 0.2)) == 1


def test_negative_corners_clamp_to_zero_and_right_edge_is_not_clipped() -> None:
    # centre 0.5 of a 1x1 grid, width 3 anchors: x1 = 50 - 150 < 0 -> 0, x2 = 200 (> input)
    dets = yolo2_decode(_one_box(), 1, 1, 7, 100, 100, (3.0, 3.0), 0.5, 0.2)
    assert dets[0].rect() == (0, 0, 200, 200)


def test_huge_box_saturates_instead_of_wrapping() -> None:
    out = _one_box()
    out[2] = out[3] = 100.0  # expf overflows to inf: x2 = +inf, x1 = -inf
    d = yolo2_decode(out, 1, 1, 7, 320, 240, (1.0, 1.0), 0.5, 0.2)[0]
    assert d.rect() == (0, 0, INT32_MAX, INT32_MAX)


def test_truncation_toward_zero() -> None:
    # x = (0 + 0.5) / 1 = 0.5; w = e^0 * 0.3 = 0.3 -> x1 = 7*0.5 - 0.3*7/2 = 2.45 -> 2,
    # x2 = 4.55 -> 4, w = 2
    d = yolo2_decode(_one_box(), 1, 1, 7, 7, 7, (0.3, 0.3), 0.5, 0.2)[0]
    assert d.rect() == (2, 2, 2, 2)


def test_nan_and_infinite_inputs_give_defined_corners() -> None:
    # tx = NaN: the x centre is NaN, both x corners become 0; th = inf: y1 = -inf -> 0,
    # y2 = +inf -> INT32_MAX
    out = _one_box()
    out[0] = np.nan
    out[3] = np.inf
    d = yolo2_decode(out, 1, 1, 7, 100, 100, (0.5, 0.5), 0.5, 0.2)[0]
    assert d.rect() == (0, 0, 0, INT32_MAX)


def test_equal_class_probabilities_pick_the_first_class() -> None:
    out = np.zeros((5 + 3, 1, 1), dtype=F32)
    out[4] = 20.0
    out[5] = -30.0
    out[6] = out[7] = 10.0  # classes 1 and 2 tie at exactly 0.5 each (class 0: ~1e-18)
    d = yolo2_decode(out, 1, 1, 8, 10, 10, (1, 1), 0.4, 0.2)
    assert [(x.classid, x.value) for x in d] == [(1, 0.5)]


def test_sigmoid_divides_in_double() -> None:
    # spec 8.3 / MaixPy: 1.0 / (1.0 + expf(-v)) with double constants; pick objectness logits
    # where that differs from an all-float evaluation, so the value shows which one ran
    v = np.linspace(-3.0, 3.0, 200001, dtype=F32)
    e = _exp32(-v)
    in_double = (1.0 / (1.0 + e.astype(np.float64))).astype(F32)
    in_float = (F32(1) / (F32(1) + e)).astype(F32)
    picks = v[in_double != in_float][:: 997][:12]
    assert picks.size >= 5
    for logit in picks:
        out = np.zeros((6, 1, 1), dtype=F32)
        out[4] = logit  # one class: probability = sigmoid(objectness)
        d = yolo2_decode(out, 1, 1, 6, 10, 10, (1, 1), 0.0, 0.2)
        expect = float((1.0 / (1.0 + _exp32(-np.array([logit])).astype(np.float64)))
                       .astype(F32)[0])
        assert [x.value for x in d] == [expect], logit


def test_equal_probabilities_keep_lower_box_index() -> None:
    # two anchors with identical boxes and logits in one cell: full overlap, equal probability;
    # the lower index (anchor 0) suppresses the other, whatever the sort algorithm
    one = _one_box()
    out = np.concatenate([one, one])
    dets = yolo2_decode(out, 1, 1, 14, 64, 64, (1, 1, 1, 1), 0.5, 0.5)
    assert [(d.anchor, d.cell) for d in dets] == [(0, 0)]


def test_nms_is_per_class() -> None:
    # the same box twice, different classes: both survive
    a, b = _one_box(), _one_box()
    b[5], b[6] = 0.0, 20.0
    dets = yolo2_decode(np.concatenate([a, b]), 1, 1, 14, 64, 64, (1, 1, 1, 1), 0.5, 0.1)
    assert [(d.anchor, d.classid) for d in dets] == [(0, 0), (1, 1)]


def test_nms_iou_is_strictly_greater() -> None:
    # anchor 1 box is half the width of anchor 0 box, same centre: IoU exactly 0.5
    out = np.concatenate([_one_box(), _one_box()])
    # both probabilities round to 1.0f: the tie keeps anchor 0 first
    anchors = (1.0, 1.0, 0.5, 1.0)
    assert len(yolo2_decode(out, 1, 1, 14, 64, 64, anchors, 0.5, 0.5)) == 2
    assert len(yolo2_decode(out, 1, 1, 14, 64, 64, anchors, 0.5, 0.49)) == 1


def test_visiting_order_is_anchor_major() -> None:
    # confident boxes at anchor 1 cell 0 and anchor 0 cell 3: anchor 0 comes first
    na, classes, out_w, out_h = 2, 1, 2, 2
    out = np.full((na, 5 + classes, out_w * out_h), -20.0, dtype=F32)
    out[:, 0:4] = 0.0
    out[:, 5] = 0.0
    out[1, 4, 0] = 20.0
    out[0, 4, 3] = 20.0
    dets = yolo2_decode(out.reshape(-1), out_w, out_h, 12, 100, 100, (0.1, 0.1, 0.1, 0.1),
                        0.5, 0.5)
    assert [(d.anchor, d.cell, d.index) for d in dets] == [(0, 3, 0), (1, 0, 1)]


# ---------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("out_c,anchors,needle", [
    (126, VOC_ANCHORS, "not a multiple"),          # 126 channels, 5 anchors
    (25, VOC_ANCHORS, "no class"),                 # 5 per anchor: zero classes
    (125, VOC_ANCHORS[:3], "pairs"),               # odd anchor values
    (125, (), "pairs"),
])
def test_bad_configuration_raises(out_c: int, anchors: tuple, needle: str) -> None:
    out = np.zeros(out_c * 70, dtype=F32)
    with pytest.raises(KpuError, match=needle) as info:
        yolo2_decode(out, 10, 7, out_c, 320, 240, anchors, 0.5, 0.2)
    assert info.value.status_name == "KPU_ERR_ARGUMENT"


@pytest.mark.parametrize("threshold,nms", [(-0.1, 0.2), (1.5, 0.2), (0.5, -1.0),
                                           (0.5, 2.0), (float("nan"), 0.2)])
def test_threshold_and_nms_range(threshold: float, nms: float) -> None:
    with pytest.raises(KpuError, match="only support 0 to 1"):
        yolo2_decode(np.zeros(125 * 70, F32), 10, 7, 125, 320, 240, VOC_ANCHORS, threshold, nms)


def test_size_mismatch_raises() -> None:
    with pytest.raises(KpuError) as info:
        yolo2_decode(np.zeros(125 * 70 - 1, F32), 10, 7, 125, 320, 240, VOC_ANCHORS, 0.5, 0.2)
    assert info.value.status_name == "KPU_ERR_SIZE"
    with pytest.raises(KpuError):
        yolo2_decode(np.zeros((125, 10, 7), F32), 10, 7, 125, 320, 240, VOC_ANCHORS, 0.5, 0.2)


def test_zero_sizes_raise() -> None:
    with pytest.raises(KpuError, match="empty"):
        yolo2_decode(np.zeros(0, F32), 0, 7, 125, 320, 240, VOC_ANCHORS, 0.5, 0.2)
    with pytest.raises(KpuError, match="empty"):
        yolo2_decode(np.zeros(125 * 70, F32), 10, 7, 125, 0, 240, VOC_ANCHORS, 0.5, 0.2)


# ---------------------------------------------------------------------------------------------
# The C API directly: capacity, work memory from an allocator


def _c_config(out: np.ndarray, anchors: tuple[float, ...]) -> tuple[Any, Any]:
    anchor_buf = ffi.new("float[]", list(anchors))
    cfg = ffi.new("kpu_yolo2_config_t *", {
        "out_w": 8, "out_h": 6, "out_c": out.size // 48, "in_w": 160, "in_h": 120,
        "anchors": anchor_buf, "anchor_num": len(anchors) // 2, "threshold": 0.5, "nms": 0.5})
    return cfg, anchor_buf


def _many_boxes() -> np.ndarray:
    out = np.zeros((2, 8, 48), dtype=F32)  # 2 anchors, 3 classes, 8 x 6 grid
    out[:, 4] = 5.0
    out[:, 5] = 6.0
    out[:, 2:4] = -1.0
    return out.reshape(-1)


def test_c_capacity_too_small_fills_what_fits() -> None:
    out = _many_boxes()
    full = yolo2_decode(out, 8, 6, 16, 160, 120, (0.5, 0.5, 0.6, 0.4), 0.5, 0.5)
    assert len(full) > 10
    cfg, _keep = _c_config(out, (0.5, 0.5, 0.6, 0.4))
    size = ffi.new("size_t *")
    assert lib.kpu_yolo2_work_size(cfg, size, ffi.NULL) == lib.KPU_OK
    assert size[0] == out.size * 4  # documented: the size of the output tensor
    work = ffi.new("float[]", out.size)
    dets = ffi.new("kpu_yolo2_detection_t[]", 10)
    count = ffi.new("size_t *")
    diag = ffi.new("kpu_diag_t *")
    st_ = lib.kpu_yolo2_decode(cfg, ffi.from_buffer("float[]", out), out.size, work, size[0],
                               dets, 10, count, diag)
    assert st_ == lib.KPU_ERR_SIZE and count[0] == len(full)
    assert [(dets[i].x, dets[i].y, dets[i].w, dets[i].h) for i in range(10)] == \
        [d.rect() for d in full[:10]]
    # too little work memory is refused before anything is written
    st_ = lib.kpu_yolo2_decode(cfg, ffi.from_buffer("float[]", out), out.size, work,
                               size[0] - 4, dets, 10, count, diag)
    assert st_ == lib.KPU_ERR_SIZE and count[0] == 0


def test_c_decode_with_allocator() -> None:
    out = _many_boxes()
    full = yolo2_decode(out, 8, 6, 16, 160, 120, (0.5, 0.5, 0.6, 0.4), 0.5, 0.5)
    cfg, _keep = _c_config(out, (0.5, 0.5, 0.6, 0.4))
    stats = ffi.new("kpu_alloc_std_stats_t *")
    alloc = ffi.new("kpu_allocator_t *", lib.kpu_alloc_std_counting(stats))
    dets = ffi.new("kpu_yolo2_detection_t[]", 96)
    count = ffi.new("size_t *")
    diag = ffi.new("kpu_diag_t *")
    src = ffi.from_buffer("float[]", out)
    assert lib.kpu_yolo2_decode_alloc(cfg, src, out.size, alloc, dets, 96, count,
                                      diag) == lib.KPU_OK
    assert [(dets[i].x, dets[i].y, dets[i].classid) for i in range(count[0])] == \
        [(d.x, d.y, d.classid) for d in full]
    assert (stats.allocs, stats.frees, stats.in_use, stats.peak) == (1, 1, 0, out.size * 4)
    stats.limit = out.size * 4 - 1
    assert lib.kpu_yolo2_decode_alloc(cfg, src, out.size, alloc, dets, 96, count,
                                      diag) == lib.KPU_ERR_NO_MEMORY
    assert stats.in_use == 0


# ---------------------------------------------------------------------------------------------
# The real VOC model (kmodel-v3-and-kpu.md section 12)


def _voc_output() -> np.ndarray:
    core = pytest.importorskip("maixkpu.core", reason="maixkpu.core (the runtime) is missing")
    image = pytest.importorskip("PIL.Image", reason="Pillow is missing")
    model_path = shared_model("nncase010rc5_yolo2_voc20_320x240_chwise.kmodel")
    bmp = shared_model("nncase_dog_320x240.bmp")
    rgb = np.asarray(image.open(bmp).convert("RGB"), dtype=np.uint8)  # (240, 320, 3)
    planar = np.ascontiguousarray(rgb.transpose(2, 0, 1))             # R, G, B planes
    try:
        model = core.Model.load(model_path)
    except (AttributeError, core.KpuError) as exc:
        pytest.skip(f"the runtime cannot load the VOC model yet: {exc}")
    with model:
        try:
            (out,) = model.run(planar)
        except core.KpuError as exc:
            pytest.skip(f"the runtime cannot run the VOC model yet: {exc}")
    out = np.asarray(out, dtype=F32).reshape(125, 7, 10)
    # the model output of spec section 12 (first values), so a runtime fault shows here
    np.testing.assert_allclose(out.reshape(-1)[:5], [-0.05395067, 0.08092606, -0.05395067,
                                                      0.12138915, -0.0134877], rtol=1e-6)
    return out


def test_voc_dog_detections() -> None:
    out = _voc_output()
    got, ref = decode_both(out, 10, 7, 125, 320, 240, VOC_ANCHORS, 0.5, 0.2)
    assert_same(got, ref)

    # spec section 12, before NMS: (class, anchor, row, col) -> probability to 3 decimals
    expected = {(1, 3, 3, 4): 0.967, (1, 1, 3, 4): 0.929, (6, 0, 1, 6): 0.747,
                (11, 1, 4, 2): 0.595}
    pre = ref.probs_pre_nms
    for (cls, anchor, row, col), value in expected.items():
        assert round(float(pre[anchor * 70 + row * 10 + col, cls]), 3) == value

    # after NMS 0.2: the strongest box of each class always survives; the weaker bicycle in
    # the same cell stays only if its IoU with the stronger one is <= 0.2
    kept = {(d.classid, d.anchor, d.cell): round(d.value, 3) for d in got}
    for cls, anchor, cell, value in [(1, 3, 34, 0.967), (6, 0, 16, 0.747), (11, 1, 42, 0.595)]:
        assert float(pre[:, cls].max()) == pytest.approx(value, abs=5e-4)
        assert kept[(cls, anchor, cell)] == value
    weak_iou = _iou(ref.boxes[3 * 70 + 34], ref.boxes[None, 1 * 70 + 34])[0]
    assert ((1, 1, 34) in kept) == bool(weak_iou <= F32(0.2))
    assert {d.classid for d in got} == {1, 6, 11}
    visit = [d.anchor * 70 + d.cell for d in got]
    assert visit == sorted(visit)
