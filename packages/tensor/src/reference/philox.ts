// Philox4x32-10 in TypeScript: the same function as zig-kernels/src/philox.zig.
// Element i of a draw (seed, offset) is lane i % 4 of
//   philox(counter = {lo(i/4), hi(i/4), lo(offset), hi(offset)}, key = {lo(seed), hi(seed)}).

/** High and low 32 bits of the 64-bit product a·b of two uint32. */
function mulhilo(a: number, b: number): [number, number] {
  const lo = Math.imul(a, b) >>> 0;
  const aLo = a & 0xffff,
    aHi = a >>> 16,
    bLo = b & 0xffff,
    bHi = b >>> 16;
  const mid1 = aHi * bLo,
    mid2 = aLo * bHi;
  const carry = ((aLo * bLo) / 65536 + (mid1 & 0xffff) + (mid2 & 0xffff)) / 65536;
  const hi = (aHi * bHi + Math.floor(mid1 / 65536) + Math.floor(mid2 / 65536) + Math.floor(carry)) >>> 0;
  return [hi, lo];
}

export function philox4x32(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0);
  let [k0, k1] = key.map((x) => x >>> 0);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + 0x9e3779b9) >>> 0;
      k1 = (k1 + 0xbb67ae85) >>> 0;
    }
    const [hi0, lo0] = mulhilo(0xd2511f53, c0);
    const [hi1, lo1] = mulhilo(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

const two32 = 4294967296;

/** Uniform in [0, 1) for element `i` of the draw (seed, offset); seed, offset and i are non-negative integers < 2^53. */
export function philoxUniform(seed: number, offset: number, i: number): number {
  const blk = Math.floor(i / 4);
  const words = philox4x32(
    [blk % two32, Math.floor(blk / two32), offset % two32, Math.floor(offset / two32)],
    [seed % two32, Math.floor(seed / two32)],
  );
  return (words[i % 4] >>> 8) / 16777216;
}
