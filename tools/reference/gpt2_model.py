"""The agreed GPT-2 (CONTEXT.md / issue 4) in JAX: presets, parameter layout and init, forward
with optional dropout, and the Adam update. Shared by `gpt2_reference.py` (parity data, dropout
off) and `bench_train_step.py` (training-step timing, dropout on).

Importing this module imports JAX (CPU platform). Callers that want float64 enable
`jax_enable_x64` themselves; nothing here depends on it. Callers that want to restrict XLA's
threads must do so before importing this module (see bench_train_step.py).
"""
from __future__ import annotations

import math

import numpy as np

import jax

jax.config.update("jax_platforms", "cpu")
import jax.numpy as jnp  # noqa: E402

PRESETS = {
    "tiny": dict(vocab=128, context=16, layers=2, heads=4, width=32, mlp=128, dropout=0.0),
    "seed": dict(vocab=8000, context=128, layers=8, heads=16, width=64, mlp=256, dropout=0.2),
    "gpt2": dict(vocab=50257, context=1024, layers=12, heads=12, width=768, mlp=3072, dropout=0.1),
}
LN_EPS = 1e-5
ADAM = dict(lr=2e-3, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.0)


# ----------------------------------------------------------------------------- parameters

def param_shapes(cfg):
    """(dotted name, shape, init) in the canonical order; init is ('normal', std) or ('const', value)."""
    V, T, C, M, L = cfg["vocab"], cfg["context"], cfg["width"], cfg["mlp"], cfg["layers"]
    std = 0.02
    proj_std = 0.02 / math.sqrt(2 * L)
    out = [("wte", (V, C), ("normal", std)), ("wpe", (T, C), ("normal", std))]
    for l in range(L):
        p = f"blocks.{l}."
        out += [
            (p + "ln1.w", (C,), ("const", 1.0)),
            (p + "ln1.b", (C,), ("const", 0.0)),
            (p + "attn.wqkv", (C, 3 * C), ("normal", std)),
            (p + "attn.bqkv", (3 * C,), ("const", 0.0)),
            (p + "attn.wo", (C, C), ("normal", proj_std)),
            (p + "attn.bo", (C,), ("const", 0.0)),
            (p + "ln2.w", (C,), ("const", 1.0)),
            (p + "ln2.b", (C,), ("const", 0.0)),
            (p + "mlp.w1", (C, M), ("normal", std)),
            (p + "mlp.b1", (M,), ("const", 0.0)),
            (p + "mlp.w2", (M, C), ("normal", proj_std)),
            (p + "mlp.b2", (C,), ("const", 0.0)),
        ]
    out += [("lnf.w", (C,), ("const", 1.0)), ("lnf.b", (C,), ("const", 0.0)), ("head.w", (C, V), ("normal", std))]
    return out


