"""Builds the cffi extension maixkpu._core from the portable C core in modules/kpu/core."""
from setuptools import setup

setup(cffi_modules=["tools/maixkpu/_build_core.py:ffibuilder"])
