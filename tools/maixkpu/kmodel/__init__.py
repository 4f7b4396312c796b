"""kmodel V3 files: layer-argument coding, body formats, a writer, a reader and a model builder."""
from .act_table import (
    ActSegment,
    ActTable,
    BatchNorm,
    QuantParam,
    leaky_relu_table,
    linear_table,
    mul_shift,
)
from .builder import KpuMap, MainBuf, ModelBuilder
from .conv import K210Conv, KpuConv
from .cpu_layers import (
    CPU_LAYER_CLASSES,
    Add,
    AveragePool2d,
    ChannelwiseDequantize,
    Concat,
    Dequantize,
    FullyConnected,
    GlobalAveragePool2d,
    K210AddPadding,
    K210RemovePadding,
    K210Upload,
    L2Normalization,
    Layer,
    Logistic,
    MaxPool2d,
    Quantize,
    QuantizedAdd,
    QuantizedConcat,
    QuantizedMaxPool2d,
    QuantizedResizeNearestNeighbor,
    RawLayer,
    Requantize,
    ResizeNearestNeighbor,
    Softmax,
    TensorflowFlatten,
)
from .layer_arg import LayerArg
from .layout import map_lines, pooled_size, row_layout
from .model import KModelV3
from .quantize import quantize_conv
from .reader import describe, read_v3
from .writer import write_v3

__all__ = [
    "CPU_LAYER_CLASSES", "ActSegment", "ActTable", "Add", "AveragePool2d", "BatchNorm",
    "ChannelwiseDequantize", "Concat", "Dequantize", "FullyConnected", "GlobalAveragePool2d",
    "K210AddPadding", "K210Conv", "K210RemovePadding", "K210Upload", "KModelV3", "KpuConv",
    "KpuMap", "MainBuf", "ModelBuilder",
    "L2Normalization", "Layer", "LayerArg", "Logistic", "MaxPool2d", "QuantParam", "Quantize",
    "QuantizedAdd", "QuantizedConcat", "QuantizedMaxPool2d", "QuantizedResizeNearestNeighbor",
    "RawLayer", "Requantize", "ResizeNearestNeighbor", "Softmax", "TensorflowFlatten",
    "describe", "leaky_relu_table", "linear_table", "map_lines", "mul_shift", "pooled_size",
    "quantize_conv", "read_v3", "row_layout", "write_v3",
]
