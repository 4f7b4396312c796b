"""MaixPy's ``KPU`` module on CPython (spec maixpy-kpu-api.md), over the C core's kpu_api.h.

Every function of MaixPy v1's module with its argument checks, return types, reprs and exact
error texts. Where MaixPy crashes or misbehaves, this module gives a clear error or a fix:

- run_yolo2 before init_yolo2, a deinit'ed net, fmap on a map released by fmap_free, the wrong
  object passed to forward / set_layers / netinfo / fmap: clear exceptions;
- set_outputs with 4 arguments: TypeError; typecode() returns a 1-character str;
- netinfo of models over 255 layers lists them all; every detection is returned (no cap of 10);
- no limit of 5 loaded models: memory is the limit; model size > 6 MiB gives 2003 for files too;
- forward(net, img, end_layer) computes layers 0..end_layer and returns that layer's map (the
  documented meaning; set_layers + forward + get_output work as in MaixPy);
- the map of a layer other than K210_CONV has w = element count (MaixPy: byte count);
- maps are copies taken when they are made, so nothing dangles after deinit; ``fmap``'s
  Image views its map's bytes (as MaixPy's views the model buffer) and keeps the map alive;
- a collected net frees its model silently (MaixPy prints ``kpu_net __del__``);
- kmodel V4 nets run without set_outputs (no 2013): output shapes come from the graph, and a
  shape set_outputs accepted replaces them; maps of inner V4 / V5 layers have their layer's
  shape and element type ('B' uint8, 'f' float32); V5 nets (nncase 1.x) load and run too.

Host extensions: forward / run_yolo2 also take any buffer-protocol object holding the planar
input bytes (as the firmware glue does for ports without ``image``); ``set_flash`` chooses what
``load(offset)`` reads (the host ``HostFlash`` by default, the board's flash under the virtual
board via ``board_module``). ``dma`` arguments are accepted and ignored (one transfer path).
"""
from __future__ import annotations

import sys
import weakref
from types import ModuleType
from typing import Any, Callable

import numpy as np

from maixkpu._core import ffi, lib
from maixkpu.core import KpuError, default_soft_kpu
from maixkpu.postprocess import face_compare as _face_compare
from maixkpu.postprocess import face_encode as _face_encode

from .flash import HostFlash
from .image import Image
from .kpu_net import (
    PREFIX,
    FlashReader,
    KpuApi,
    LoadError,
    diag_text,
    kpu_net,
    maixpy_code,
    new_diag,
    run_error,
)
from .kpu_types import kpu_fmap, kpu_netinfo_find, kpu_yolo2, kpu_yolo2_find

__all__ = ["load", "load_flash", "set_outputs", "init_yolo2", "run_yolo2", "deinit", "set_layers",
           "forward", "get_output", "fmap", "fmap_free", "netinfo", "memtest", "face_encode",
           "face_compare", "classifier", "kpu_net", "kpu_fmap", "kpu_yolo2", "kpu_yolo2_find",
           "kpu_netinfo_find", "set_flash", "host_flash", "host_reset"]

NET_TYPE_ERROR = PREFIX + "kpu_net type error"
CHECK_IMG_ERROR = PREFIX + "check img format err!\r\n"
MODEL_SUFFIXES = (".kmodel", ".smodel", ".emodel")
FACE_FEATURE_MAX = int(lib.KPU_FACE_FEATURE_MAX)
NOMINAL_GC_HEAP = 3 * 1024 * 1024  # MaixPy's default GC heap (memtest figure)
NOMINAL_SYS_HEAP = 4 * 1024 * 1024  # system heap a full firmware leaves for models (nominal)
MAX_SPI_HZ = 80_000_000
_IMAGE_RGB565 = 2  # Image.format() values
_IMAGE_GRAYSCALE = 4


class _State:
    """What install / board_module choose: flash, path mapping, image class."""

    def __init__(self) -> None:
        self.api = KpuApi()
        self.reader: FlashReader | None = None
        self.host_flash: HostFlash | None = None
        self.resolve: Callable[[str], str] = lambda path: path
        self.image_class: type[Image] = Image
        self.nets: weakref.WeakSet[kpu_net] = weakref.WeakSet()


