function dropoutOffset__frule(__a: any[], __ta: any[]): [any, any] {
  let layer = __a[0];
  let site = __a[1];
  return [(layer + 1) * 3 + site, null];
}

function block__frule(__a: any[], __ta: any[]): [any, any] {
  let x = __a[0];
  let t_x = __ad.at(__ta, 0);
  let p = __a[1];
  let t_p = __ad.at(__ta, 1);
  let s = __a[2];
  let layer = __a[3];
  const { batch: B, heads: H, dropout: pDrop, seed } = s;
  // tangent of: const qkv = linear(layerNorm(x, p.ln1.w, p.ln1.b), p.attn.wqkv, p.attn.bqkv); (line 47)
  const [__v_layerNorm, __t_layerNorm] = __ad.fopOf("layerNorm", __at(47, 22))(
    [x, p.ln1.w, p.ln1.b],
    [t_x, __ad.tpath(t_p, ["ln1", "w"]), __ad.tpath(t_p, ["ln1", "b"])]
  );
  const [qkv, t_qkv] = __ad.fopOf("linear", __at(47, 15))(
    [__v_layerNorm, p.attn.wqkv, p.attn.bqkv],
    [__t_layerNorm, __ad.tpath(t_p, ["attn", "wqkv"]), __ad.tpath(t_p, ["attn", "bqkv"])]
  );
  // tangent of: const a = attentionRows(qkv, H, B, { dropout: pDrop, seed, offset: dropoutOffset(layer, 0)… (line 50)
  const [a, t_a] = __ad.fopOf("attentionRows", __at(50, 13))(
    [qkv, H, B, { dropout: pDrop, seed, offset: dropoutOffset(layer, 0) }],
    [t_qkv, null, null, null]
  );
  // tangent of: x = addDropout(x, linear(a, p.attn.wo, p.attn.bo), pDrop, seed, dropoutOffset(layer, 1)); (line 52)
  const [__v_linear, __t_linear] = __ad.fopOf("linear", __at(52, 21))(
    [a, p.attn.wo, p.attn.bo],
    [t_a, __ad.tpath(t_p, ["attn", "wo"]), __ad.tpath(t_p, ["attn", "bo"])]
  );
  [x, t_x] = __ad.fopOf("addDropout", __at(52, 7))(
    [x, __v_linear, pDrop, seed, dropoutOffset(layer, 1)],
    [t_x, __t_linear, null, null, null]
  );
  // tangent of: const h = gelu(linear(layerNorm(x, p.ln2.w, p.ln2.b), p.mlp.w1, p.mlp.b1)); (line 54)
  const [__v_layerNorm_2, __t_layerNorm_2] = __ad.fopOf("layerNorm", __at(54, 25))(
    [x, p.ln2.w, p.ln2.b],
    [t_x, __ad.tpath(t_p, ["ln2", "w"]), __ad.tpath(t_p, ["ln2", "b"])]
  );
  const [__v_linear_2, __t_linear_2] = __ad.fopOf("linear", __at(54, 18))(
    [__v_layerNorm_2, p.mlp.w1, p.mlp.b1],
    [__t_layerNorm_2, __ad.tpath(t_p, ["mlp", "w1"]), __ad.tpath(t_p, ["mlp", "b1"])]
  );
  const [h, t_h] = __ad.fopOf("gelu", __at(54, 13))([__v_linear_2], [__t_linear_2]);
  // tangent of: return addDropout(x, linear(h, p.mlp.w2, p.mlp.b2), pDrop, seed, dropoutOffset(layer, 2)); (line 55)
  const [__v_linear_3, __t_linear_3] = __ad.fopOf("linear", __at(55, 24))(
    [h, p.mlp.w2, p.mlp.b2],
    [t_h, __ad.tpath(t_p, ["mlp", "w2"]), __ad.tpath(t_p, ["mlp", "b2"])]
  );
  const [__v_addDropout, __t_addDropout] = __ad.fopOf("addDropout", __at(55, 10))(
    [x, __v_linear_3, pDrop, seed, dropoutOffset(layer, 2)],
    [t_x, __t_linear_3, null, null, null]
  );
  return [__v_addDropout, __t_addDropout];
}

