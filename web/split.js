// How the web view's sliders split a route: pure, imported by app.js (and by its unit test).
/**
 * The weights with destination j at w and the others sharing the rest in their proportions (equally
 * when they are all 0), in whole numbers adding up to 100 (largest remainders get the leftovers).
 */
export function rebalance(weights, j, w) {
  const rest = 100 - w;
  const sum = weights.reduce((a, x, i) => (i === j ? a : a + x), 0);
  const exact = weights.map((x, i) => (i === j ? w : sum > 0 ? (x * rest) / sum : rest / (weights.length - 1)));
  const out = exact.map((x) => Math.floor(x));
  let left = 100 - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i]).filter(([, i]) => i !== j).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) if (left-- > 0) out[i]++;
  return out;
}