_state = _State()


# ----- host configuration ----------------------------------------------------------------------


def host_flash() -> HostFlash:
    """The host flash ``load(offset)`` reads when nothing else was set (16 MiB of 0xFF)."""
    if _state.host_flash is None:
        _state.host_flash = HostFlash()
    return _state.host_flash


def set_flash(source: HostFlash | FlashReader | None) -> None:
    """Read models from a HostFlash, a ``read(addr, n) -> bytes`` callable, or (None) the
    default host flash."""
    if source is None:
        _state.reader = None
    elif isinstance(source, HostFlash):
        _state.reader = source.read
    elif callable(source):
        _state.reader = source
    else:
        raise TypeError("set_flash needs a HostFlash or a read(addr, n) callable")


def host_reset() -> None:
    """Back to the host defaults (host flash, host paths, plain Image); nets stay loaded."""
    _state.reader = None
    _state.resolve = lambda path: path
    _state.image_class = Image


def _track(net: kpu_net) -> kpu_net:
    _state.nets.add(net)
    return net


def _reader() -> FlashReader:
    return _state.reader if _state.reader is not None else host_flash().read


def board_module(ctx: Any) -> ModuleType:
    """Virtual-board hook: KPU reads the board's flash and opens files on its file system."""
    from .imaging import board

    _state.reader = ctx.flash_read
    _state.resolve = lambda path: str(ctx.fs.host_path(path))
    _state.image_class = board.image_class(ctx, Image)
    return sys.modules[__name__]


# ----- helpers -------------------------------------------------------------------------------


def _net(obj: Any) -> kpu_net:
    if not isinstance(obj, kpu_net):
        raise TypeError(NET_TYPE_ERROR)
    return obj


def _int(value: Any) -> int:
    if isinstance(value, (int, np.integer)):
        return int(value)
    raise TypeError(f"can't convert {type(value).__name__} to int")


def _float(value: Any) -> float:
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    raise TypeError(f"can't convert {type(value).__name__} to float")


def _has_buffer(obj: Any) -> bool:
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def _image_input(net: kpu_net, img: Image) -> bytes:
    """check_img_format (7.2): prints the cause, then raises MaixPy's ValueError."""
    fmt = img.format()
    kind = {_IMAGE_RGB565: lib.KPU_IMAGE_RGB565, _IMAGE_GRAYSCALE: lib.KPU_IMAGE_GRAYSCALE}.get(
        fmt if fmt is not None else -1, lib.KPU_IMAGE_OTHER)
    diag = new_diag()
    st = lib.kpu_net_check_image(net.require(), int(img.pix_ai is not None), img.width(),
                                 img.height(), kind, diag)
    if st == lib.KPU_ERR_FIRST_LAYER:
        raise ValueError(PREFIX + "first layer not conv layer!\r\n")
    if st != lib.KPU_OK:
        print(diag_text(diag))
        raise ValueError(CHECK_IMG_ERROR)
    channels = 3 if kind == lib.KPU_IMAGE_RGB565 else 1
    n = channels * img.width() * img.height()
    return np.asarray(img.pix_ai, dtype=np.uint8).reshape(-1)[:n].tobytes()


def _input(net: kpu_net, img: Any, for_yolo: bool) -> bytes:
    if isinstance(img, Image):
        return _image_input(net, img)
    if not for_yolo and isinstance(img, list):
        if not img:
            raise ValueError(PREFIX + "check input list format err!\r\n")
        return np.asarray([_float(v) for v in img], dtype="<f4").tobytes()
    if _has_buffer(img):
        return memoryview(img).cast("B").tobytes()
    if for_yolo:
        raise TypeError(f"Can't convert {type(img).__name__} to Image")
    raise ValueError("input not support")


