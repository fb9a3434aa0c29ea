"""Times float32 GEMMs in NumPy (OpenBLAS sgemm) for the kernel benchmark (bench/gemm.ts).

Usage: python3 numpy_gemm.py THREADS REPEATS SPEC...
  SPEC is "ta,tb,m,n,k" (ta/tb are 0 or 1): C (m×n) = op(A)·op(B) with op(A) m×k, op(B) k×n,
  A stored (k×m) when ta, B stored (n×k) when tb — the same row-major layouts as pb_gemm.
Prints one JSON object: {"threadpool": [...], "results": [{"spec", "ms"}]} with median ms.
The caller must remove OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the environment.
"""
import json
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits


def main() -> None:
    threads = int(sys.argv[1])
    repeats = int(sys.argv[2])
    specs = sys.argv[3:]
    rng = np.random.default_rng(0)
    results = []
    with threadpool_limits(limits=threads, user_api="blas"):
        info = threadpool_info()
        for spec in specs:
            ta, tb, m, n, k = (int(x) for x in spec.split(","))
            a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
            b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
            opa = a.T if ta else a
            opb = b.T if tb else b
            c = np.empty((m, n), dtype=np.float32)
            np.matmul(opa, opb, out=c)  # warm-up
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                np.matmul(opa, opb, out=c)
                times.append((time.perf_counter() - t0) * 1e3)
            results.append({"spec": spec, "ms": statistics.median(times)})
    print(json.dumps({"threadpool": info, "results": results}))


if __name__ == "__main__":
    main()
