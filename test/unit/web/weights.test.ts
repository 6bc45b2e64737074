// What the web view's weight write accepts, and the URL mesh ui opens.
import { describe, expect, it } from 'vitest';
import { uiUrl } from '../../../src/cli/commands/ui.ts';
import { weightsProblem } from '../../../src/web/routes.ts';
import { tokenMatches } from '../../../src/web/token.ts';

describe('weightsProblem', () => {
  const labels = ['v1', 'v2'];
  it('takes whole percentages of the route\'s destinations adding up to 100', () => {
    expect(weightsProblem({ v1: 50, v2: 50 }, labels)).toBeUndefined();
    expect(weightsProblem({ v2: 100 }, labels)).toBeUndefined();
  });
  it('says what is wrong otherwise', () => {
    expect(weightsProblem(undefined, labels)).toBe('The body is {"weights": {"SUBSET": PERCENT, …}}.');
    expect(weightsProblem([50, 50], labels)).toBe('The body is {"weights": {"SUBSET": PERCENT, …}}.');
    expect(weightsProblem({ v1: 50, v3: 50 }, labels)).toBe('The route has no destination v3; its destinations are v1, v2.');
    expect(weightsProblem({ v1: 50.5, v2: 49.5 }, labels)).toBe('Each weight is a whole percentage from 0 to 100.');
    expect(weightsProblem({ v1: '50', v2: 50 }, labels)).toBe('Each weight is a whole percentage from 0 to 100.');
    expect(weightsProblem({ v1: 150, v2: -50 }, labels)).toBe('Each weight is a whole percentage from 0 to 100.');
    expect(weightsProblem({ v1: 60, v2: 50 }, labels)).toBe('The weights add up to 110, not 100.');
  });
});

describe('the token', () => {
  it('matches only the same string', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abd')).toBe(false);
    expect(tokenMatches('abc', 'ab')).toBe(false);
    expect(tokenMatches('abc', undefined)).toBe(false);
    expect(tokenMatches('abc', ['abc'])).toBe(false);
    expect(tokenMatches(undefined, '')).toBe(false);
  });
  it('goes in the URL mesh ui opens', () => {
    expect(uiUrl('http://127.0.0.1:15080', 'T-1_x')).toBe('http://127.0.0.1:15080/ui/?token=T-1_x');
    expect(uiUrl('http://127.0.0.1:15080/', undefined)).toBe('http://127.0.0.1:15080/ui/');
  });
});