def init_params(cfg, seed, perturb=False):
    """Flat {name: float32 array}. Normal draws in canonical order from one default_rng(seed)."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape, (kind, value) in param_shapes(cfg):
        if kind == "normal":
            params[name] = (rng.standard_normal(shape) * value).astype(np.float32)
        else:
            params[name] = np.full(shape, value, dtype=np.float32)
    if perturb:
        # A second generator, so the normal weights are the same as the unperturbed variant's.
        prng = np.random.default_rng(seed + 1)
        for name, shape, (kind, value) in param_shapes(cfg):
            if kind == "const":
                # LayerNorm w, b: ±0.1 around 1 / 0; linear biases: on the scale of the weights (0.02).
                scale = 0.1 if ".ln" in "." + name else 0.02
                params[name] = (params[name] + scale * prng.standard_normal(shape)).astype(np.float32)
    return params


def make_batch(cfg, B, seed):
    """B random sequences of context+1 tokens: tokens = the first `context`, targets = shifted by one."""
    rng = np.random.default_rng(seed)
    seq = rng.integers(0, cfg["vocab"], size=(B, cfg["context"] + 1), dtype=np.int64)
    return seq[:, :-1].astype(np.int32), seq[:, 1:].astype(np.int32)


# ----------------------------------------------------------------------------- forward

def layer_norm(x, w, b):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + LN_EPS) * w + b


def gelu(x):
    return 0.5 * x * (1.0 + jnp.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def dropout(x, p, key):
    """Inverted dropout: keep an element iff u ≥ p with u ~ U[0, 1), scale the kept ones by 1/(1−p).
    (The same rule as pullback's Philox dropout; JAX draws u from its own PRNG.)"""
    keep = jax.random.uniform(key, x.shape, dtype=x.dtype) >= p
    return jnp.where(keep, x * (1.0 / (1.0 - p)), jnp.zeros_like(x))


def jax_loss(params, tokens, targets, cfg, dropout_p=0.0, key=None):
    """Mean next-token cross-entropy and the logits (B·T, V).

    With dropout_p > 0 (and a PRNG `key`), dropout is applied where the model has it: after the
    embeddings, on the attention probabilities, after the attention projection and after the MLP.
    """
    B, T = tokens.shape
    C, H, L = cfg["width"], cfg["heads"], cfg["layers"]
    D = C // H
    drop = dropout_p > 0.0
    # One key per dropout site: 1 for the embeddings, then 3 per block.
    keys = iter(jax.random.split(key, 1 + 3 * L)) if drop else None

    def maybe_dropout(t):
        return dropout(t, dropout_p, next(keys)) if drop else t

    x = maybe_dropout(params["wte"][tokens] + params["wpe"][:T][None, :, :])  # (B, T, C)
    mask = jnp.tril(jnp.ones((T, T), dtype=bool))
    for l in range(L):
        p = f"blocks.{l}."
        h = layer_norm(x, params[p + "ln1.w"], params[p + "ln1.b"])
        qkv = h.reshape(B * T, C) @ params[p + "attn.wqkv"] + params[p + "attn.bqkv"]  # (B·T, 3C)
        qkv = qkv.reshape(B, T, 3 * C)
        q, k, v = qkv[..., :C], qkv[..., C : 2 * C], qkv[..., 2 * C :]
        q, k, v = (t.reshape(B, T, H, D).transpose(0, 2, 1, 3) for t in (q, k, v))  # (B, H, T, D)
        scores = (q @ k.transpose(0, 1, 3, 2)) / math.sqrt(D)  # (B, H, T, T)
        scores = jnp.where(mask, scores, -jnp.inf)  # causal: position i sees j ≤ i
        att = maybe_dropout(jax.nn.softmax(scores, axis=-1))
        a = (att @ v).transpose(0, 2, 1, 3).reshape(B * T, C)
        x = x + maybe_dropout((a @ params[p + "attn.wo"] + params[p + "attn.bo"]).reshape(B, T, C))
        h = layer_norm(x, params[p + "ln2.w"], params[p + "ln2.b"]).reshape(B * T, C)
        m = gelu(h @ params[p + "mlp.w1"] + params[p + "mlp.b1"]) @ params[p + "mlp.w2"] + params[p + "mlp.b2"]
        x = x + maybe_dropout(m.reshape(B, T, C))
    x = layer_norm(x, params["lnf.w"], params["lnf.b"]).reshape(B * T, C)
    logits = x @ params["head.w"]  # (B·T, V)
    # loss = mean over rows of logsumexp(logits) − logits[target]
    lse = jax.nn.logsumexp(logits, axis=-1)
    picked = jnp.take_along_axis(logits, targets.reshape(B * T, 1), axis=-1)[:, 0]
    return jnp.mean(lse - picked), logits


# ----------------------------------------------------------------------------- optimizer

def adam_update(params, grads, m, v, t, lr, beta1, beta2, eps):
    """One bias-corrected Adam step (no weight decay) on dicts of arrays; t is the 1-based step.
    m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − lr·m̂/(√v̂ + eps),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t).
    Returns (params, m, v), new dicts. Works eagerly (t a Python int) and under jit (t traced)."""
    new_p, new_m, new_v = {}, {}, {}
    for k in params:
        g = grads[k]
        new_m[k] = beta1 * m[k] + (1 - beta1) * g
        new_v[k] = beta2 * v[k] + (1 - beta2) * g * g
        mhat = new_m[k] / (1 - beta1**t)
        vhat = new_v[k] / (1 - beta2**t)
        new_p[k] = (params[k] - lr * mhat / (jnp.sqrt(vhat) + eps)).astype(params[k].dtype)
    return new_p, new_m, new_v
