"""The KPU API's model limit is memory, not a count (issue 3; MaixPy stops at 5 models with 2009):
under an allocator with a byte budget, nets load until the budget is spent, the next load is
KPU_ERR_NO_MEMORY (MaixPy's 2006, never 2009) without leaking, and deinit gives the memory back
at once so a load fits again."""
from __future__ import annotations

import pytest

from host_tests.conftest import shared_model
from maixkpu._core import ffi, lib

MNIST = "sipeed_mnist_28x28.kmodel"


def _load(api, blob: bytes):
    out = ffi.new("kpu_net_t **")
    diag = ffi.new("kpu_diag_t *")
    st = lib.kpu_net_load_memory(api, out, blob, len(blob), diag)
    return st, out[0], ffi.string(diag.text).decode()


def test_nets_are_limited_by_memory_not_by_count():
    blob = shared_model(MNIST).read_bytes()
    stats = ffi.new("kpu_alloc_std_stats_t *")
    alloc = ffi.new("kpu_allocator_t *", lib.kpu_alloc_std_counting(stats))
    api = ffi.new("kpu_api_t *")
    lib.kpu_api_init(api, alloc)

    st, first, text = _load(api, blob)
    assert st == lib.KPU_OK, text
    per_net = stats.in_use
    assert per_net >= len(blob) and api.held == lib.kpu_net_memory(first)

    count = 8  # more than MaixPy's 5
    stats.limit = per_net * count + per_net // 2
    nets = [first]
    for _ in range(count - 1):
        st, net, text = _load(api, blob)
        assert st == lib.KPU_OK, text
        nets.append(net)
    assert api.nets == count and stats.in_use == per_net * count

    before = (stats.in_use, api.held, api.nets)
    st, net, text = _load(api, blob)
    assert st == lib.KPU_ERR_NO_MEMORY and net == ffi.NULL
    assert lib.kpu_status_maixpy_code(st) == 2006 and "no memory" in text
    assert (stats.in_use, api.held, api.nets) == before  # the failed load left nothing behind

    lib.kpu_net_deinit(nets[3])  # frees the model now; the net record stays until destroy
    assert stats.in_use < per_net * (count - 1) + per_net // 2
    assert not lib.kpu_net_loaded(nets[3])
    st, again, text = _load(api, blob)
    assert st == lib.KPU_OK, text

    for net in [*nets, again]:
        lib.kpu_net_destroy(net)
    assert stats.in_use == 0 and api.held == 0 and api.nets == 0


@pytest.mark.parametrize("limit", [1, 64, 4096])
def test_tiny_budget_is_no_memory(limit: int):
    blob = shared_model(MNIST).read_bytes()
    stats = ffi.new("kpu_alloc_std_stats_t *", {"limit": limit})
    api = ffi.new("kpu_api_t *")
    lib.kpu_api_init(api, ffi.new("kpu_allocator_t *", lib.kpu_alloc_std_counting(stats)))
    st, net, _ = _load(api, blob)
    assert st == lib.KPU_ERR_NO_MEMORY and net == ffi.NULL
    assert stats.in_use == 0 and api.held == 0 and api.nets == 0
