"""MaixKPU host tools: the kmodel runtime through cffi, kmodel writer, MaixPy modules on CPython,
kfpkg and ISP flashing, the virtual Maix board and the hardware-in-the-loop harness."""

__version__ = "0.1.0"
