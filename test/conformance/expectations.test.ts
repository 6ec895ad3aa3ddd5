import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBad, loadExpectations, statusFor, updatedExpectations } from '../../conformance/expectations.ts';
import { record } from './helpers.ts';

describe('expectation baselines', () => {
  it('maps outcome × baseline to a status, and only changed verdicts are bad', () => {
    expect(statusFor('pass', undefined)).toBe('pass');
    expect(statusFor('pass', 'pass')).toBe('pass');
    expect(statusFor('pass', { fail: 'x' })).toBe('unexpected-pass');
    expect(statusFor('fail', undefined)).toBe('fail');
    expect(statusFor('fail', { fail: 'x' })).toBe('expected-fail');
    expect(statusFor('errored', undefined)).toBe('errored');
    expect(statusFor('errored', { fail: 'x' })).toBe('expected-fail');
    expect(statusFor('skipped', { fail: 'x' })).toBe('skipped');
    expect(['pass', 'expected-fail', 'skipped'].map((s) => isBad(s as never))).toEqual([false, false, false]);
    expect(['fail', 'unexpected-pass', 'errored'].map((s) => isBad(s as never))).toEqual([true, true, true]);
  });

  it('loads a baseline and names the file and case when it is malformed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-kit-exp-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ 'a/b/c': 'pass', 'a/b/d': { fail: 'upstream changed it' } }));
    expect(loadExpectations(good)['a/b/d']).toEqual({ fail: 'upstream changed it' });
    expect(loadExpectations(join(dir, 'absent.json'))).toEqual({});
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ 'a/b/c': { fial: 'typo' } }));
    expect(() => loadExpectations(bad)).toThrow(/bad\.json: case "a\/b\/c": expected "pass" or \{"fail": "reason"\}/);
    writeFileSync(bad, '{');
    expect(() => loadExpectations(bad)).toThrow(/bad\.json: not valid JSON/);
  });

  it('updates a baseline: new failures added, fixed cases dropped, old reasons and unrun cases kept', () => {
    const old = {
      'x/fixed': { fail: 'was broken' },
      'x/still': { fail: 'known reason' },
      'x/not-run': { fail: 'kept' },
    };
    const next = updatedExpectations(old, [
      record('x/fixed', 'unexpected-pass'),
      record('x/still', 'expected-fail'),
      record('x/new', 'fail'),
      record('x/skipped', 'skipped'),
    ]);
    expect(next).toEqual({
      'x/new': { fail: 'worker exit code: expected 0, got 1' },
      'x/not-run': { fail: 'kept' },
      'x/still': { fail: 'known reason' },
    });
  });
});
