#!/usr/bin/env python3
"""Training-step benchmark of the agreed GPT-2 in JAX (CPU, float32): the reference side of
`bun run bench:train`.

Times, for one preset and batch, three jitted functions of the same model (gpt2_model.py):
  forward        the mean cross-entropy loss (with dropout, if on)
  forward+back   the loss and every parameter gradient (jax.value_and_grad)
  train step     forward + backward + the bias-corrected Adam update, with the parameters and
                 both Adam moments donated, so XLA updates them in place
Compilation happens once per function before timing (reported as compile time), then one untimed
warm-up call, then `--repeats` timed calls each; medians are reported (the machine is shared).
Peak resident memory is the process's ru_maxrss (so it includes all three functions' buffers).

Threads: XLA's CPU thread pools are sized from the CPUs the process may run on (its affinity
mask), so `--threads N` pins the process to N CPUs before JAX is imported. XLA_FLAGS
(`--xla_cpu_multi_thread_eigen=false`, `intra_op_parallelism_threads=1`) do not restrict jaxlib 0.10
to one thread; the affinity mask does. The report counts the threads that did the work
(per-thread CPU time from /proc during the timed steps) so the setting can be checked.

  python3 tools/reference/bench_train_step.py                       # seed preset, batch 64, dropout 0.2
  python3 tools/reference/bench_train_step.py --threads 1 --dropout 0 --json
  python3 tools/reference/bench_train_step.py --preset gpt2 --batch 1 --repeats 3 --step-only
Measured figures and the JSON fields: tools/reference/README.md, "Training-step benchmark".
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

PRESET_NAMES = ("tiny", "seed", "gpt2")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=PRESET_NAMES, default="seed")
    ap.add_argument("--batch", type=int, default=64, help="sequences per step (each `context` tokens)")
    ap.add_argument("--dropout", type=float, default=None, help="dropout probability (default: the preset's; 0 turns it off)")
    ap.add_argument("--threads", type=int, default=0, help="pin to this many CPUs before importing JAX (0: all allowed CPUs)")
    ap.add_argument("--repeats", type=int, default=10, help="timed calls per function (median reported)")
    ap.add_argument("--prng", default="threefry2x32", help="jax.random key impl for dropout: threefry2x32 (JAX default), rbg, unsafe_rbg")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--step-only", action="store_true", help="time only the train step (peak RSS is then the step's alone)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return ap.parse_args(argv)


def pin_threads(n):
    """Restrict the process to the first n of its allowed CPUs. Must run before `import jax`:
    XLA sizes its thread pools from the affinity mask when the CPU client is created."""
    allowed = sorted(os.sched_getaffinity(0))
    if n <= 0:
        return allowed
    if n > len(allowed):
        sys.exit(f"--threads {n}: only {len(allowed)} CPUs are allowed ({allowed})")
    os.sched_setaffinity(0, allowed[:n])
    return allowed[:n]


def thread_cpu_seconds():
    """{thread id: user+system CPU seconds} for every thread of this process (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        out[tid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14, 15 of stat)
    return out


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown"


def main(argv=None):
    args = parse_args(argv)
    cpus = pin_threads(args.threads)

    # JAX is imported only now, after the affinity mask is set (see pin_threads).
    import numpy as np
    import jax
    import jax.numpy as jnp
    import jaxlib

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gpt2_model import ADAM, PRESETS, adam_update, init_params, jax_loss, make_batch

    cfg = PRESETS[args.preset]
    p_drop = cfg["dropout"] if args.dropout is None else args.dropout
    B, T = args.batch, cfg["context"]
    load_before = os.getloadavg()
    rss_start = peak_rss_mb()

    # Parameters (GPT-2 init, as the parity reference), Adam moments, one fixed random batch.
    params = {k: jnp.asarray(v) for k, v in init_params(cfg, args.seed).items()}
    n_params = sum(int(v.size) for v in params.values())
    m = {k: jnp.zeros_like(v) for k, v in params.items()}
    v = {k: jnp.zeros_like(v) for k, v in params.items()}
    tokens, targets = (jnp.asarray(a) for a in make_batch(cfg, B, args.seed + 100))
    base_key = jax.random.key(args.seed, impl=args.prng)
    rss_params = peak_rss_mb()

    def loss_fn(p, tok, tgt, key):
        return jax_loss(p, tok, tgt, cfg, p_drop, key)[0]

    # Every function takes the step number i and derives its dropout key as fold_in(base, i),
    # so each call draws fresh masks (as training does) without a host-side key split.
    def forward(p, tok, tgt, i):
        return loss_fn(p, tok, tgt, jax.random.fold_in(base_key, i))

    def forward_backward(p, tok, tgt, i):
        return jax.value_and_grad(loss_fn)(p, tok, tgt, jax.random.fold_in(base_key, i))

    def train_step(p, m, v, tok, tgt, i):
        loss, g = forward_backward(p, tok, tgt, i)
        t = (i + 1).astype(jnp.float32)  # Adam's 1-based step, for the bias correction
        p, m, v = adam_update(p, g, m, v, t, ADAM["lr"], ADAM["beta1"], ADAM["beta2"], ADAM["eps"])
        return p, m, v, loss

    def compile_fn(fn, *example, donate=()):
        t0 = time.perf_counter()
        compiled = jax.jit(fn, donate_argnums=donate).lower(*example).compile()
        return compiled, time.perf_counter() - t0

    def process_cpu_seconds():
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    def time_calls(call, repeats):
        """Warm-up call, then `repeats` timed calls. Returns (wall seconds per call, process CPU
        seconds per call, per-thread CPU seconds over all timed calls). CPU time per call is less
        sensitive than wall time to other processes competing for the cores."""
        jax.block_until_ready(call(0))
        c0, cpu0, times = thread_cpu_seconds(), process_cpu_seconds(), []
        for r in range(1, repeats + 1):
            t0 = time.perf_counter()
            jax.block_until_ready(call(r))
            times.append(time.perf_counter() - t0)
        c1, cpu = thread_cpu_seconds(), (process_cpu_seconds() - cpu0) / repeats
        busy = sorted((c1[t] - c0.get(t, 0.0) for t in c1), reverse=True)
        return times, cpu, busy

    i32 = lambda i: jnp.asarray(i, jnp.int32)  # noqa: E731
    results = {}

    for name, fn in () if args.step_only else (("forward", forward), ("forward_backward", forward_backward)):
        compiled, compile_s = compile_fn(fn, params, tokens, targets, i32(0))
        times, cpu, _ = time_calls(lambda i: compiled(params, tokens, targets, i32(i)), args.repeats)
        results[name] = dict(times=times, cpu=cpu, compile_s=compile_s, peak_rss_mb=peak_rss_mb())

    # The train step donates (params, m, v): each call consumes them and returns the updated ones.
    step, compile_step = compile_fn(train_step, params, m, v, tokens, targets, i32(0), donate=(0, 1, 2))
    state = {"p": params, "m": m, "v": v, "loss": None}
    del params, m, v

    def call_step(i):
        state["p"], state["m"], state["v"], state["loss"] = step(state["p"], state["m"], state["v"], tokens, targets, i32(i))
        return state["loss"]

    times, cpu, busy = time_calls(call_step, args.repeats)
    results["train_step"] = dict(times=times, cpu=cpu, compile_s=compile_step, peak_rss_mb=peak_rss_mb())
    final_loss = float(state["loss"])
    assert np.isfinite(final_loss), f"non-finite loss {final_loss}"

    # Threads that did at least 5% of the busiest thread's work during the timed train steps.
    busy_threads = sum(1 for c in busy if c >= 0.05 * busy[0]) if busy and busy[0] > 0 else 0
    step_wall = sum(results["train_step"]["times"])

    med = {k: statistics.median(r["times"]) for k, r in results.items()}
    report = {
        "framework": "jax",
        "versions": {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "numpy": np.__version__,
                     "python": sys.version.split()[0]},
        "device": {"xla": str(jax.devices()[0]), "platform": jax.devices()[0].platform,
                   "device_kind": jax.devices()[0].device_kind, "cpu": cpu_model()},
        "preset": args.preset,
        "config": {**cfg, "dropout": p_drop},
        "params": n_params,
        "batch": B,
        "tokens_per_step": B * T,
        "dtype": "float32",
        "prng": args.prng,
        "threads": {"requested": args.threads or None, "cpus": cpus, "busy_threads_in_step": busy_threads,
                    "cpu_per_wall_in_step": sum(busy) / step_wall,
                    "xla_flags": os.environ.get("XLA_FLAGS", "")},
        "repeats": args.repeats,
        "ms": {k: 1e3 * t for k, t in med.items()},  # medians
        "ms_min": {k: 1e3 * min(r["times"]) for k, r in results.items()},
        "ms_samples": {k: [round(1e3 * t, 2) for t in r["times"]] for k, r in results.items()},
        "cpu_ms": {k: 1e3 * r["cpu"] for k, r in results.items()},  # process CPU time (all threads) per call
        "tokens_per_s": B * T / med["train_step"],
        "compile_s": {k: r["compile_s"] for k, r in results.items()},
        "peak_rss_mb": {"start": rss_start, "params_and_moments": rss_params,
                        **{f"after_{k}": r["peak_rss_mb"] for k, r in results.items()}},
        "final_loss": final_loss,
        "loadavg": {"before": list(load_before), "after": list(os.getloadavg())},
    }
    if not args.step_only:
        # Differences of medians: approximate, XLA fuses across these boundaries.
        report["ms"]["backward_derived"] = 1e3 * (med["forward_backward"] - med["forward"])
        report["ms"]["optimizer_derived"] = 1e3 * (med["train_step"] - med["forward_backward"])
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return 0


def print_table(r):
    c = r["config"]
    print(f"JAX {r['versions']['jax']} (jaxlib {r['versions']['jaxlib']}), device {r['device']['xla']} "
          f"[{r['device']['device_kind']}], {r['device']['cpu']}")
    print(f"preset {r['preset']}: vocab {c['vocab']}, context {c['context']}, layers {c['layers']}, heads {c['heads']}, "
          f"width {c['width']}, mlp {c['mlp']}, dropout {c['dropout']} ({r['prng']}); {r['params']:,} parameters")
    th = r["threads"]
    print(f"batch {r['batch']} × {c['context']} = {r['tokens_per_step']} tokens/step, float32; threads requested "
          f"{th['requested'] or 'all'} (CPUs {th['cpus']}), {th['busy_threads_in_step']} busy in the step, "
          f"CPU/wall {th['cpu_per_wall_in_step']:.2f}")
    print(f"{'':18s} {'median ms':>10s} {'min ms':>10s} {'CPU ms':>10s} {'compile s':>10s} {'peak RSS MB':>12s}")
    for k in (k for k in ("forward", "forward_backward", "train_step") if k in r["ms"]):
        print(f"{k:18s} {r['ms'][k]:10.1f} {r['ms_min'][k]:10.1f} {r['cpu_ms'][k]:10.1f} {r['compile_s'][k]:10.2f} "
              f"{r['peak_rss_mb']['after_' + k]:12.0f}")
    if "backward_derived" in r["ms"]:
        print(f"derived: backward ≈ {r['ms']['backward_derived']:.1f} ms, Adam update ≈ {r['ms']['optimizer_derived']:.1f} ms")
    print(f"train step: {r['ms']['train_step']:.1f} ms/step median over {r['repeats']}, {r['tokens_per_s']:,.0f} tokens/s, "
          f"final loss {r['final_loss']:.4f}")
    print(f"load average before {', '.join(f'{x:.2f}' for x in r['loadavg']['before'])}; "
          f"after {', '.join(f'{x:.2f}' for x in r['loadavg']['after'])}")


if __name__ == "__main__":
    sys.exit(main())
