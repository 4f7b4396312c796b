"""Trains the demo YOLOv2 detector (circles, squares, triangles) and writes its kmodel.

Run once by a developer; the results are committed:
    tools/maixkpu/data/demo_detector.kmodel   the integer KPU model (V3, built by maixkpu.kmodel)
    tools/maixkpu/data/demo_detector.json     input size, classes, anchors, threshold, seeds, ...

Setup (a separate venv so the project's own dependencies stay small; the C core must be built,
e.g. by `make core`):
    python3 -m venv .venv-train
    .venv-train/bin/pip install torch==2.13.0 numpy pillow scikit-image cffi
Command (from the repository root):
    .venv-train/bin/python tools/train_demo_detector.py
It took 18 minutes on 2 heavily shared CPU cores (2 min data, 15 min training, 1 min
calibration, conversion to the integer model and its evaluation through the project's C
runtime); less on an idle machine. The float weights are kept in build/demo_detector.pt;
`--reuse` converts and evaluates them again without training (3 minutes).

The network (input 320x240 RGB, 0..255): six 3x3 conv + batch norm + ReLU layers, the first four
followed by a KPU 2x2 max pool, then a 1x1 conv to 5 anchors x (5 + 3 classes) = 40 channels on
a 20x15 grid (16x16-pixel cells), which a CHANNELWISE_DEQUANTIZE turns into the float32 output
MaixPy's region layer decodes. Training and calibration are deterministic for a given seed,
torch version and thread count.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Python puts this script's folder (tools/) first on sys.path, so the in-tree maixkpu package
# is used without installing the project into .venv-train.
from maixkpu.core import Model
from maixkpu.demo_data import CLASSES, INPUT_H, INPUT_W, Box, make_sample
from maixkpu.demo_eval import Score, decode, match
from maixkpu.demo_export import FloatConv, build_kmodel

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "tools" / "maixkpu" / "data"
CHECKPOINT = REPO / "build" / "demo_detector.pt"  # float weights (not committed)
VERSION = 1
TRAIN_SEED = 1
VAL_SEED = 2
TORCH_SEED = 0
N_TRAIN = 2400
N_VAL = 200
N_CALIB = 200
BATCH = 32
EPOCHS = 6
CROP_W, CROP_H = 128, 96  # training crops (a sixth of the input) keep the CPU time small
LR = 4e-3
CHANNELS = (3, 8, 16, 32, 32, 64, 64)
POOLED = (True, True, True, True, False, False)  # KPU pool type 1 (max 2x2 stride 2) or none
N_ANCHORS = 5  # MaixPy's firmware assumes 5 anchors when it derives the class count
GRID_W, GRID_H = INPUT_W // 16, INPUT_H // 16
CELL = 16.0
THRESHOLD = 0.5  # before validation picks one of THRESHOLDS
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
NMS = 0.3
IGNORE_IOU = 0.6  # no objectness penalty for a prediction this close to an object...
NEAR_CLASS_WEIGHT = 0.5  # ...but its class is trained: MaixPy's NMS is per class only


class Detector(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        for cin, cout, pooled in zip(CHANNELS, CHANNELS[1:], POOLED):
            blocks.append(nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.MaxPool2d(2) if pooled else nn.Identity()))
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(CHANNELS[-1], N_ANCHORS * (5 + len(CLASSES)), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(x)

    def relu_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every block's ReLU output (before pooling, as the KPU quantizes it) and the head's."""
        outs = []
        for block in self.blocks:
            conv, bn, relu, pool = block  # type: ignore[misc]
            x = relu(bn(conv(x)))
            outs.append(x)
            x = pool(x)
        outs.append(self.head(x))
        return outs


# -- data -------------------------------------------------------------------------------------

def load_set(seed: int, count: int) -> tuple[np.ndarray, list[list[Box]]]:
    images = np.empty((count, 3, INPUT_H, INPUT_W), np.uint8)
    boxes = []
    for i in range(count):
        img, b = make_sample(seed, i)
        images[i] = img.transpose(2, 0, 1)
        boxes.append(b)
    return images, boxes


