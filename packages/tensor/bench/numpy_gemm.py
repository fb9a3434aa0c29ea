"""Times float32 GEMMs in NumPy (OpenBLAS sgemm) for the kernel benchmark (bench/gemm.ts).

A server: reads one JSON request per line on stdin and answers one JSON line on stdout, so the
benchmark can interleave NumPy and pullback case by case in the same run.
  {"op": "info", "threads": T}      → {"threadpool": [...]} (threadpoolctl: BLAS, kernel, threads)
  {"op": "time", "threads": T, "spec": "ta,tb,m,n,k", "repeats": R}
                                    → {"ms": [R wall times], "cpu_ms": [R process CPU times]} (ms)
  {"op": "time_fresh", …the same…}  → the same, for `c = a @ b`: a new output array every call
                                      (what plain code does; NumPy's allocator gets its memory)
spec: C (m×n) = op(A)·op(B) with op(A) m×k, op(B) k×n; A is stored (k×m) when ta = 1 and
B (n×k) when tb = 1 — the row-major layouts of pb_gemm.
The caller removes OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the environment.
"""
import json
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

_operands: dict = {}


def operands(spec: str):
    if spec not in _operands:
        _operands.clear()  # keep one case's arrays alive at a time
        ta, tb, m, n, k = (int(x) for x in spec.split(","))
        rng = np.random.default_rng(0)
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        _operands[spec] = (a.T if ta else a, b.T if tb else b, np.empty((m, n), dtype=np.float32))
    return _operands[spec]


def handle(req: dict) -> dict:
    with threadpool_limits(limits=int(req["threads"]), user_api="blas"):
        if req["op"] == "info":
            return {"threadpool": threadpool_info()}
        a, b, c = operands(req["spec"])
        fresh = req["op"] == "time_fresh"
        np.matmul(a, b, out=c)  # warm-up
        times, cpu = [], []
        for _ in range(int(req["repeats"])):
            c0 = time.process_time()
            t0 = time.perf_counter()
            if fresh:
                c = a @ b
            else:
                np.matmul(a, b, out=c)
            times.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
        return {"ms": times, "cpu_ms": cpu}


def main() -> None:
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(handle(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
