import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskLog } from '../task-log.ts';
import { createLiveLogFeature, LiveLogServer, listenAddress } from './live-log.ts';

/**
 * A throwaway self-signed EC certificate made with the openssl binary, or null when this openssl
 * cannot (absent, or a LibreSSL/Windows build without these options or a config file).
 */
function makeCertificate(): { certFile: string; keyFile: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'livelog-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore', timeout: 30_000 },
    );
    return { certFile, keyFile };
  } catch {
    return null;
  }
}
function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const opensslPresent = hasOpenssl();
const certificate = opensslPresent ? makeCertificate() : null;
// On Linux an openssl that cannot make the certificate is a failure; elsewhere (LibreSSL on macOS,
// Windows builds without a config file) it only means the check cannot run there.
const noCertificate = !opensslPresent || (certificate === null && process.platform !== 'linux');

/** Reads the live log: resolves with everything once the server ends the response. */
function follow(url: string, onFirstData: () => void): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    get(url, { rejectUnauthorized: false }, (res) => {
      let body = '';
      let first = true;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        if (first) {
          first = false;
          onFirstData();
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

async function serveOnce(tls?: { certFile: string; keyFile: string }) {
  const dir = mkdtempSync(join(tmpdir(), 'livelog-'));
  const log = new TaskLog(join(dir, 'live_backing.log'));
  const server = new LiveLogServer();
  await server.listen('127.0.0.1', 0, tls);
  server.add('tok', log);
  log.write('before-connect\n');
  const got = follow(`${server.scheme}://127.0.0.1:${server.port}/log/tok`, () => {
    log.write('while-connected\n');
    log.close();
  });
  const res = await got;
  const missing = await new Promise<number>((resolve) =>
    httpGet(`http://127.0.0.1:${server.port}/log/other`, (r) => resolve(r.statusCode ?? 0)).on('error', () =>
      resolve(-1),
    ),
  );
  server.close();
  return { res, missing };
}

/** The HTTP status of a GET, or -1 when the connection is refused. */
const statusOf = (url: string) =>
  new Promise<number>((resolve) =>
    httpGet(url, (r) => {
      r.resume();
      resolve(r.statusCode ?? 0);
    }).on('error', () => resolve(-1)),
  );

describe('where the live log server listens', () => {
  it('livelogListenAddress when given; every interface with publicIP (as v106); loopback otherwise', () => {
    expect(listenAddress({ publicIP: '203.0.113.7', livelogListenAddress: '10.0.0.5' })).toBe('10.0.0.5');
    expect(listenAddress({ publicIP: '203.0.113.7' })).toBe('0.0.0.0');
    expect(listenAddress({})).toBe('127.0.0.1');
  });

  // 127.0.0.2 is a loopback address on Linux (all of 127/8); macOS and Windows have only 127.0.0.1.
  it.skipIf(process.platform !== 'linux')(
    'a task binds only the address the operator gives when publicIP is set, and publishes that address',
    async () => {
      const feature = createLiveLogFeature();
      const cfg = { publicIP: '127.0.0.2', livelogListenAddress: '127.0.0.2', livelogGETPort: 0 } as never;
      await feature.initialise!(cfg);
      const dir = mkdtempSync(join(tmpdir(), 'livelog-'));
      const published: string[] = [];
      const ctx = {
        payload: { maxRunTime: 60, features: { backingLog: false } },
        task: { expires: new Date(Date.now() + 3_600_000).toISOString() },
        log: new TaskLog(join(dir, 'live_backing.log')),
        uploader: { reference: async (_name: string, url: string) => void published.push(url) },
      };
      const task = feature.forTask(ctx as never);
      await task.start();
      const port = Number(new URL(published[0]!).port);
      try {
        expect(published[0]).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/log\/[A-Za-z0-9_-]{24}$/);
        expect(await statusOf(`http://127.0.0.2:${port}/log/none`)).toBe(404);
        expect(await statusOf(`http://127.0.0.1:${port}/log/none`)).toBe(-1);
      } finally {
        await task.stop({ resolution: 'completed', aborted: false });
      }
      // The task's stop is the server's end: it listens only while a task serves its log.
      expect(await statusOf(`http://127.0.0.2:${port}/log/none`)).toBe(-1);
    },
  );
});

describe('live log server', () => {
  it('streams what was written before and after the reader connected, and ends when the log closes', async () => {
    const { res, missing } = await serveOnce();
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('before-connect\nwhile-connected\n');
    expect(missing).toBe(404);
  });

  it('ends a reader when the task stops serving the log, before the log itself closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'livelog-'));
    const log = new TaskLog(join(dir, 'live_backing.log'));
    const server = new LiveLogServer();
    await server.open('127.0.0.1', 0);
    server.add('tok', log);
    log.write('served\n');
    const got = follow(`http://127.0.0.1:${server.port}/log/tok`, () => {
      server.remove('tok');
      log.write('after-stop\n');
    });
    const res = await got;
    expect(res.body).toBe('served\n');
    expect(log.closed).toBe(false);
    expect(await statusOf(`http://127.0.0.1:${server.port}/log/tok`)).toBe(404);
    server.release();
    log.close();
  });

  it('listens while any task holds it: two opens, one listen; closed after the last release', async () => {
    const server = new LiveLogServer();
    await Promise.all([server.open('127.0.0.1', 0), server.open('127.0.0.1', 0)]);
    const port = server.port;
    server.release();
    expect(await statusOf(`http://127.0.0.1:${port}/log/none`)).toBe(404);
    server.release();
    expect(await statusOf(`http://127.0.0.1:${port}/log/none`)).toBe(-1);
  });

  it('a port it cannot listen on rejects open, and a later open tries again', async () => {
    const taken = new LiveLogServer();
    await taken.open('127.0.0.1', 0);
    const server = new LiveLogServer();
    await expect(server.open('127.0.0.1', taken.port)).rejects.toThrow(/EADDRINUSE/);
    const port = taken.port;
    taken.release();
    await server.open('127.0.0.1', port);
    expect(await statusOf(`http://127.0.0.1:${port}/log/none`)).toBe(404);
    server.release();
  });

  // Needs the openssl binary to make a throwaway certificate.
  it.skipIf(noCertificate)('serves https with livelogCertificate/livelogKey', async () => {
    expect(certificate, 'openssl req could not make a self-signed certificate').not.toBeNull();
    const { certFile, keyFile } = certificate!;
    const server = new LiveLogServer();
    await server.listen('127.0.0.1', 0, { certFile, keyFile });
    expect(server.scheme).toBe('https');
    server.close();
    const { res } = await serveOnce({ certFile, keyFile });
    expect(res.body).toBe('before-connect\nwhile-connected\n');
  });
});
