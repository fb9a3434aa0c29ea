#!/usr/bin/env python3
"""Parity reference for pullback's GPT-2 (in the spirit of llm.c's test_gpt2).

Builds the `tiny` preset of the model agreed in CONTEXT.md / issue 4 in JAX (CPU, float32,
dropout off), with fixed weights drawn from NumPy's seeded generator following the GPT-2 init
scheme, and a fixed batch (B=4, T=16 tokens + next-token targets). It writes

  <out>/tiny.safetensors   the initial weights under their dotted names (`blocks.0.attn.wqkv`),
                           every gradient as `grad.<name>`, the batch as `tokens` / `targets` (I32)
  <out>/tiny.json          config, loss, the losses of 5 Adam steps, norms and maxima for sanity

and the same for a `tiny-perturbed` variant whose biases and LayerNorm parameters are moved away
from 0 / 1, so that a forgotten bias or LayerNorm affine term cannot hide behind the init values.

The reference checks itself before writing anything:
  * an independent NumPy float64 forward (no JAX) must give the same loss as JAX in float64;
  * JAX's float32 loss and gradients must be close to its float64 ones;
  * JAX's float64 gradients must match central finite differences of the NumPy forward
    on a few random elements of every parameter.

Regenerate: see tools/reference/README.md (`python3 tools/reference/gpt2_reference.py`).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys

import numpy as np

# The JAX model (presets, parameters, init, forward, Adam) is shared with bench_train_step.py.
from gpt2_model import ADAM, LN_EPS, PRESETS, adam_update, init_params, jax_loss, make_batch, param_shapes

import jax

jax.config.update("jax_enable_x64", True)  # float64 only where asked for explicitly (self-checks)
import jax.numpy as jnp  # noqa: E402

ADAM_STEPS = 5


# ----------------------------------------------------------------------------- NumPy model (independent)

def numpy_loss(params, tokens, targets, cfg):
    """Float64 forward with explicit loops over batch and heads; shares no code with the JAX one."""
    P = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    B, T = tokens.shape
    C, H, L = cfg["width"], cfg["heads"], cfg["layers"]
    D = C // H

    def ln(x, w, b):
        mu = x.sum(-1, keepdims=True) / x.shape[-1]
        d = x - mu
        var = (d * d).sum(-1, keepdims=True) / x.shape[-1]
        return d / np.sqrt(var + LN_EPS) * w + b

    def gelu_np(u):
        return 0.5 * u * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (u + 0.044715 * u**3)))

    total = 0.0
    for bi in range(B):
        x = np.stack([P["wte"][tokens[bi, t]] + P["wpe"][t] for t in range(T)])  # (T, C)
        for l in range(L):
            p = f"blocks.{l}."
            h = ln(x, P[p + "ln1.w"], P[p + "ln1.b"])
            qkv = h @ P[p + "attn.wqkv"] + P[p + "attn.bqkv"]
            out = np.zeros((T, C))
            for hd in range(H):
                q = qkv[:, hd * D : (hd + 1) * D]
                k = qkv[:, C + hd * D : C + (hd + 1) * D]
                v = qkv[:, 2 * C + hd * D : 2 * C + (hd + 1) * D]
                for i in range(T):
                    s = np.array([q[i] @ k[j] for j in range(i + 1)]) / np.sqrt(D)
                    e = np.exp(s - s.max())
                    w = e / e.sum()
                    out[i, hd * D : (hd + 1) * D] = w @ v[: i + 1]
            x = x + out @ P[p + "attn.wo"] + P[p + "attn.bo"]
            h = ln(x, P[p + "ln2.w"], P[p + "ln2.b"])
            x = x + gelu_np(h @ P[p + "mlp.w1"] + P[p + "mlp.b1"]) @ P[p + "mlp.w2"] + P[p + "mlp.b2"]
        logits = ln(x, P["lnf.w"], P["lnf.b"]) @ P["head.w"]
        for t in range(T):
            row = logits[t]
            mx = row.max()
            total += mx + np.log(np.exp(row - mx).sum()) - row[targets[bi, t]]
    return total / (B * T)


# ----------------------------------------------------------------------------- safetensors writer

def write_safetensors(path, tensors):
    """Minimal safetensors writer (no dependency): 8-byte LE header size, JSON header padded with
    spaces to a multiple of 8, then the raw little-endian data in the header's order."""
    dtypes = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int32): "I32"}
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "generator": "tools/reference/gpt2_reference.py"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- main

