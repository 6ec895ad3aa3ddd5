import { describe, expect, it } from 'vitest';
import { formatMissing, missing, satisfies } from './scopes.ts';

describe('scope expressions', () => {
  it('matches `*` as a prefix wildcard only at the end', () => {
    expect(satisfies(['queue:get-artifact:public/*'], 'queue:get-artifact:public/logs/x')).toBe(true);
    expect(satisfies(['queue:get-artifact:public/*'], 'queue:get-artifact:private/x')).toBe(false);
    expect(satisfies(['*'], 'anything')).toBe(true);
    expect(satisfies(['a*b'], 'a*b')).toBe(true);
    expect(satisfies(['a*b'], 'axb')).toBe(false);
  });

  it('evaluates AllOf/AnyOf and reports only what is missing', () => {
    const expr = { AllOf: ['a', { AnyOf: ['b', 'c'] }, 'd'] };
    expect(satisfies(['a', 'c', 'd'], expr)).toBe(true);
    expect(missing(['a', 'c'], expr)).toBe('d');
    expect(missing(['c'], expr)).toEqual({ AllOf: ['a', 'd'] });
    expect(formatMissing({ AllOf: ['a', 'd'] })).toBe('a\nd');
    expect(missing(['a', 'd'], expr)).toEqual({ AnyOf: ['b', 'c'] });
    expect(missing([], { AllOf: [] })).toBeNull();
  });
});