def _run(net: kpu_net, data: bytes, end_layer: int) -> None:
    diag = new_diag()
    backend = default_soft_kpu().backend_ptr
    st = lib.kpu_net_forward(net.require(), backend, data, len(data), end_layer, diag)
    if st != lib.KPU_OK:
        raise run_error(st, diag)


class _OutputError(Exception):
    def __init__(self, status: int, diag: Any) -> None:
        super().__init__(diag_text(diag))
        self.status, self.diag = status, diag


def _output(net: kpu_net, index: int) -> kpu_fmap:
    """Output index of the last run as a kpu_fmap (a copy); _OutputError on failure."""
    desc = ffi.new("kpu_fmap_t *")
    diag = new_diag()
    st = lib.kpu_net_get_output(net.require(), index, desc, diag)
    if st != lib.KPU_OK:
        raise _OutputError(st, diag)
    code = desc.typecode.decode("latin-1") if desc.typecode != b"\0" else ""
    data = bytes(ffi.buffer(desc.data, desc.size)) if desc.size else b""
    return kpu_fmap(data, code, desc.index, desc.w, desc.h, desc.ch, net,
                       int(desc.generation))


# ----- loading ---------------------------------------------------------------------------------


def load(offset_or_path: Any) -> kpu_net:
    """``load(offset)`` from flash (size from the model header) or ``load(path)`` of a file."""
    arg = offset_or_path
    if isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
        if arg <= 0:
            raise ValueError(PREFIX + "model_addr must > 0 ")
        try:
            return _track(kpu_net.from_flash(_state.api, _reader(), int(arg) & 0xFFFFFFFF))
        except LoadError as exc:
            raise ValueError(f"{PREFIX}load error:{exc}") from None
    if isinstance(arg, str):
        if not any(s in arg for s in MODEL_SUFFIXES):
            raise ValueError(PREFIX + "model format don't match, only supply .kmodel ")
        try:
            with open(_state.resolve(arg), "rb") as handle:
                data = handle.read()
        except OSError as exc:
            code = maixpy_code(lib.KPU_ERR_READ)
            raise ValueError(f"{PREFIX}load error:{code}, "
                             f"{ffi.string(lib.kpu_api_error_text(lib.KPU_ERR_READ)).decode()}"
                             f" ({arg}: {exc.strerror or exc})") from None
        try:
            return _track(kpu_net.from_bytes(_state.api, data, arg))
        except LoadError as exc:
            raise ValueError(f"{PREFIX}load error:{exc}") from None
    raise TypeError(PREFIX + "only accept int or string")


def load_flash(model_addr: Any, is_dual_buf: Any, batch_size: Any, spi_speed: Any) -> kpu_net:
    """A word-swapped ("big-endian") V3 model, or a V4 model in its original byte order, in
    flash; weights streamed per layer. V5 models are refused (2002, use ``load(offset)``)."""
    args = (model_addr, is_dual_buf, batch_size, spi_speed)
    if not all(isinstance(a, int) for a in args):
        raise ValueError(PREFIX + "load_flash arg format error: task=kpu.load_flash(flash_addr, "
                         "is_dual_buf, batch_size, spi_speed)")
    if model_addr <= 0:
        raise ValueError(PREFIX + "model_addr must > 0 ")
    print(f"SPI freq {min(max(spi_speed, 0), MAX_SPI_HZ)} Hz")
    try:
        return _track(kpu_net.from_flash_stream(_state.api, _reader(), model_addr & 0xFFFFFFFF,
                                                bool(is_dual_buf),
                                                batch_size if is_dual_buf else 0))
    except LoadError as exc:
        raise ValueError(f"{PREFIX}load_flash error:{exc}") from None


def deinit(kpu_net_obj: Any) -> bool:
    """Frees the model now; later use of the net raises OSError. Twice is harmless."""
    _net(kpu_net_obj).deinit()
    return True


# ----- configuration ---------------------------------------------------------------------------