def rel_err(a, b, floor=1e-6):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)))


def generate(cfg, name, seed, batch_size, perturb, out_dir, fd_samples):
    params = init_params(cfg, seed, perturb)
    names = [n for n, _, _ in param_shapes(cfg)]
    tokens, targets = make_batch(cfg, batch_size, seed + 100)

    # One jitted function; it is traced once per dtype (float32 and float64 parameters).
    grad_fn = jax.jit(jax.value_and_grad(lambda p: jax_loss(p, tokens, targets, cfg)[0]))

    p32 = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
    p64 = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    loss32, g32 = grad_fn(p32)
    loss64, g64 = grad_fn(p64)
    assert all(g32[k].dtype == jnp.float32 for k in names), "float32 gradients expected"
    _, logits32 = jax_loss(p32, tokens, targets, cfg)
    loss32, loss64 = float(loss32), float(loss64)

    # Check 1: independent NumPy float64 forward.
    loss_np = numpy_loss(params, tokens, targets, cfg)
    assert abs(loss_np - loss64) <= 1e-10 * abs(loss64), f"NumPy {loss_np} vs JAX f64 {loss64}"
    assert abs(loss32 - loss64) <= 1e-5 * abs(loss64), f"JAX f32 {loss32} vs f64 {loss64}"

    # Check 2: float32 gradients against float64 ones (relative to each tensor's max magnitude).
    f32_vs_f64 = {}
    for k in names:
        a, b = np.asarray(g32[k], np.float64), np.asarray(g64[k])
        scale = max(float(np.max(np.abs(b))), 1e-12)
        f32_vs_f64[k] = float(np.max(np.abs(a - b)) / scale)
    worst = max(f32_vs_f64.values())
    # Informational: element-wise relative error (floor 1e-6), what a per-element 1e-4 test sees.
    elem_rel = max(rel_err(np.asarray(g32[k]), np.asarray(g64[k])) for k in names)
    assert worst < 1e-4, f"float32 gradients drift from float64: {worst}"

    # Check 3: JAX f64 gradients against central finite differences of the NumPy forward.
    rng = np.random.default_rng(seed + 200)
    fd_worst = 0.0
    h = 1e-5
    for k in names:
        g = np.asarray(g64[k])
        scale = max(float(np.max(np.abs(g))), 1e-8)
        for _ in range(fd_samples):
            idx = tuple(int(rng.integers(0, s)) for s in g.shape)
            plus = {n: v.astype(np.float64) for n, v in params.items()}
            minus = {n: v.astype(np.float64) for n, v in params.items()}
            plus[k][idx] += h
            minus[k][idx] -= h
            fd = (numpy_loss(plus, tokens, targets, cfg) - numpy_loss(minus, tokens, targets, cfg)) / (2 * h)
            err = abs(fd - g[idx]) / scale
            fd_worst = max(fd_worst, err)
            assert err < 1e-5, f"finite differences disagree for {k}{list(idx)}: fd {fd} vs jax {g[idx]}"

    # 5 Adam steps in float32 (bias-corrected, no weight decay). losses[i] is the loss of the
    # parameters after i updates, computed before update i+1; final_loss after all 5.
    a = ADAM
    p = dict(p32)
    m = {k: jnp.zeros_like(v) for k, v in p.items()}
    v = {k: jnp.zeros_like(v) for k, v in p.items()}
    losses = []
    for t in range(1, ADAM_STEPS + 1):
        loss, g = grad_fn(p)
        losses.append(float(loss))
        p, m, v = adam_update(p, g, m, v, t, a["lr"], a["beta1"], a["beta2"], a["eps"])
    final_loss = float(grad_fn(p)[0])
    assert losses[0] == loss32
    assert final_loss < losses[0], "Adam should lower the loss on a fixed batch"

    tensors = {k: params[k] for k in names}
    tensors.update({f"grad.{k}": np.asarray(g32[k], np.float32) for k in names})
    tensors["tokens"] = tokens
    tensors["targets"] = targets
    os.makedirs(out_dir, exist_ok=True)
    st_path = os.path.join(out_dir, f"{name}.safetensors")
    write_safetensors(st_path, tensors)

    grad_norm = math.sqrt(sum(float(np.sum(np.asarray(g32[k], np.float64) ** 2)) for k in names))
    summary = {
        "generator": "tools/reference/gpt2_reference.py",
        "versions": {"jax": jax.__version__, "numpy": np.__version__},
        "preset": "tiny",
        "config": cfg,
        "layer_norm_eps": LN_EPS,
        "gelu": "tanh approximation",
        "init": {"seed": seed, "generator": "numpy.random.default_rng(seed).standard_normal, canonical order of `names`",
                 "std": 0.02, "residual_std": 0.02 / math.sqrt(2 * cfg["layers"]), "perturbed": perturb},
        "batch": {"B": batch_size, "T": cfg["context"], "seed": seed + 100},
        "names": names,
        "loss": loss32,
        "loss_float64": loss64,
        "loss_numpy_float64": loss_np,
        "grad_norm": grad_norm,
        "max_abs_logit": float(np.max(np.abs(np.asarray(logits32)))),
        "grads": {k: {"shape": list(params[k].shape), "norm": float(np.linalg.norm(np.asarray(g32[k], np.float64))),
                      "max_abs": float(np.max(np.abs(np.asarray(g32[k]))))} for k in names},
        "params_max_abs": {k: float(np.max(np.abs(params[k]))) for k in names},
        "adam": {**a, "steps": ADAM_STEPS, "bias_correction": True, "losses": losses, "final_loss": final_loss,
                 "note": "losses[i]: loss after i updates (losses[0] == loss); final_loss: after all updates"},
        "self_checks": {"float32_vs_float64_grad_max_rel": worst, "float32_vs_float64_grad_elementwise_max_rel": elem_rel, "finite_difference_max_rel": fd_worst,
                        "finite_difference_samples_per_tensor": fd_samples},
    }
    json_path = os.path.join(out_dir, f"{name}.json")
    with open(json_path + ".tmp", "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    os.replace(json_path + ".tmp", json_path)

    print(f"{name}: loss {loss32:.8f} (float64 {loss64:.10f}, NumPy float64 {loss_np:.10f})")
    print(f"{name}: global grad norm {grad_norm:.8f}")
    for k in names:
        gk = summary["grads"][k]
        print(f"  grad {k:22s} norm {gk['norm']:.6e}  max|g| {gk['max_abs']:.6e}")
    print(f"{name}: adam losses " + " ".join(f"{x:.6f}" for x in losses) + f" → {final_loss:.6f}")
    print(f"{name}: checks: f32 vs f64 grads max rel {worst:.2e} (element-wise {elem_rel:.2e}), finite differences max rel {fd_worst:.2e}")
    print(f"{name}: wrote {st_path} ({os.path.getsize(st_path)} bytes) and {json_path}")


def main(argv=None):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(repo, "packages", "gpt2", "reference"), help="output folder")
    ap.add_argument("--seed", type=int, default=1337, help="init seed (batch uses seed+100)")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--fd-samples", type=int, default=3, help="finite-difference samples per parameter tensor")
    args = ap.parse_args(argv)
    cfg = PRESETS["tiny"]
    generate(cfg, "tiny", args.seed, args.batch, False, args.out, args.fd_samples)
    generate(cfg, "tiny-perturbed", args.seed, args.batch, True, args.out, args.fd_samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
