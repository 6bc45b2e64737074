// The types of split.js for the project's TypeScript (its unit test); the page loads the .js.
export function rebalance(weights: readonly number[], j: number, w: number): number[];
