"""Small ONNX models built with onnx's helper API for the V5 tests: each exercises one thing the
K210 compilation of nncase 1.9 produces (KPU convolutions of every kind, fused pools, residual
adds, concatenation, resize, CPU float layers) on a 3-channel input."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

onnx = __import__("pytest").importorskip("onnx", reason="the onnx package builds the V5 models")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


class Graph:
    """A tiny graph builder: conv/pool/... append nodes and return the output name."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.inits: list = []
        self.count = 0

    def name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def const(self, arr: np.ndarray) -> str:
        n = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def node(self, op: str, inputs: list[str], **attrs: object) -> str:
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int = 1, group: int = 1,
             act: str | None = "Relu") -> str:
        fan_in = cin // group * k * k
        w = (self.rng.standard_normal((cout, cin // group, k, k)) / np.sqrt(fan_in))
        b = self.rng.standard_normal(cout) * 0.1
        y = self.node("Conv", [x, self.const(w.astype(np.float32)),
                               self.const(b.astype(np.float32))],
                      kernel_shape=[k, k], pads=[k // 2] * 4, strides=[stride, stride],
                      group=group)
        if act == "Relu":
            y = self.node("Relu", [y])
        elif act == "Relu6":
            y = self.node("Clip", [y, self.const(np.float32(0)), self.const(np.float32(6))])
        elif act == "LeakyRelu":
            y = self.node("LeakyRelu", [y], alpha=0.1)
        return y

    def model(self, x_shape: list[int], y: str | list[str]) -> onnx.ModelProto:
        outs = [y] if isinstance(y, str) else y
        g = helper.make_graph(
            self.nodes, "maixkpu_v5_test",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs],
            self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
        m.ir_version = 7
        return onnx.shape_inference.infer_shapes(m)


def conv_1x1_3x3(g: Graph) -> str:
    return g.conv(g.conv("x", 3, 8, 3), 8, 16, 1, act=None)


def depthwise(g: Graph) -> str:
    y = g.conv("x", 3, 16, 1, act="Relu6")
    y = g.conv(y, 16, 16, 3, group=16, act="Relu6")
    return g.conv(y, 16, 8, 1, act=None)


def stride2(g: Graph) -> str:
    y = g.conv("x", 3, 8, 3, stride=2, act="LeakyRelu")
    return g.conv(y, 8, 8, 3, stride=2, act=None)


def pools(g: Graph) -> str:
    y = g.conv("x", 3, 8, 3)
    y = g.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = g.conv(y, 8, 8, 3)
    y = g.node("AveragePool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = g.conv(y, 8, 8, 1, act=None)
    return g.node("MaxPool", [y], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])


def residual(g: Graph) -> str:
    a = g.conv("x", 3, 8, 3)
    b = g.conv(a, 8, 8, 3, act=None)
    y = g.node("Relu", [g.node("Add", [a, b])])
    return g.conv(y, 8, 8, 1, act=None)


def concat(g: Graph) -> str:
    a = g.conv("x", 3, 8, 3)
    b = g.conv(a, 8, 4, 1)
    c = g.conv(a, 8, 4, 3)
    return g.conv(g.node("Concat", [b, c], axis=1), 8, 8, 1, act=None)


def resize(g: Graph) -> str:
    a = g.conv("x", 3, 8, 3, stride=2)
    up = g.node("Resize", [a, g.const(np.zeros(0, np.float32)),
                           g.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest")
    return g.conv(up, 8, 8, 3, act=None)


def yolo_head(g: Graph) -> str:
    y = g.conv("x", 3, 8, 3)
    y = g.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = g.conv(y, 8, 16, 3, act="LeakyRelu")
    y = g.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = g.conv(y, 16, 16, 3, act="LeakyRelu")
    return g.conv(y, 16, 5 * (5 + 2), 1, act=None)


def classifier(g: Graph) -> str:
    y = g.conv("x", 3, 8, 3, stride=2)
    y = g.node("GlobalAveragePool", [y])
    y = g.node("Flatten", [y], axis=1)
    w = g.const((g.rng.standard_normal((10, 8)) * 0.5).astype(np.float32))
    b = g.const((g.rng.standard_normal(10) * 0.1).astype(np.float32))
    y = g.node("Gemm", [y, w, b], transB=1)
    return g.node("Softmax", [y], axis=1)


def two_outputs(g: Graph) -> list[str]:
    a = g.conv("x", 3, 8, 3, stride=2)
    b = g.conv(a, 8, 4, 1, act=None)
    c = g.conv(a, 8, 6, 3, stride=2, act=None)
    return [b, c]


def final_sigmoid(g: Graph) -> str:
    return g.node("Sigmoid", [g.conv(g.conv("x", 3, 8, 3), 8, 4, 1, act=None)])


def transpose_slice(g: Graph) -> str:
    a = g.conv("x", 3, 8, 3)
    t = g.node("Transpose", [a], perm=[0, 1, 3, 2])
    s = g.node("Slice", [t, g.const(np.array([2], np.int64)), g.const(np.array([8], np.int64)),
                         g.const(np.array([1], np.int64))])
    return g.conv(s, 6, 8, 3, act=None)


def unary_chain(g: Graph) -> str:
    a = g.conv("x", 3, 8, 3, act=None)
    u = g.node("Tanh", [a])
    u = g.node("Abs", [g.node("Mul", [u, g.const(np.float32(3.0))])])
    return g.conv(u, 8, 8, 1, act=None)


def mid_sigmoid(g: Graph) -> str:
    a = g.conv("x", 3, 8, 3, act=None)
    return g.conv(g.node("Mul", [a, g.node("Sigmoid", [a])]), 8, 8, 1, act=None)


def conv5x5(g: Graph) -> str:
    a = g.conv("x", 3, 8, 5)
    return g.conv(a, 8, 8, 3, act=None)


def dilated(g: Graph) -> str:
    a = g.conv("x", 3, 8, 3)
    w = (g.rng.standard_normal((8, 8, 3, 3)) / 8).astype(np.float32)
    return g.node("Conv", [a, g.const(w), g.const(np.zeros(8, np.float32))],
                  kernel_shape=[3, 3], pads=[2, 2, 2, 2], dilations=[2, 2])


def matmul_act(g: Graph) -> str:
    a = g.conv("x", 3, 4, 3, stride=2)
    f = g.node("Reshape", [a, g.const(np.array([1, 4, 64], np.int64))])
    t = g.node("Transpose", [f], perm=[0, 2, 1])
    return g.node("MatMul", [f, t])


def float_tail(g: Graph) -> list[str]:
    """CPU work on the dequantized output: slice, unary, binary with broadcasting, reduce."""
    a = g.conv(g.conv("x", 3, 8, 3), 8, 8, 1, act=None)
    s = g.node("Slice", [a, g.const(np.array([1], np.int64)), g.const(np.array([7], np.int64)),
                         g.const(np.array([1], np.int64)), g.const(np.array([2], np.int64))])
    e = g.node("Exp", [g.node("Mul", [s, g.const(np.float32(0.05))])])
    b = g.node("Div", [g.node("Sub", [a, g.const(np.linspace(-1, 1, 8, dtype=np.float32)
                                                .reshape(1, 8, 1, 1))]),
                       g.const(np.float32(3.0))])
    m = g.node("ReduceMax", [a], axes=[1], keepdims=1)
    return [e, b, m]


def tail_sigmoid_softmax(g: Graph) -> list[str]:
    a = g.conv(g.conv("x", 3, 8, 3), 8, 6, 1, act=None)
    soft = g.node("Softmax", [g.node("Reshape", [a, g.const(np.array([1, 6, 256], np.int64))])],
                  axis=2)
    return [soft, g.node("Sqrt", [g.node("Abs", [a])])]


def gather_channels(g: Graph) -> str:
    y = g.conv("x", 3, 8, 3)
    y = g.node("Gather", [y, g.const(np.array([3, 1, 2, 0, 7, 6, 5, 4], np.int64))], axis=1)
    return g.conv(y, 8, 8, 1, act=None)


def where_greater(g: Graph) -> list[str]:
    y = g.conv("x", 3, 8, 3, act=None)
    mask = g.node("Greater", [y, g.const(np.float32(0.25))])
    return [g.node("Where", [mask, y, g.const(np.float32(0.5))]),
            g.node("Cast", [mask], to=TensorProto.FLOAT)]


def cpu_only(g: Graph) -> list[str]:
    """Float ops only: nncase leaves the KPU out (one stackvm program, no kpu_conv2d)."""
    rows = g.node("Reshape", ["x", g.const(np.array([1, 3, 64], np.int64))])
    return [g.node("Softmax", [rows], axis=2),
            g.node("Exp", [g.node("Mul", ["x", g.const(np.float32(0.5))])])]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Graph], str | list[str]]
    shape: list[int]
    input_type: str = "uint8"
    options: dict = field(default_factory=dict)

    def onnx_bytes(self) -> bytes:
        g = Graph(seed=sum(map(ord, self.name)))
        return g.model(self.shape, self.build(g)).SerializeToString()


CASES = [
    Case("conv_1x1_3x3", conv_1x1_3x3, [1, 3, 16, 16]),
    Case("depthwise", depthwise, [1, 3, 20, 20], options={"mean": [127.5], "std": [64.0]}),
    Case("stride2", stride2, [1, 3, 32, 32]),
    Case("pools", pools, [1, 3, 32, 32]),
    Case("residual", residual, [1, 3, 16, 24]),
    Case("concat", concat, [1, 3, 16, 16]),
    Case("resize", resize, [1, 3, 16, 16]),
    Case("yolo_head", yolo_head, [1, 3, 40, 56]),
    Case("yolo_320x240", yolo_head, [1, 3, 240, 320]),
    Case("classifier", classifier, [1, 3, 16, 16]),
    Case("two_outputs", two_outputs, [1, 3, 24, 24]),
    Case("float_input", conv_1x1_3x3, [1, 3, 16, 16], input_type="float32",
         options={"input_range": (0.0, 1.0)}),
    Case("wide_input", stride2, [1, 3, 24, 80]),
    Case("transpose_slice", transpose_slice, [1, 3, 16, 16]),
    Case("unary_chain", unary_chain, [1, 3, 16, 16]),
    Case("mid_sigmoid", mid_sigmoid, [1, 3, 16, 16]),
    Case("conv5x5", conv5x5, [1, 3, 16, 16]),
    Case("dilated", dilated, [1, 3, 16, 16]),
    Case("matmul_act", matmul_act, [1, 3, 16, 16]),
    Case("float_tail", float_tail, [1, 3, 16, 16]),
    Case("tail_softmax", tail_sigmoid_softmax, [1, 3, 16, 16]),
    Case("gather_channels", gather_channels, [1, 3, 16, 16]),
    Case("uint8_output", yolo_head, [1, 3, 40, 56], options={"output_type": "uint8"}),
    Case("uint8_two_outputs", two_outputs, [1, 3, 24, 24], options={"output_type": "uint8"}),
    Case("where_greater", where_greater, [1, 3, 16, 16]),
    Case("stripped_sigmoid", final_sigmoid, [1, 3, 16, 16],
         options={"strip_final_sigmoid": True}),
    Case("cpu_only", cpu_only, [1, 3, 8, 8], input_type="float32",
         options={"input_range": (-2.0, 2.0)}),
]
CASE_BY_NAME = {c.name: c for c in CASES}
