import { describe, expect, it } from 'vitest';
import { createFeatures } from './index.ts';

describe('feature list', () => {
  const features = createFeatures();
  const names = features.map((f) => f.name);

  it('has unique names, backing log then abort first, and the command executor last', () => {
    expect(new Set(names).size).toBe(names.length);
    expect(names.slice(0, 2)).toEqual(['backing-log', 'abort']);
    expect(names.at(-1)).toBe('command-executor');
  });

  it('places every feature after the features it declares in `after`', () => {
    for (const [i, f] of features.entries()) {
      for (const dep of f.after ?? []) {
        expect(names, `${f.name} is after unknown feature ${dep}`).toContain(dep);
        expect(names.indexOf(dep), `${f.name} must come after ${dep}`).toBeLessThan(i);
      }
    }
  });
});