def set_outputs(*args: Any) -> bool:
    """``set_outputs(net, idx, w, h, ch)`` for kmodel V4 outputs (optional: without it the
    graph's shape is reported); prints and returns False on a refused shape (a V3 or V5 net
    gives the 'ctx error' line with 2002)."""
    usage = "set_outputs(task, int idx, int w, int h, int ch)"
    if len(args) != 5:
        raise TypeError(f"set_outputs takes 5 positional arguments ({len(args)} given): {usage}")
    net, idx, w, h, ch = args
    if not isinstance(net, kpu_net) or not all(isinstance(v, int) for v in (idx, w, h, ch)):
        raise ValueError(f"{PREFIX}set_outputs arg format error: {usage}")
    diag = new_diag()
    index = idx if 0 <= idx <= 0xFFFFFFFF else 0xFFFFFFFF  # negative: out of range, not 0
    dims = [max(0, min(v, 0xFFFFFFFF)) for v in (w, h, ch)]
    st = lib.kpu_net_set_output_shape(net.require(), index, *dims, diag)
    code = maixpy_code(st)
    if st == lib.KPU_OK:
        return True
    if code == 2011:
        print(f"{PREFIX}set_outputs arg value error:kmodel output idx {idx} out of range")
    elif code == 2012:
        print(diag_text(diag))
        print(f"{PREFIX}set_outputs arg value error: w,c,ch size not match output size")
    else:
        print(f"{PREFIX}set_outputs ctx error, maybe init err:{code}")
    return False


def _anchor_list(anchor: Any, count: int) -> list[float]:
    if not isinstance(anchor, (tuple, list)):
        raise TypeError(f"object '{type(anchor).__name__}' isn't a tuple or list")
    if len(anchor) != 2 * count:
        raise ValueError(f"requested length {2 * count} but object has length {len(anchor)}")
    return [_float(a) for a in anchor]


def init_yolo2(*args: Any, **kwargs: Any) -> bool:
    """``init_yolo2(kpu_net, threshold, nms_value, anchor_number, anchor, dma=-1)`` -> True."""
    if len(args) < 5:
        raise TypeError(f"function missing {5 - len(args)} required positional arguments")
    if len(args) > 6 or set(kwargs) - {"dma"}:
        raise TypeError("init_yolo2(kpu_net, threshold, nms_value, anchor_number, anchor, dma)")
    net = _net(args[0])
    # float32 as on the K210 (single-float build)
    threshold = float(np.float32(_float(args[1])))
    nms = float(np.float32(_float(args[2])))
    count = _int(args[3])
    diag = new_diag()
    ptr = net.require()
    if count <= 0 or not (0.0 <= threshold <= 1.0) or not (0.0 <= nms <= 1.0):
        # the core reports the first failing check in MaixPy's order, before the anchors
        lib.kpu_net_init_yolo2(ptr, threshold, nms, max(min(count, 0xFFFFFFFF), 0), ffi.NULL,
                               diag)
        raise ValueError(diag_text(diag))
    anchors = _anchor_list(args[4], count)
    buf = ffi.new("float[]", anchors)
    st = lib.kpu_net_init_yolo2(ptr, threshold, nms, count, buf, diag)
    if st != lib.KPU_OK:
        raise ValueError(diag_text(diag))
    net.set_args(kpu_yolo2(threshold, nms, anchors))
    return True


def set_layers(kpu_net_obj: Any, n: Any) -> bool:
    """Run layers 0..n-1 from now on (n <= 0: all); prints and returns False when n is too big."""
    net = _net(kpu_net_obj)
    diag = new_diag()
    st = lib.kpu_net_set_layers(net.require(), max(min(_int(n), 0x7FFFFFFF), -1), diag)
    if st != lib.KPU_OK:
        print(diag_text(diag))
        return False
    return True


# ----- running -------------------------------------------------------------------------------


