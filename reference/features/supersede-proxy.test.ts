import { describe, expect, it } from 'vitest';
import { supersedeFeature, supersedingTask } from './supersede.ts';
import { hawkHeader, upstreamUrl } from './taskcluster-proxy.ts';

describe('supersedingTask', () => {
  it('is the first listed task unless that is this task or the list is empty', () => {
    expect(supersedingTask({ supersedes: ['B', 'A'] }, 'A')).toBe('B');
    expect(supersedingTask({ supersedes: ['A', 'B'] }, 'A')).toBeUndefined();
    expect(supersedingTask({ supersedes: [] }, 'A')).toBeUndefined();
    expect(() => supersedingTask({ supersedes: 'B' }, 'A')).toThrow(/expected \{"supersedes"/);
    expect(() => supersedingTask([1], 'A')).toThrow();
  });

  it('is only asked with config enableSupersede (current generic-worker ignores supersederUrl)', () => {
    const ctx = (enableSupersede?: boolean) =>
      ({ config: { enableSupersede }, payload: { supersederUrl: 'http://127.0.0.1:1/s' } }) as any;
    expect(supersedeFeature.requested(ctx(true))).toBe(true);
    expect(supersedeFeature.requested(ctx(false))).toBe(false);
    expect(supersedeFeature.requested(ctx(undefined))).toBe(false);
  });
});

describe('taskcluster proxy helpers', () => {
  it('maps proxy paths to <rootUrl>/api/<service>/<version>/...', () => {
    expect(upstreamUrl('http://tc/', '/queue/v1/task/X?a=1')).toBe('http://tc/api/queue/v1/task/X?a=1');
    expect(upstreamUrl('http://tc', '/api/queue/v1/ping')).toBe('http://tc/api/queue/v1/ping');
    expect(upstreamUrl('http://tc', '/queue')).toBeUndefined();
  });

  it('signs with ext carrying authorizedScopes and the parsed certificate', () => {
    const cert = { version: 1, scopes: ['a'], start: 1, expiry: 2, seed: 's', signature: 'x' };
    const header = hawkHeader(
      'http://tc/api/queue/v1/ping',
      'GET',
      { clientId: 'task-client/T/0/on/g/w/until/1', accessToken: 'secret', certificate: JSON.stringify(cert) },
      ['queue:get-artifact:private/x'],
    );
    expect(header).toMatch(
      /^Hawk id="task-client\/T\/0\/on\/g\/w\/until\/1", ts="\d+", nonce="[^"]+", ext="[^"]+", mac="[^"]+"$/,
    );
    const ext = JSON.parse(Buffer.from(/ext="([^"]+)"/.exec(header)![1]!, 'base64').toString());
    expect(ext).toEqual({ authorizedScopes: ['queue:get-artifact:private/x'], certificate: cert });
  });
});

describe('enable* config switches (current generic-worker)', () => {
  it('disable mounts, the proxy and chain of trust with a reason quoted in malformed-payload', async () => {
    const { mountsFeature } = await import('./mounts.ts');
    const { taskclusterProxyFeature } = await import('./taskcluster-proxy.ts');
    const { chainOfTrustFeature } = await import('./chain-of-trust.ts');
    const cfg = (extra: object) => ({ ed25519SigningKeyLocation: '/k', ...extra }) as any;
    expect(mountsFeature.enabled(cfg({}))).toBe(true);
    expect(mountsFeature.enabled(cfg({ enableMounts: false }))).toBe('config enableMounts is false');
    expect(taskclusterProxyFeature.enabled(cfg({}))).toBe(true);
    expect(taskclusterProxyFeature.enabled(cfg({ enableTaskclusterProxy: false }))).toMatch(/enableTaskclusterProxy/);
    expect(chainOfTrustFeature.enabled(cfg({}))).toBe(true);
    expect(chainOfTrustFeature.enabled(cfg({ enableChainOfTrust: false }))).toMatch(/enableChainOfTrust/);
    expect(chainOfTrustFeature.enabled({} as any)).toMatch(/neither signingKeyLocation nor ed25519SigningKeyLocation/);
  });
});

describe('taskcluster proxy feature (loopback, fake context)', () => {
  it('answers 502 when the deployment is unreachable, 400 for a bad /bewit body, 404 off-API, and stops', async () => {
    const { taskclusterProxyFeature } = await import('./taskcluster-proxy.ts');
    const lines: string[] = [];
    const ctx = {
      config: { rootUrl: 'http://127.0.0.1:9', taskclusterProxyPort: 0 },
      task: { scopes: [] },
      env: {} as Record<string, string>,
      log: { info: (m: string) => lines.push(m) },
      credentials: { credentials: { clientId: 'c', accessToken: 'a' }, replace() {} },
    } as any;
    const tf = taskclusterProxyFeature.forTask(ctx);
    await tf.start();
    try {
      const base = ctx.env.TASKCLUSTER_PROXY_URL as string;
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const down = await fetch(`${base}/queue/v1/ping`);
      expect(down.status).toBe(502);
      expect(await down.text()).toMatch(/upstream request failed/);
      const bad = await fetch(`${base}/bewit`, { method: 'POST', body: 'not a url' });
      expect(bad.status).toBe(400);
      expect((await fetch(`${base}/`)).status).toBe(404);
      ctx.credentials.replace({ clientId: 'new-client', accessToken: 'b' });
      expect(lines.at(-1)).toBe('[taskcluster-proxy] Successfully refreshed taskcluster-proxy credentials: new-client');
    } finally {
      await tf.stop({ resolution: 'completed', aborted: false });
    }
    await expect(fetch(`${ctx.env.TASKCLUSTER_PROXY_URL}/queue/v1/ping`)).rejects.toThrow();
  });
});