function hidden__frule(__a: any[], __ta: any[]): [any, any] {
  let p = __a[0];
  let t_p = __ad.at(__ta, 0);
  let s = __a[1];
  let tokens = __a[2];
  let positions = __a[3];
  const { batch: B, time: T, width: C } = s;
  // tangent of: const emb = add(take(p.wte, tokens, [B, T]), take(p.wpe, positions)); (line 62)
  const [__v_take, __t_take] = __ad.fopOf("take", __at(62, 19))(
    [p.wte, tokens, [B, T]],
    [__ad.at(t_p, "wte"), null, null]
  );
  const [__v_take_2, __t_take_2] = __ad.fopOf("take", __at(62, 48))([p.wpe, positions], [__ad.at(t_p, "wpe"), null]);
  const [emb, t_emb] = __ad.fopOf("add", __at(62, 15))([__v_take, __v_take_2], [__t_take, __t_take_2]);
  // tangent of: let x = dropout(reshape(emb, [B * T, C]), s.dropout, s.seed, dropoutOffset(-1, 0)); (line 63)
  const [__v_reshape, __t_reshape] = __ad.fopOf("reshape", __at(63, 19))([emb, [B * T, C]], [t_emb, null]);
  let [x, t_x] = __ad.fopOf("dropout", __at(63, 11))(
    [__v_reshape, s.dropout, s.seed, dropoutOffset(-1, 0)],
    [__t_reshape, null, null, null]
  );
  for (let l = 0; l < p.blocks.length; l++) {
    // tangent of: x = block(x, p.blocks[l], s, l); (line 64)
    const __k_l = (l);
    [x, t_x] = __ad.fruleOf(block, __at(64, 49))(
      [x, p.blocks[__k_l], s, l],
      [t_x, __ad.tpath(t_p, ["blocks", __k_l]), null, null]
    );
  }
  // tangent of: return layerNorm(x, p.lnf.w, p.lnf.b); (line 65)
  const [__v_layerNorm, __t_layerNorm] = __ad.fopOf("layerNorm", __at(65, 10))(
    [x, p.lnf.w, p.lnf.b],
    [t_x, __ad.tpath(t_p, ["lnf", "w"]), __ad.tpath(t_p, ["lnf", "b"])]
  );
  return [__v_layerNorm, __t_layerNorm];
}

function logits__frule(__a: any[], __ta: any[]): [any, any] {
  let p = __a[0];
  let t_p = __ad.at(__ta, 0);
  let s = __a[1];
  let tokens = __a[2];
  let positions = __a[3];
  // tangent of: return matmul(hidden(p, s, tokens, positions), p.head.w); (line 70)
  const [__v_hidden, __t_hidden] = __ad.fruleOf(hidden, __at(70, 17))(
    [p, s, tokens, positions],
    [t_p, null, null, null]
  );
  const [__v_matmul, __t_matmul] = __ad.fopOf("matmul", __at(70, 10))(
    [__v_hidden, p.head.w],
    [__t_hidden, __ad.tpath(t_p, ["head", "w"])]
  );
  return [__v_matmul, __t_matmul];
}

function loss__frule(__a: any[], __ta: any[]): [any, any] {
  let p = __a[0];
  let t_p = __ad.at(__ta, 0);
  let s = __a[1];
  let tokens = __a[2];
  let positions = __a[3];
  let targets = __a[4];
  // tangent of: return linearCrossEntropy(hidden(p, s, tokens, positions), p.head.w, targets); (line 76)
  const [__v_hidden, __t_hidden] = __ad.fruleOf(hidden, __at(76, 29))(
    [p, s, tokens, positions],
    [t_p, null, null, null]
  );
  const [__v_linearCrossEntropy, __t_linearCrossEntropy] = __ad.fopOf("linearCrossEntropy", __at(76, 10))(
    [__v_hidden, p.head.w, targets],
    [__t_hidden, __ad.tpath(t_p, ["head", "w"]), null]
  );
  return [__v_linearCrossEntropy, __t_linearCrossEntropy];
}
