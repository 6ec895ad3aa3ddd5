// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} placeholders are what these tests are about
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { matchesOnly, skipReason } from '../../conformance/cases.ts';
import { freePortBlock, releasePorts } from '../../conformance/ports.ts';
import { commandFor, expand, expandDeep, loadProfile, UsageError } from '../../conformance/profiles.ts';
import { caseConfig, caseSlug, scopeFault } from '../../conformance/plan.ts';
import { makeKeys, startOrder } from '../../conformance/runner.ts';
import type { FixtureCase, LoadedCase } from '../../conformance/types.ts';

const base: FixtureCase = { id: 'payload/command/x', description: 'x', statements: [] };

describe('runner units', () => {
  it('puts cases that declare timeoutSecs in a queue of their own, longest first; the rest keep fixture order', () => {
    const lc = (id: string, timeoutSecs?: number) =>
      ({ fixture: { id, ...(timeoutSecs ? { timeoutSecs } : {}) } }) as unknown as LoadedCase;
    const cases = [lc('a'), lc('b', 10), lc('c'), lc('d', 40), lc('e', 10), lc('f')];
    expect(startOrder(cases)).toEqual({ waiting: [3, 1, 4], ordinary: [0, 2, 5] });
  });

  it('derives a valid workerType per case: readable, unique, at most 38 characters', () => {
    const a = caseSlug('payload/max-run-time/exceeded-aborts--zero-seconds');
    const b = caseSlug('payload/max-run-time/exceeded-aborts--zero-second');
    expect(a).toMatch(/^[a-z]([-a-z0-9]{0,36}[a-z0-9])?$/);
    expect(a.length).toBeLessThanOrEqual(38);
    expect(a).toContain('zero-seconds');
    expect(a).not.toBe(b);
  });

  it('expands placeholders, environment defaults and port numbers', () => {
    const vars = { ROOT_URL: 'http://127.0.0.1:9', 'TASK_ID:dep': 'abc', KIT: '/kit', 'PORT:0': '40001' };
    expect(expand('${ROOT_URL}/x/${TASK_ID:dep}/${UNKNOWN}', vars)).toBe('http://127.0.0.1:9/x/abc/${UNKNOWN}');
    expect(expand('${env:TC_KIT_SURELY_UNSET_VAR|${KIT}/bin/gw}', vars, true)).toBe('/kit/bin/gw');
    // Fixtures never read the runner's environment, and shell parameter expansions stay as written.
    expect(expand('${env:HOME}', vars)).toBe('${env:HOME}');
    expect(expand('${ROOT_URL:-x} ${u%%/*} ${HOME:-/tmp} ${#ROOT_URL}', vars)).toBe(
      '${ROOT_URL:-x} ${u%%/*} ${HOME:-/tmp} ${#ROOT_URL}',
    );
    expect(expandDeep({ a: ['${ROOT_URL}'], port: '${PORT:0}', n: 3 }, vars)).toEqual({
      a: ['http://127.0.0.1:9'],
      port: 40001,
      n: 3,
    });
  });

  it('builds the worker config: template, runner defaults, then case overrides (null removes)', () => {
    const profile = loadProfile('reference');
    const f: FixtureCase = {
      ...base,
      setup: { config: { idleTimeoutSecs: 2, clientId: null, rootURL: '${ROOT_URL}/' } },
    };
    const config = caseConfig(profile, f, { ROOT_URL: 'http://127.0.0.1:9', CLIENT_ID: 'c', 'PORT:0': '40001' }, 1);
    expect(config.numberOfTasksToRun).toBe(1);
    expect(config.idleTimeoutSecs).toBe(2);
    expect(config).not.toHaveProperty('clientId');
    expect(config.rootURL).toBe('http://127.0.0.1:9/');
    expect(config.livelogGETPort).toBe(40001);
  });

  it("puts the worker into the mode a requires-tag names with the profile's configForRequires", () => {
    const profile = loadProfile('reference');
    expect(caseConfig(profile, base, {}, 1).runTasksAsCurrentUser).toBe(true);
    expect(caseConfig(profile, { ...base, requires: ['os-users'] }, {}, 1).runTasksAsCurrentUser).toBe(false);
    const over = { ...base, requires: ['os-users'], setup: { config: { runTasksAsCurrentUser: null } } };
    expect(caseConfig(profile, over, {}, 1)).not.toHaveProperty('runTasksAsCurrentUser');
  });

  it('starts a CLI case with the profile program and the case arguments', () => {
    const profile = loadProfile('reference');
    const vars = { NODE: process.execPath, KIT: '/kit', CONFIG: '/c.json' };
    expect(commandFor(profile, vars)).toEqual([
      process.execPath,
      '/kit/bin/tc-worker.js',
      'run',
      '--config',
      '/c.json',
    ]);
    expect(commandFor(profile, vars, ['--version'])).toEqual([process.execPath, '/kit/bin/tc-worker.js', '--version']);
    const gw = loadProfile('generic-worker');
    expect(() => commandFor(gw, { KIT: '/no/such/kit', CONFIG: '/c.json' })).toThrow(UsageError);
  });

  it('confines faults to the case: by path on its slug and tasks, cancel rules per task', () => {
    expect(scopeFault({ route: 'reclaimTask', status: 409 }, 'k1-slug', ['T1', 'T2'])).toEqual([
      { route: 'reclaimTask', status: 409, path: '(?:k1-slug|T1|T2)' },
    ]);
    const [withPath] = scopeFault({ path: '/claim-work/', status: 500 }, 'k1-slug', ['T1']) as [{ path: string }];
    const re = new RegExp(withPath.path);
    expect(re.test('/api/queue/v1/claim-work/tc-kit%2Fk1-slug')).toBe(true);
    expect(re.test('/api/queue/v1/claim-work/tc-kit%2Fother')).toBe(false);
    expect(re.test('/api/queue/v1/task/T1/status')).toBe(false);
    expect(scopeFault({ cancelAfterSeconds: 1 }, 's', ['T1', 'T2'])).toEqual([
      { cancelAfterSeconds: 1, taskId: 'T1' },
      { cancelAfterSeconds: 1, taskId: 'T2' },
    ]);
    expect(scopeFault({ taskId: 'X', status: 500 }, 's', ['T1'])).toEqual([{ taskId: 'X', status: 500 }]);
  });

  it('skips cases by platform, generation, requirement and profile, saying why', () => {
    const ref = loadProfile('reference');
    const gw = loadProfile('generic-worker');
    expect(skipReason({ ...base, platforms: ['windows'] }, ref)).toMatch(/^platform linux not in windows$/);
    expect(skipReason({ ...base, generations: ['v11'] }, ref)).toBe('not for generation current (only v11)');
    expect(skipReason({ ...base, requires: ['taskcluster-proxy'] }, gw)).toBe(
      'worker generic-worker does not support "taskcluster-proxy"',
    );
    expect(skipReason({ ...base, requires: ['cli-args', 'taskcluster-proxy'] }, ref)).toBeUndefined();
    expect(skipReason({ ...base, requires: ['short-claims'] }, ref)).toBeUndefined();
    expect(skipReason({ ...base, requires: ['short-claims'] }, gw)).toBe(
      'worker generic-worker does not support "short-claims"',
    );
    expect(skipReason({ ...base, requires: ['teleport'] }, ref)).toContain('"teleport"');
  });

  it('gives v11 workers an armored RSA 4096 OpenPGP key (11.0.1 cannot read EdDSA), current ones ed25519', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-kit-keys-'));
    try {
      const v11 = await makeKeys(dir, 'v11');
      const armored = readFileSync(v11.openpgp, 'utf8');
      expect(armored).toMatch(/^-----BEGIN PGP PRIVATE KEY BLOCK-----/);
      const rsa = await openpgp.readPrivateKey({ armoredKey: armored });
      // Version 4 keys: golang.org/x/crypto/openpgp of 2018 reads no other version.
      expect(rsa.keyPacket.version).toBe(4);
      expect(rsa.getAlgorithmInfo()).toEqual({ algorithm: 'rsaEncryptSign', bits: 4096 });
      const current = await makeKeys(dir, 'current');
      const ecc = await openpgp.readPrivateKey({ armoredKey: readFileSync(current.openpgp, 'utf8') });
      expect(ecc.getAlgorithmInfo().algorithm).toBe('eddsaLegacy');
      expect(Buffer.from(readFileSync(current.ed25519, 'utf8'), 'base64')).toHaveLength(32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands the leak checks the private key material it made, never a line of the public key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-kit-keys-'));
    try {
      for (const generation of ['v11', 'current'] as const) {
        const keys = await makeKeys(dir, generation);
        const values = keys.secrets.map((s) => s.value);
        expect(values).toContain(readFileSync(keys.ed25519, 'utf8'));
        const armored = readFileSync(keys.openpgp, 'utf8');
        const pgpLines = keys.secrets.filter((s) => s.what === 'the OpenPGP private key').map((s) => s.value);
        expect(pgpLines.length).toBeGreaterThan(5);
        for (const l of pgpLines) expect(armored.split('\n')).toContain(l);
        const publicArmor = (await openpgp.readPrivateKey({ armoredKey: armored })).toPublic().armor();
        for (const l of pgpLines) expect(publicArmor).not.toContain(l);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('selects cases by substring or glob', () => {
    expect(matchesOnly('payload/command/exit-on-fail', [])).toBe(true);
    expect(matchesOnly('payload/command/exit-on-fail', ['command/'])).toBe(true);
    expect(matchesOnly('payload/command/exit-on-fail', ['payload/*/exit-*'])).toBe(true);
    expect(matchesOnly('payload/command/exit-on-fail', ['worker/*'])).toBe(false);
  });

  it('hands each case a block of consecutive free loopback ports, never the same twice at once', async () => {
    const a = await freePortBlock(4);
    const b = await freePortBlock(4);
    expect(a).toEqual([a[0], a[0] + 1, a[0] + 2, a[0] + 3]);
    expect(a[0]).toBeLessThan(32768);
    expect(b.some((p) => a.includes(p))).toBe(false);
    releasePorts(a);
    releasePorts(b);
  });
});
