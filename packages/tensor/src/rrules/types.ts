// The rrule shape shared by every rule (ChainRules' `rrule`, proc-macro-gpt's convention):
// `rule(x, ...rest)` returns `[y, pullback]`; the first argument is the differentiable one (a Tensor
// or an array of Tensors), `rest` passes through undifferentiated, and `pullback(dy)` returns the
// cotangent of the first argument in the same structure.
export type Pullback<DY, DX> = (dy: DY) => DX;
export type RruleResult<Y, DY, DX> = [Y, Pullback<DY, DX>];
