"""Engine timings: one forward + BPTT pass against a naive NumPy RNN.

The naive version is written the way tutorials write it (Karpathy's
min-char-rnn, the "Harry Potter" and "AI Planet" seeds): inside the time
loop it computes ``W_xh @ x_t``, builds every gradient with ``np.outer``
products, and allocates fresh arrays for every step. The engine instead does
the input projection for all steps in one matmul, writes into preallocated
buffers and forms each weight gradient with one matmul over time.

Both run in the same process on the same data; before timing, the naive
gradients are checked against the engine's (``np.allclose``) so the race is
between two correct implementations. Each case is timed for about 0.3 s
(adaptive repeat count) and the median is reported.

BLAS threads: the per-step products are tiny, and OpenBLAS worker threads
only add wake-up and spin-wait costs; on a busy two-core machine they made
the same pass 2-12x slower from one run to the next. So both contenders run
with one BLAS thread (set through OpenBLAS's own API, which is what the app
should do too), unless OPENBLAS_NUM_THREADS is set, which is then respected.

Memory: glibc gives freed memory back to the system until a large block has
been freed once; until then every pass page-faults its fresh (T, H) arrays
in again (about +60% at T = 200, H = 64). The app has long passed that point
(Qt, images), so the bench frees one 8 MB block first, as the app would have.

Run: ``make bench`` or ``python benchmarks/engine_bench.py``. The verdicts
(PASS/FAIL against the targets) are printed; the exit status is always 0.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import statistics
import time

import numpy as np

from rnnviz.engine.init import init_params
from rnnviz.engine.trace import Config, Sample, run

CASES = ((10, 16), (50, 64), (200, 64), (200, 256), (1000, 128))  # (T, H)
D = O = 32
CONFIG = Config(activation="tanh", head="softmax", loss="ce", reduction="sum")
SPEEDUP_TARGET = 3.0  # engine vs naive, for T >= 50
MATRIX_TARGET = 10.0  # T x T loss_to_state, in forward+backward passes, T = 200, H = 128
BUDGET = 0.3  # seconds of timing per case
WARM_UP = 0.1  # seconds of untimed calls first: the first ones in a process run slow


def make_case(T: int, H: int, seed: int = 0):
    """Xavier weights with non-zero biases and h0, one-hot inputs, every step scored."""
    rng = np.random.default_rng(seed)
    p = init_params(rng, D, H, O, scheme="xavier")
    p = p.replace(
        b_h=0.1 * rng.standard_normal(H),
        b_y=0.1 * rng.standard_normal(O),
        h0=0.1 * rng.standard_normal(H),
    )
    ids = rng.integers(0, D, T + 1)
    xs = np.eye(D)[ids[:-1]]  # (T, D) the input characters
    targets = np.eye(O)[ids[1:] % O]  # (T, O) the next character
    return p, Sample(xs, targets, np.ones(T, dtype=bool))


def naive(W_xh, W_hh, b_h, W_hy, b_y, h0, xs, target_ids):
    """A per-step, tutorial-style forward and backward pass (tanh, softmax, CE)."""
    hs, ps = {-1: h0.copy()}, {}
    loss = 0.0
    for t in range(len(xs)):
        x = xs[t].copy()  # a fresh input vector, as a tutorial builds it
        hs[t] = np.tanh(W_xh @ x + W_hh @ hs[t - 1] + b_h)
        o = W_hy @ hs[t] + b_y
        e = np.exp(o - np.max(o))
        ps[t] = e / np.sum(e)
        loss += -np.log(ps[t][target_ids[t]])
    dW_xh, dW_hh, dW_hy = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(W_hy)
    db_h, db_y = np.zeros_like(b_h), np.zeros_like(b_y)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        do = ps[t].copy()
        do[target_ids[t]] -= 1.0  # dL/do = y - t
        dW_hy += np.outer(do, hs[t])
        db_y += do
        dh = W_hy.T @ do + dh_next
        dz = (1.0 - hs[t] * hs[t]) * dh
        db_h += dz
        dW_xh += np.outer(dz, xs[t])
        dW_hh += np.outer(dz, hs[t - 1])
        dh_next = W_hh.T @ dz
    grads = {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y}
    grads["h0"] = dh_next  # W_hh^T dz_1
    return loss, grads


def _naive_call(params, sample):
    ids = sample.targets.argmax(axis=1)
    a = {k: np.array(v) for k, v in params.as_dict().items()}
    return lambda: naive(
        a["W_xh"], a["W_hh"], a["b_h"], a["W_hy"], a["b_y"], a["h0"], np.array(sample.xs), ids
    )


def verify(params, sample) -> None:
    """The naive pass and the engine agree: same loss, same gradients."""
    loss, grads = _naive_call(params, sample)()
    trace = run(params, sample, CONFIG)
    assert np.isclose(loss, trace.loss, rtol=1e-10), (loss, trace.loss)
    for name, g in grads.items():
        assert np.allclose(g, trace.grads[name], rtol=1e-8, atol=1e-12), name


def median_seconds(*fns, budget: float = BUDGET) -> list[float]:
    """Median wall time of each ``fn()``, repeated for about ``budget`` seconds (at least 5).

    The functions are timed in turn within every repeat, so a burst of load
    from other processes on the machine slows all of them alike and their
    ratio stays fair.
    """
    warm, rounds, t0 = time.perf_counter(), 0, 0.0
    while rounds < 3 or time.perf_counter() - warm < WARM_UP:  # caches, CPU clock, allocator
        t0 = time.perf_counter()
        for fn in fns:
            fn()
        rounds += 1
    once = max(time.perf_counter() - t0, 1e-7)  # the last warm-up round
    repeats = max(5, min(2000, int(budget / once)))
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def blas_threads() -> str:
    """Pin OpenBLAS to one thread (unless the user chose a number); say what was done."""
    chosen = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if chosen:
        return f"{chosen} (from the environment)"
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            libs = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:  # not Linux: leave the library alone
        return "library default"
    for lib in sorted(libs):
        dll = ctypes.CDLL(lib)
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads"):
            if hasattr(dll, name):
                getattr(dll, name)(1)
                return "1"
    return "library default"


def warm_allocator() -> None:
    """Free one large block, so glibc stops trimming the heap after every pass."""
    block = np.ones(1_000_000)  # 8 MB: served by mmap, and freeing it raises the thresholds
    del block


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bench_passes() -> list[tuple[int, int, float, float]]:
    rows = []
    for T, H in CASES:
        params, sample = make_case(T, H)
        verify(params, sample)
        engine, slow = median_seconds(
            lambda p=params, s=sample: run(p, s, CONFIG), _naive_call(params, sample)
        )
        rows.append((T, H, engine, slow))
    return rows


def bench_analyses() -> tuple[float, float, float, float]:
    """(loss_to_state s, its pass s) at T=200, H=128; (jacobian s, its pass s) at 100, 64."""
    out = []
    for (T, H), attribute in (((200, 128), "loss_to_state"), ((100, 64), "jacobian_norms")):
        params, sample = make_case(T, H)
        trace = run(params, sample, CONFIG)
        # a fresh copy of the trace has no cached analysis: time the first access only
        analysis, one_pass = median_seconds(
            lambda tr=trace, a=attribute: getattr(dataclasses.replace(tr), a),
            lambda p=params, s=sample: run(p, s, CONFIG),
        )
        out += [analysis, one_pass]
    return tuple(out)


def main() -> None:
    print(f"Engine: one forward + BPTT pass (trace.run), D = O = {D}, tanh, softmax + CE,")
    print("every step scored; naive = per-step NumPy as tutorials write it (same gradients,")
    threads = blas_threads()
    warm_allocator()
    print(
        f"checked). Median of interleaved repeats, ~{BUDGET:.1f} s per case; "
        f"{os.cpu_count()} CPUs, BLAS threads: {threads}."
    )
    print()
    print(f"  {'T':>5} {'H':>5} {'engine ms':>11} {'naive ms':>11} {'speed-up':>9}  target")
    for T, H, engine, slow in bench_passes():
        speedup = slow / engine
        target = (
            f">= {SPEEDUP_TARGET:.0f}x {_verdict(speedup >= SPEEDUP_TARGET)}" if T >= 50 else "-"
        )
        print(
            f"  {T:>5} {H:>5} {engine * 1e3:>11.3f} {slow * 1e3:>11.3f} {speedup:>8.1f}x  {target}"
        )
    matrix, matrix_pass, jac, jac_pass = bench_analyses()
    units = matrix / matrix_pass
    print()
    print(
        f"  T x T loss_to_state, T=200 H=128: {matrix * 1e3:8.2f} ms = {units:5.2f} passes "
        f"(one pass {matrix_pass * 1e3:.2f} ms; target < {MATRIX_TARGET:.0f}) "
        f"{_verdict(units < MATRIX_TARGET)}"
    )
    print(
        f"  Jacobian norms ||dh_T/dh_t||, T=100 H=64: {jac * 1e3:8.2f} ms = "
        f"{jac / jac_pass:5.2f} passes (one pass {jac_pass * 1e3:.2f} ms)"
    )


if __name__ == "__main__":
    main()
