// The built-in profiles can judge the workers they name, checked without the workers' binaries:
// no switch that makes the worker refuse every task, and only config keys the real worker knows,
// in the template and in every case that runs with the profile (v106 exits 64 on an unknown key).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURES, loadCases, REQUIREMENTS } from '../../conformance/cases.ts';
import { BUILT_IN_PROFILES, loadProfile, REQUESTED_BY_DEFAULT, UsageError } from '../../conformance/profiles.ts';
import { caseConfig } from '../../conformance/plan.ts';
import type { FixtureCase, Profile } from '../../conformance/types.ts';
import { vocabulary } from '../../spec/index.ts';

const KEYS: Record<string, { keys: string[] }> = JSON.parse(
  readFileSync(new URL('./data/generic-worker-config-keys.json', import.meta.url), 'utf8'),
);
const cases = loadCases([DEFAULT_FIXTURES]).map((c) => c.fixture);

/** Cases the profile runs somewhere (any platform, any machine): its generation, no unsupported tag. */
function casesFor(profile: Profile): FixtureCase[] {
  return cases.filter(
    (c) =>
      (c.generations ?? []).includes(profile.generation) &&
      !(c.requires ?? []).some((t) => profile.unsupported?.includes(t)),
  );
}

function writeProfile(over: Record<string, unknown>): string {
  const base = JSON.parse(
    readFileSync(new URL('../../conformance/profiles/generic-worker.json', import.meta.url), 'utf8'),
  );
  const file = join(mkdtempSync(join(tmpdir(), 'tc-kit-profile-')), 'p.json');
  writeFileSync(file, JSON.stringify({ ...base, configTemplate: { ...base.configTemplate, ...over } }));
  return file;
}

describe('built-in profiles', () => {
  it('load, and name only requires-tags of the vocabulary', () => {
    for (const name of BUILT_IN_PROFILES) {
      const p = loadProfile(name);
      for (const tag of [...(p.unsupported ?? []), ...Object.keys(p.configForRequires ?? {})])
        expect(Object.keys(vocabulary.requires), `${name}: tag ${tag}`).toContain(tag);
    }
  });

  it('refuse a profile naming a tag outside the vocabulary, which would skip nothing', () => {
    const file = writeProfile({});
    const data = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...data, unsupported: ['taskcluster-proxy', 'teleport'] }));
    expect(() => loadProfile(file)).toThrow(
      /\/unsupported\/1: "teleport" is not one of .* \(spec\/vocabulary.json requires-tags\)/,
    );
    writeFileSync(file, JSON.stringify({ ...data, configForRequires: { sandbox: { headlessTasks: true } } }));
    expect(() => loadProfile(file)).toThrow(
      /\/configForRequires\/sandbox: "sandbox" is not one of .* \(spec\/vocabulary.json requires-tags\)/,
    );
  });

  it('the runner knows how to meet exactly the vocabulary requires-tags', () => {
    expect(Object.keys(REQUIREMENTS).sort()).toEqual(Object.keys(vocabulary.requires).sort());
  });

  it('refuse a current-generation profile that switches off a feature every task requests', () => {
    // The generic-worker profile as first shipped: v106 refused every task "… not enabled on this worker pool".
    for (const key of ['enableLiveLog', 'enableResourceMonitor', 'enableMetadata']) {
      expect(() => loadProfile(writeProfile({ [key]: false }))).toThrow(UsageError);
      expect(() => loadProfile(writeProfile({ [key]: false }))).toThrow(new RegExp(`configTemplate\\.${key}`));
    }
    for (const name of BUILT_IN_PROFILES) {
      const t = loadProfile(name).configTemplate;
      for (const key of Object.keys(REQUESTED_BY_DEFAULT)) expect(t[key], `${name}.${key}`).not.toBe(false);
    }
  });

  for (const name of ['generic-worker', 'generic-worker-v11'] as const) {
    it(`${name}: the template and every case it runs use only config keys the real worker has`, () => {
      const profile = loadProfile(name);
      // Go's encoding/json matches keys to fields case-insensitively (worker-runner writes `instanceID` for
      // v106's `instanceId`), so case does not make a key unknown.
      const known = new Set(KEYS[name]!.keys.map((k) => k.toLowerCase()));
      const has = (k: string) => known.has(k.toLowerCase());
      const problems: string[] = [];
      for (const k of Object.keys(profile.configTemplate)) if (!has(k)) problems.push(`template: ${k}`);
      for (const c of casesFor(profile)) {
        // worker/config/unknown-key sets an unknown key on purpose.
        if (c.statements.includes('worker.config.unknown-key')) continue;
        const config = caseConfig(profile, c, {}, 1);
        for (const k of Object.keys(config)) if (!has(k)) problems.push(`${c.id}: ${k}`);
      }
      expect(problems).toEqual([]);
    });
  }
});
