// Corpus: control flow — break, continue, early return, switch with fallthrough, labeled break,
// while and do…while with exits.
import { add, exp, matmul, mul, mulScalar, sub, sum, tanh, type Tensor } from "@pullback/tensor";
import { stopGradient } from "@pullback/ad";

/** break out of a for loop after `stop` iterations. */
export function withBreak(x: Tensor, n: number, stop: number): Tensor {
  let y = x;
  for (let i = 0; i < n; i++) {
    if (i === stop) break;
    y = mul(y, tanh(x));
  }
  return y;
}

/** continue skips the odd iterations. */
export function withContinue(xs: Tensor[]): Tensor {
  let acc = mulScalar(xs[0], 0);
  for (let i = 0; i < xs.length; i++) {
    if (i % 2 === 1) continue;
    acc = add(acc, exp(xs[i]));
  }
  return acc;
}

/** Early return from inside a loop once the (untracked) norm is large. */
export function earlyReturn(x: Tensor, w: Tensor, limit: number): Tensor {
  let h = x;
  for (let i = 0; i < 5; i++) {
    h = tanh(matmul(h, w));
    if (sum(stopGradient(mul(h, h))) > limit) return mulScalar(h, 2);
  }
  return h;
}

/** switch with fallthrough: case 2 also runs case 1's statements; default. */
export function switchFallthrough(x: Tensor, y: Tensor, k: number): Tensor {
  let z = x;
  switch (k) {
    case 2:
      z = mul(z, y);
    // falls through
    case 1:
      z = add(z, tanh(y));
      break;
    case 0:
      z = sub(z, y);
      break;
    default:
      z = exp(z);
  }
  return z;
}

/** A labeled break leaves both loops of a nested pair. */
export function labeledBreak(x: Tensor, w: Tensor, stopAt: number): Tensor {
  let h = x;
  let count = 0;
  outer: for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (count === stopAt) break outer;
      h = add(h, mulScalar(matmul(h, w), 0.25));
      count++;
    }
  }
  return h;
}

/** A labeled continue skips the rest of the inner loop. */
export function labeledContinue(x: Tensor, y: Tensor): Tensor {
  let h = x;
  rows: for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (j > i) continue rows;
      h = add(h, mul(y, tanh(h)));
    }
  }
  return h;
}

/** while with a break on a counter, and a do…while with continue. */
export function whileBreakDoContinue(x: Tensor, y: Tensor): Tensor {
  let h = x;
  let i = 0;
  while (true) {
    if (i >= 3) break;
    h = mul(h, tanh(y));
    i++;
  }
  let j = 0;
  do {
    j++;
    if (j === 2) continue;
    h = add(h, exp(mulScalar(y, 0.1)));
  } while (j < 4);
  return h;
}

/** Returns from one of several branches (no loop): early return in tape mode. */
export function returnsFromBranches(x: Tensor, k: number): Tensor {
  if (k === 0) return exp(x);
  const y = tanh(x);
  if (k === 1) return mul(y, x);
  return add(y, x);
}

/** switch inside a loop, with continue in a case and an early return in the default. */
export function switchInLoop(xs: Tensor[]): Tensor {
  let acc = xs[0];
  for (let i = 1; i < xs.length; i++) {
    switch (i % 3) {
      case 0:
        continue;
      case 1:
        acc = mul(acc, xs[i]);
        break;
      default:
        if (i > 3) return acc;
        acc = add(acc, tanh(xs[i]));
    }
  }
  return acc;
}

/** do…while(true) left by break. */
export function doWhileBreak(x: Tensor, w: Tensor): Tensor {
  let h = x;
  let i = 0;
  do {
    h = tanh(matmul(h, w));
    if (++i >= 2) break;
  } while (true);
  return sub(h, x);
}

/** A while loop whose condition reads a tracked number (the comparison is not differentiated). */
export function whileOnTracked(x: number): number {
  let y = x;
  let n = 0;
  while (y < 100 && n < 50) {
    y = y * 1.5 + 1;
    n++;
  }
  return y;
}

/** Early returns of numbers, from a branch and from a loop. */
export function earlyReturnNumber(x: number, y: number): number {
  if (x > y) return x * y;
  let s = 0;
  for (let i = 0; i < 3; i++) {
    s += x * i;
    if (s > 10) return s;
  }
  return s + y;
}

/** A labeled block left by break. */
export function labeledBlock(x: Tensor, skip: boolean): Tensor {
  let h = x;
  blk: {
    if (skip) break blk;
    h = exp(h);
  }
  return mul(h, x);
}

/** continue to the label of an outer while. */
export function whileLabeledContinue(x: Tensor): Tensor {
  let h = x;
  let i = 0;
  outer: while (i < 3) {
    i++;
    let j = 0;
    while (j < 3) {
      j++;
      if (j === i) continue outer;
      h = add(h, mulScalar(tanh(h), 0.5));
    }
  }
  return h;
}

/** switch on a string: shared cases, a block case, returns from cases. */
export function switchStrings(x: Tensor, mode: string): Tensor {
  switch (mode) {
    case "a":
    case "b":
      return tanh(x);
    case "c": {
      const y = exp(x);
      return mul(y, x);
    }
    default:
      return x;
  }
}
