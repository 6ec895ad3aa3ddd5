import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configProperties, deriveRootUrl, loadConfig, redactConfig, validateConfig } from './config.ts';
import { exitOf, minimalConfig as minimal } from './config-test-support.ts';

describe('config', () => {
  it('fills schema defaults and derives the root URL', () => {
    const cfg = validateConfig(minimal, 'linux');
    expect(cfg.provisionerId).toBe('test-provisioner');
    expect(cfg.workerGroup).toBe('test-worker-group');
    expect(cfg.cleanUpTaskDirs).toBe(true);
    expect(cfg.livelogGETPort).toBe(60023);
    expect(cfg.runTasksAsCurrentUser).toBe(true);
    expect(validateConfig(minimal, 'windows').runTasksAsCurrentUser).toBe(false);
    expect(cfg.rootUrl).toBe('http://127.0.0.1:1');
  });

  it('derives rootUrl from a generic-worker 11 queueBaseURL', () => {
    expect(deriveRootUrl({ queueBaseURL: 'https://tc.example.com/api/queue/v1/' })).toBe('https://tc.example.com');
    expect(deriveRootUrl({ queueBaseURL: 'https://queue.taskcluster.net/v1' })).toBe('https://taskcluster.net');
    expect(exitOf(() => deriveRootUrl({ queueBaseURL: 'https://example.com/queue' })).code).toBe(73);
  });

  it.each([
    [{ ...minimal, clientId: undefined }, 'clientId'],
    [{ ...minimal, idleTimeoutSecs: 'ten' }, 'idleTimeoutSecs'],
    [{ ...minimal, cleanUpTaskDirs: 'true' }, 'cleanUpTaskDirs'],
    [{ ...minimal, surprise: 1 }, 'surprise'],
    [{ ...minimal, rootURL: undefined }, 'rootURL'],
  ])('exits 73 naming the property (%#)', (raw, prop) => {
    const { code, message } = exitOf(() => validateConfig(JSON.parse(JSON.stringify(raw)), 'linux', 'f.json'));
    expect(code).toBe(73);
    expect(message).toContain(`'${prop}'`);
  });

  it('exits 64 for a missing file or invalid JSON, 73 for a non-object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    expect(exitOf(() => loadConfig(join(dir, 'nope.json'), 'linux')).code).toBe(64);
    writeFileSync(join(dir, 'bad.json'), '{"clientId": ');
    expect(exitOf(() => loadConfig(join(dir, 'bad.json'), 'linux')).code).toBe(64);
    writeFileSync(join(dir, 'arr.json'), '[]');
    expect(exitOf(() => loadConfig(join(dir, 'arr.json'), 'linux')).code).toBe(73);
  });

  it('never shows secrets', () => {
    const shown = JSON.stringify(redactConfig(validateConfig({ ...minimal, livelogSecret: 'hush' }, 'linux')));
    expect(shown).not.toContain('sekrit');
    expect(shown).not.toContain('hush');
    expect(
      configProperties()
        .filter((p) => p.secret)
        .map((p) => p.name),
    ).toEqual(['accessToken', 'livelogSecret']);
  });
});
