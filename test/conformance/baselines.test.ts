// The generic-worker baselines are measurements, not predictions: every entry names a case the
// profile runs and explains the failure by the upstream file and function it comes from. CI has
// no generic-worker binary, so this is what keeps the baselines honest there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURES, loadCases } from '../../conformance/cases.ts';
import { loadExpectations } from '../../conformance/expectations.ts';
import { loadProfile } from '../../conformance/profiles.ts';

const cases = new Map(loadCases([DEFAULT_FIXTURES]).map((c) => [c.fixture.id, c.fixture]));

describe.each(['generic-worker', 'generic-worker-v11'])('baseline of %s', (name) => {
  const file = new URL(`../../conformance/expectations/${name}.json`, import.meta.url).pathname;
  const baseline = loadExpectations(file);
  const profile = loadProfile(name);

  it('exists and lists at least one measured divergence', () => {
    expect(readFileSync(file, 'utf8').length).toBeGreaterThan(0);
    expect(Object.keys(baseline).length).toBeGreaterThan(0);
  });

  it('names only cases the profile runs', () => {
    for (const id of Object.keys(baseline)) {
      const c = cases.get(id);
      expect(c, `${name}: baseline entry ${id} is not a case`).toBeDefined();
      expect(c?.generations, `${name}: ${id} is not a ${profile.generation} case`).toContain(profile.generation);
      const unsupported = (c?.requires ?? []).filter((t) => profile.unsupported?.includes(t));
      expect(unsupported, `${name}: ${id} is skipped (unsupported ${unsupported.join(', ')})`).toEqual([]);
    }
  });

  it('gives every failure a measured reason citing an upstream Go file and function', () => {
    for (const [id, v] of Object.entries(baseline)) {
      expect(v, id).not.toBe('pass');
      const reason = v === 'pass' ? '' : v.fail;
      expect(reason, `${name}: ${id}`).not.toMatch(/predicted|not yet measured/i);
      expect(reason, `${name}: ${id} cites no upstream .go file`).toMatch(/[\w/]+\.go\b/);
      // A Go function or method: `(*T).Name`, or an identifier with an inner capital (RunWorker, uploadArtifact).
      expect(reason, `${name}: ${id} names no function`).toMatch(
        /\(\*?\w+\)\.\w+|\b[a-z]*[a-z][A-Z]\w*|\b[A-Z][a-z]+[A-Z]\w*/,
      );
    }
  });
});