def kmeans_anchors(boxes: list[list[Box]], k: int) -> np.ndarray:
    """k (w, h) anchors in grid cells by k-means with 1 - IoU as distance, sorted by area."""
    wh = np.array([(b.w / CELL, b.h / CELL) for bs in boxes for b in bs])
    order = np.argsort(wh.prod(axis=1))
    centres = wh[order[(np.arange(k) * 2 + 1) * len(wh) // (2 * k)]]  # area quantiles
    for _ in range(100):
        inter = np.minimum(wh[:, None, 0], centres[None, :, 0]) * np.minimum(
            wh[:, None, 1], centres[None, :, 1])
        iou = inter / (wh.prod(axis=1)[:, None] + centres.prod(axis=1)[None, :] - inter)
        nearest = iou.argmax(axis=1)
        new = np.array([wh[nearest == j].mean(axis=0) if np.any(nearest == j) else centres[j]
                        for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    return centres[np.argsort(centres.prod(axis=1))]


# -- loss -------------------------------------------------------------------------------------

def yolo_loss(pred: torch.Tensor, boxes: list[list[Box]], partial: list[list[Box]],
              anchors: torch.Tensor) -> torch.Tensor:
    """YOLOv2 loss of a batch; `boxes` are the objects to detect (centre inside the image),
    `partial` the objects a crop cut so that only the objectness near them goes unpunished."""
    n, classes = pred.shape[0], len(CLASSES)
    grid_h, grid_w = pred.shape[2], pred.shape[3]
    p = pred.view(n, N_ANCHORS, 5 + classes, grid_h, grid_w)
    gy, gx = torch.meshgrid(torch.arange(grid_h), torch.arange(grid_w), indexing="ij")
    with torch.no_grad():  # predicted boxes in pixels, for the ignore mask
        px = (gx + torch.sigmoid(p[:, :, 0])) * CELL
        py = (gy + torch.sigmoid(p[:, :, 1])) * CELL
        pw = torch.exp(p[:, :, 2].clamp(max=6)) * anchors[None, :, 0, None, None] * CELL
        ph = torch.exp(p[:, :, 3].clamp(max=6)) * anchors[None, :, 1, None, None] * CELL
    ignore = torch.zeros(n, N_ANCHORS, grid_h, grid_w, dtype=torch.bool)
    near_cls = torch.full((n, N_ANCHORS, grid_h, grid_w), -1, dtype=torch.long)
    obj_t = torch.zeros(n, N_ANCHORS, grid_h, grid_w)
    pos_idx, xy_t, wh_t, cls_t = [], [], [], []
    for i, (bs, cut) in enumerate(zip(boxes, partial)):
        for b in [*bs, *cut]:
            cx, cy = b.x + b.w / 2, b.y + b.h / 2
            ix = (torch.minimum(px[i] + pw[i] / 2, torch.tensor(b.x + b.w))
                  - torch.maximum(px[i] - pw[i] / 2, torch.tensor(b.x)))
            iy = (torch.minimum(py[i] + ph[i] / 2, torch.tensor(b.y + b.h))
                  - torch.maximum(py[i] - ph[i] / 2, torch.tensor(b.y)))
            inter = ix.clamp(min=0) * iy.clamp(min=0)
            iou = inter / (pw[i] * ph[i] + b.w * b.h - inter)
            ignore[i] |= iou > IGNORE_IOU
            near_cls[i][iou > 0.5] = b.classid
            if b not in bs:
                continue
            col, row = min(int(cx // CELL), grid_w - 1), min(int(cy // CELL), grid_h - 1)
            w, h = b.w / CELL, b.h / CELL
            inter_a = torch.minimum(anchors[:, 0], torch.tensor(w)) * torch.minimum(
                anchors[:, 1], torch.tensor(h))
            a = int(torch.argmax(inter_a / (anchors.prod(dim=1) + w * h - inter_a)))
            pos_idx.append((i, a, row, col))
            xy_t.append((cx / CELL - col, cy / CELL - row))
            wh_t.append((np.log(w / float(anchors[a, 0])), np.log(h / float(anchors[a, 1]))))
            cls_t.append(b.classid)
            obj_t[i, a, row, col] = 1.0
    obj_logits = p[:, :, 4]
    weight = torch.where(obj_t > 0, torch.tensor(5.0),
                         torch.where(ignore, torch.tensor(0.0), torch.tensor(1.0)))
    loss = F.binary_cross_entropy_with_logits(obj_logits, obj_t, weight=weight, reduction="sum")
    near = near_cls >= 0
    if bool(near.any()):
        logits = p[:, :, 5:].permute(0, 1, 3, 4, 2)[near]  # (near predictions, classes)
        loss = loss + NEAR_CLASS_WEIGHT * F.cross_entropy(logits, near_cls[near],
                                                          reduction="sum")
    if pos_idx:
        idx = torch.tensor(pos_idx)
        sel = p[idx[:, 0], idx[:, 1], :, idx[:, 2], idx[:, 3]]  # (positives, 5 + classes)
        loss = loss + 2.0 * F.binary_cross_entropy_with_logits(
            sel[:, 0:2], torch.tensor(xy_t, dtype=torch.float32), reduction="sum")
        loss = loss + 2.0 * F.mse_loss(sel[:, 2:4], torch.tensor(wh_t, dtype=torch.float32),
                                       reduction="sum")
        loss = loss + F.cross_entropy(sel[:, 5:], torch.tensor(cls_t), reduction="sum")
    return loss / n


# -- training and conversion ------------------------------------------------------------------

def to_input(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).float() / 255.0


def random_crop(rng: np.random.Generator, image: np.ndarray,
                boxes: list[Box]) -> tuple[np.ndarray, list[Box], list[Box]]:
    """A CROP_W x CROP_H window at a cell-aligned offset (so the grid stays where it is in the
    full image) around a random object, mirrored half of the time. Returns the crop, the
    objects whose centre it holds and the other objects it (maybe) cuts."""
    max_x, max_y = (INPUT_W - CROP_W) // int(CELL), (INPUT_H - CROP_H) // int(CELL)
    if boxes:
        b = boxes[int(rng.integers(len(boxes)))]
        cx, cy = int((b.x + b.w / 2) // CELL), int((b.y + b.h / 2) // CELL)
        lo_x, hi_x = max(0, cx - CROP_W // int(CELL) + 1), min(max_x, cx)
        lo_y, hi_y = max(0, cy - CROP_H // int(CELL) + 1), min(max_y, cy)
        ox, oy = int(rng.integers(lo_x, hi_x + 1)), int(rng.integers(lo_y, hi_y + 1))
    else:
        ox, oy = int(rng.integers(0, max_x + 1)), int(rng.integers(0, max_y + 1))
    x0, y0 = ox * int(CELL), oy * int(CELL)
    crop = image[:, y0:y0 + CROP_H, x0:x0 + CROP_W]
    moved = [Box(b.x - x0, b.y - y0, b.w, b.h, b.classid) for b in boxes]
    if rng.random() < 0.5:  # mirrored shapes keep their class
        crop = crop[:, :, ::-1]
        moved = [Box(CROP_W - b.x - b.w, b.y, b.w, b.h, b.classid) for b in moved]
    inside = [b for b in moved
              if 0 <= b.x + b.w / 2 < CROP_W and 0 <= b.y + b.h / 2 < CROP_H]
    return crop, inside, [b for b in moved if b not in inside]


def train(model: Detector, images: np.ndarray, boxes: list[list[Box]],
          anchors: torch.Tensor) -> None:
    rng = np.random.default_rng(TORCH_SEED)
    steps_per_epoch = len(images) // BATCH
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR,
                                                total_steps=EPOCHS * steps_per_epoch,
                                                pct_start=0.15)
    model.train()
    start = time.time()
    for epoch in range(EPOCHS):
        order = rng.permutation(len(images))
        total = 0.0
        for s in range(steps_per_epoch):
            crops = [random_crop(rng, images[i], boxes[i])
                     for i in order[s * BATCH:(s + 1) * BATCH]]
            batch = np.stack([c[0] for c in crops])
            loss = yolo_loss(model(to_input(batch)), [c[1] for c in crops],
                             [c[2] for c in crops], anchors)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {total / steps_per_epoch:.3f} "
              f"({time.time() - start:.0f} s)", flush=True)


def fused_layers(model: Detector) -> list[FloatConv]:
    layers = []
    for block, pooled in zip(model.blocks, POOLED):
        conv, bn = block[0], block[1]  # type: ignore[index]
        scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().double()
        w = conv.weight.detach().double() * scale[:, None, None, None]
        b = bn.bias.detach().double() - bn.running_mean.double() * scale
        layers.append(FloatConv(w.numpy(), b.numpy(), relu=True, pool=1 if pooled else 0))
    layers.append(FloatConv(model.head.weight.detach().double().numpy(),
                            model.head.bias.detach().double().numpy(), relu=False))
    return layers


def calibrate(model: Detector, images: np.ndarray) -> tuple[list[np.ndarray], np.ndarray,
                                                            np.ndarray]:
    """Per-channel ranges: the 99.99th percentile of each ReLU channel, min/max of the head."""
    model.eval()
    outs: list[list[np.ndarray]] = []
    with torch.no_grad():
        for s in range(0, len(images), BATCH):
            acts = model.relu_outputs(to_input(images[s:s + BATCH]))
            for i, a in enumerate(acts):
                if len(outs) <= i:
                    outs.append([])
                outs[i].append(a.transpose(0, 1).reshape(a.shape[1], -1).numpy())
    per_layer = [np.concatenate(o, axis=1) for o in outs]
    relu_max = [np.percentile(a, 99.99, axis=1) for a in per_layer[:-1]]
    head = per_layer[-1]
    return relu_max, head.min(axis=1), head.max(axis=1)


def float_score(model: Detector, images: np.ndarray, boxes: list[list[Box]],
                config: dict[str, object]) -> Score:
    model.eval()
    total = Score()
    with torch.no_grad():
        for s in range(0, len(images), BATCH):
            out = model(to_input(images[s:s + BATCH])).numpy()
            for o, b in zip(out, boxes[s:s + BATCH]):
                total = total + match(decode(o, config), b)
    return total


def pick_threshold(outputs: list[np.ndarray], boxes: list[list[Box]],
                   config: dict[str, object]) -> float:
    """The detection threshold with the best F1 score on the validation outputs (ties: the one
    nearest THRESHOLD, MaixPy's usual value)."""
    best, best_f1 = THRESHOLD, -1.0
    for threshold in sorted(THRESHOLDS, key=lambda t: abs(t - THRESHOLD)):
        s = sum((match(decode(o, config, threshold), b) for o, b in zip(outputs, boxes)),
                Score())
        f1 = 2 * s.true_pos / max(1, 2 * s.true_pos + s.false_pos + s.missed)
        print(f"  threshold {threshold:.2f}: recall {s.recall:.3f} precision {s.precision:.3f}")
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    return best


def main() -> None:
    torch.manual_seed(TORCH_SEED)
    torch.set_num_threads(2)
    t0 = time.time()
    images, boxes = load_set(TRAIN_SEED, N_TRAIN)
    val_images, val_boxes = load_set(VAL_SEED, N_VAL)
    print(f"data: {N_TRAIN} + {N_VAL} images ({time.time() - t0:.0f} s)", flush=True)
    anchors = kmeans_anchors(boxes, N_ANCHORS)
    config: dict[str, object] = {
        "version": VERSION,
        "input": {"width": INPUT_W, "height": INPUT_H, "channels": 3,
                  "format": "RGB planar uint8"},
        "output": {"width": GRID_W, "height": GRID_H, "channels": N_ANCHORS * (5 + len(CLASSES))},
        "classes": list(CLASSES),
        "anchors": [round(float(v), 4) for v in anchors.reshape(-1)],
        "threshold": THRESHOLD,
        "nms": NMS,
        "seeds": {"train": TRAIN_SEED, "validation": VAL_SEED, "torch": TORCH_SEED},
        "train_images": N_TRAIN,
        "epochs": EPOCHS,
    }
    anchors_t = torch.tensor(np.array(config["anchors"]).reshape(-1, 2), dtype=torch.float32)
    model = Detector()
    if "--reuse" in sys.argv and CHECKPOINT.is_file():  # re-export without training again
        model.load_state_dict(torch.load(CHECKPOINT))
    else:
        train(model, images, boxes, anchors_t)
        CHECKPOINT.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), CHECKPOINT)
    fscore = float_score(model, val_images, val_boxes, config)
    print(f"float model: recall {fscore.recall:.3f} precision {fscore.precision:.3f}", flush=True)

    relu_max, out_lo, out_hi = calibrate(model, images[:N_CALIB])
    data = build_kmodel(fused_layers(model), INPUT_W, INPUT_H, relu_max, out_lo, out_hi)
    with Model.load(data) as kmodel:
        outputs = [kmodel.run(v)[0] for v in val_images]
    config["threshold"] = pick_threshold(outputs, val_boxes, config)
    qscore = sum((match(decode(o, config), b) for o, b in zip(outputs, val_boxes)), Score())
    print(f"kmodel ({len(data)} bytes): recall {qscore.recall:.3f} "
          f"precision {qscore.precision:.3f}", flush=True)
    config["validation"] = {"images": N_VAL, "iou": 0.5,
                            "float": {"recall": round(fscore.recall, 4),
                                      "precision": round(fscore.precision, 4)},
                            "kmodel": {"recall": round(qscore.recall, 4),
                                       "precision": round(qscore.precision, 4)}}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "demo_detector.kmodel").write_bytes(data)
    (OUT_DIR / "demo_detector.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"wrote {OUT_DIR / 'demo_detector.kmodel'} ({time.time() - t0:.0f} s in all)")


if __name__ == "__main__":
    main()
