// capacity in the config (generic-worker v106 gwconfig ValidatePortConfiguration, multiuser.go): the
// per-slot port ranges and the task-user rule are checked at load, exit 73 naming the property.
import { describe, expect, it } from 'vitest';
import { liveLogPort, proxyPort, validateConfig } from './config.ts';
import { exitOf, minimalConfig } from './config-test-support.ts';

const minimal = { ...minimalConfig, runTasksAsCurrentUser: true };

function refusal(extra: Record<string, unknown>): string {
  const { code, message } = exitOf(() => validateConfig({ ...minimal, ...extra }, 'linux', 'f.json'));
  expect(code).toBe(73);
  return message;
}

describe('capacity config', () => {
  it('defaults to 1 and refuses 0', () => {
    expect(validateConfig(minimal, 'linux').capacity).toBe(1);
    expect(refusal({ capacity: 0 })).toContain("config property 'capacity'");
  });

  it('refuses per-slot ranges that overlap, naming both', () => {
    const m = refusal({ capacity: 3, livelogPortBase: 40000, taskclusterProxyPort: 40004 });
    expect(m).toContain('livelogPortBase [40000-40009] overlaps with taskclusterProxyPort [40004-40012]');
  });

  it('refuses ranges past 65535', () => {
    expect(refusal({ capacity: 4, livelogPortBase: 65530 })).toContain('65530-65543');
  });

  it('checks the bare ports at capacity 1 and accepts bases 4 apart', () => {
    expect(refusal({ livelogGETPort: 5000, taskclusterProxyPort: 5000 })).toContain('overlap');
    const cfg = validateConfig(
      { ...minimal, capacity: 1, livelogPortBase: 40000, taskclusterProxyPort: 40004 },
      'linux',
    );
    expect(liveLogPort(cfg)).toBe(40001);
    expect(proxyPort(cfg, 0)).toBe(40004);
  });

  it('gives slot N the proxy port base + 4N', () => {
    const cfg = validateConfig({ ...minimal, capacity: 3, taskclusterProxyPort: 50000 }, 'linux');
    expect([0, 1, 2].map((s) => proxyPort(cfg, s))).toEqual([50000, 50004, 50008]);
  });

  it('needs headlessTasks for several task users at once', () => {
    expect(refusal({ capacity: 2, runTasksAsCurrentUser: false })).toContain('headlessTasks');
    expect(
      validateConfig({ ...minimal, capacity: 2, runTasksAsCurrentUser: false, headlessTasks: true }, 'linux').capacity,
    ).toBe(2);
  });
});