def forward(kpu_net_obj: Any, img: Any = None, end_layer: Any = None, dma: Any = -1) -> kpu_fmap:
    """Runs the model on ``img`` (Image with pix_ai, list of floats, or planar bytes) up to
    ``end_layer`` (default: set_layers' count, or all) and returns output 0 as a kpu_fmap."""
    del dma
    net = _net(kpu_net_obj)
    data = _input(net, img, for_yolo=False)
    end = -1 if end_layer is None else _int(end_layer)
    if end_layer is not None and end < 0:
        raise OSError(f"{PREFIX}end layer {end} out of range: layers count from 0")
    _run(net, data, min(end, 0x7FFFFFFF))
    try:
        return _output(net, 0)
    except _OutputError as exc:
        raise run_error(exc.status, exc.diag) from None


def get_output(kpu_net_obj: Any = None, index: Any = None) -> kpu_fmap:
    """Output ``index`` of the last run, without running again."""
    if not isinstance(kpu_net_obj, kpu_net) or not isinstance(index, int):
        raise ValueError(PREFIX + "get_output arg format error: get_output(task, int idx)")
    if index < 0:
        raise OSError(f"{maixpy_code(lib.KPU_ERR_INDEX)}: output {index} out of range")
    try:
        return _output(kpu_net_obj, min(index, 0xFFFFFFFF))
    except _OutputError as exc:
        raise OSError(f"{maixpy_code(exc.status)}: {exc}") from None


def run_yolo2(kpu_net_obj: Any, img: Any) -> list[kpu_yolo2_find] | None:
    """Runs a YOLOv2 model on ``img`` and decodes output 0; None when nothing is found."""
    net = _net(kpu_net_obj)
    if not isinstance(img, Image) and not _has_buffer(img):
        raise TypeError(f"Can't convert {type(img).__name__} to Image")
    if not lib.kpu_net_has_yolo2(net.require()):
        raise ValueError(PREFIX + "run_yolo2 needs kpu.init_yolo2(task, ...) first")
    data = _input(net, img, for_yolo=True)
    _run(net, data, -1)
    dets = ffi.new("kpu_yolo2_detection_t **")
    count = ffi.new("size_t *")
    diag = new_diag()
    st = lib.kpu_net_yolo2_decode(net.ptr, dets, count, diag)
    if st == lib.KPU_ERR_ARGUMENT:
        print(diag_text(diag))
        raise ValueError(PREFIX + "region_layer_init err!\r\n")
    if st != lib.KPU_OK:
        raise run_error(st, diag)
    n = int(count[0])
    found = [kpu_yolo2_find(d.x, d.y, d.w, d.h, d.value, d.classid, i, n)
             for i, d in enumerate(dets[0][j] for j in range(n))]
    return found or None


# ----- maps and layers -------------------------------------------------------------------------


def fmap(fmap_obj: Any, channel: Any) -> Image:
    """Channel ``channel`` of a 'B' map as a w x h grayscale Image viewing its raw bytes: an
    in-place change of the Image (``stretch``, drawing) changes the map and later ``fmap``s."""
    if not isinstance(fmap_obj, kpu_fmap):
        raise TypeError(f"{PREFIX}fmap needs a kpu_fmap, not {type(fmap_obj).__name__}")
    if fmap_obj._freed:
        raise OSError(PREFIX + "this kpu_fmap was released by kpu.fmap_free()")
    owner = fmap_obj._net
    if isinstance(owner, kpu_net) and not owner.loaded:
        raise OSError(PREFIX + "this kpu_fmap's net was released by kpu.deinit()")
    c = _int(channel)
    if c < 0 or c >= fmap_obj.ch():
        raise ValueError(f"{PREFIX}ch err,input 0~{fmap_obj.ch()}\r\n")
    if fmap_obj.typecode() != "B":
        raise ValueError(PREFIX + "can't convet float fmap yet\r\n")
    w, h = fmap_obj.w(), fmap_obj.h()
    # A view, as MaixPy's: the Image's pixels are the map's own bytes from the channel's plane
    # on (the later planes stay readable like the memory that follows it in MaixPy), and the
    # numpy view keeps the map alive. The map is a copy taken when it was made, so the Image
    # stays readable after fmap_free and deinit, as on the firmware glue (kpu_run.c).
    plane = np.frombuffer(fmap_obj, dtype=np.uint8)[w * h * c:]
    return _state.image_class.from_gray_bytes(w, h, plane)


