import { attention, attentionBackward, Tensor, setThreads } from "@pullback/tensor";
const shape = process.argv.slice(2, 6).map(Number) as [number, number, number, number];
const p = Number(process.argv[6] ?? 0);
setThreads(Number(process.argv[7] ?? 1));
const q = Tensor.randn(shape, { seed: 1 }), k = Tensor.randn(shape, { seed: 2 }), v = Tensor.randn(shape, { seed: 3 });
const cpu = (f: () => void) => { const c = process.cpuUsage(); f(); const d = process.cpuUsage(c); return (d.user + d.system) / 1000; };
let bf = Infinity, bb = Infinity;
let res = attention(q, k, v, { dropout: p, seed: 1 });
for (let r = 0; r < 7; r++) {
  bf = Math.min(bf, cpu(() => { res = attention(q, k, v, { dropout: p, seed: 1 }); }));
  bb = Math.min(bb, cpu(() => attentionBackward(res.out, q, k, v, res.out, res.lse, { dropout: p, seed: 1 })));
}
console.log(`${shape.join("x")} p=${p}: cpu fwd ${bf.toFixed(1)} ms, bwd ${bb.toFixed(1)} ms`);