def fmap_free(fmap_obj: Any) -> None:
    """Marks the map released (MaixPy does nothing); later kpu.fmap on it raises OSError.
    Images that kpu.fmap made from it before keep their pixels (the map's bytes)."""
    if not isinstance(fmap_obj, kpu_fmap):
        raise TypeError(f"{PREFIX}fmap_free needs a kpu_fmap, not {type(fmap_obj).__name__}")
    fmap_obj._freed = True


def _type_name(layer_type: int) -> str:
    p = lib.kpu_layer_type_name(layer_type & 0xFFFFFFFF)
    return "KL_" + (ffi.string(p).decode() if p != ffi.NULL else "INVALID")


def netinfo(kpu_net_obj: Any) -> list[kpu_netinfo_find]:
    """One kpu_netinfo_find per layer (all of them, whatever the count); prints
    ``layer[i]: KL_..., n bytes`` per layer first, as MaixPy's library does."""
    net = _net(kpu_net_obj)
    ptr = net.require()
    count = int(lib.kpu_net_layer_count(ptr))
    if count <= 0:
        raise ValueError("get layer num error!")
    info = ffi.new("kpu_layer_info_t *")
    diag = new_diag()
    rows = []
    for i in range(count):
        st = lib.kpu_net_layer_info(ptr, i, info, diag)
        if st != lib.KPU_OK:
            raise OSError(f"{maixpy_code(st)}: {diag_text(diag)}")
        values = {k: int(getattr(info, k)) for k in kpu_netinfo_find._FIELDS}
        rows.append((values, _type_name(info.type), int(info.body_size)))
    for values, name, size in rows:
        print(f"layer[{values['index']}]: {name}, {size} bytes")
    return [kpu_netinfo_find(values, name) for values, name, _ in rows]


def memtest() -> None:
    """MaixPy's two lines (nominal heaps, the system heap minus what nets hold), then the
    total held by nets and one line per live net (bytes from the core's counting allocator)."""
    held = _state.api.held
    print(f"###free gc heap memory : {NOMINAL_GC_HEAP // 1024} KB")
    print(f"###free sys heap memory: {max(NOMINAL_SYS_HEAP - held, 0) // 1024} KB")
    print(f"###kpu nets: {_state.api.nets}, holding {held} bytes")
    for net in sorted(_state.nets, key=id):
        where = net.model_path() if net.model_path() is not None else f"0x{net.model_addr():x}"
        state = "" if net.loaded else " (deinit)"
        print(f"###kpu net {where}: {net.memory} bytes{state}")
    return None


# ----- face features ---------------------------------------------------------------------------


def face_encode(features: Any) -> bytearray:
    """int8 codes of up to 512 floats (MaixPy's arithmetic, bytes read as 0..255)."""
    if not isinstance(features, (list, tuple)):
        raise TypeError(f"object '{type(features).__name__}' isn't a tuple or list")
    if len(features) > FACE_FEATURE_MAX:
        raise ValueError("feature dim <=200\r\n")
    values = [_float(f) for f in features]
    try:
        return _face_encode(values)
    except KpuError as exc:
        raise ValueError(str(exc)) from None


def face_compare(a: Any, b: Any) -> float:
    """50 * (1 + cosine) of two int8 features (bytes-like), 0..100."""
    if not _has_buffer(a) or not _has_buffer(b):
        raise TypeError("object with buffer protocol required")
    if memoryview(a).nbytes != memoryview(b).nbytes:
        raise ValueError("compare feature must in same dim!\r\n")
    return _face_compare(memoryview(a).cast("B"), memoryview(b).cast("B"))


class classifier:
    """MaixPy's self-learning classifier: its algorithm is in MaixPy's closed library and is
    not reproduced here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "KPU.classifier is not implemented: its training and distance maths live in "
            "MaixPy's closed-source library (spec maixpy-kpu-api.md 4.15)")

    @staticmethod
    def load(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("KPU.classifier.load is not implemented (see KPU.classifier)")
