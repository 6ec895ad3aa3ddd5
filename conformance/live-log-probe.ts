// setup.liveLog: read a task's live log *while it runs*, as a person watching the task would. The
// probe watches the case's trace for the worker's createArtifact of the main task's live log as a
// `reference` artifact, GETs that URL (loopback only: the kit talks to nothing else) and streams
// the body. Once `until` has arrived it creates ${WORK_DIR}/<touch>, so a task can wait for that
// file and finish only after its log was seen live: a worker that serves nothing until the task
// ends cannot pass, whatever its timing.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObservedLiveLog } from '../spec/types.ts';
import type { TraceEntry } from './types.ts';

export interface LiveLogSetup {
  /** Text whose arrival through the live log URL counts as "seen". */
  until: string;
  /** A file name in the case's work directory, created once `until` was seen. */
  touch?: string;
}

const MAX_TEXT = 1024 * 1024;
const POLL_MS = 100;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The IPv4 address a stateless-DNS host name stands for, when its signature verifies with the
 * worker's livelogSecret. 11.0.1 names its live log server `<label>.<subdomain>` (livelog.go
 * (*LiveLogTask).uploadLiveLog, stateless-dns-go hostname.New): label = base32(ip[4] ‖ expires[8] ‖
 * salt[2] ‖ HMAC-SHA256(secret, those 14 bytes)[:16]). The public stateless DNS server resolves it
 * to `ip`; the kit reaches no DNS server, so it decodes the name as that server does.
 */
export function statelessDnsAddress(host: string, secret: string | undefined): string | undefined {
  if (!secret) return undefined;
  const label = host.split('.')[0]?.toUpperCase() ?? '';
  if (label.length !== 48 || host.split('.').length < 3) return undefined;
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of label) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const buf = Buffer.from(bytes);
  if (buf.length !== 30) return undefined;
  const mac = createHmac('sha256', secret).update(buf.subarray(0, 14)).digest().subarray(0, 16);
  if (!timingSafeEqual(mac, buf.subarray(14))) return undefined;
  return `${buf[0]}.${buf[1]}.${buf[2]}.${buf[3]}`;
}

function artifactName(e: TraceEntry): string {
  const m = /\/artifacts\/(.+)$/.exec(e.path.split('?')[0] ?? '');
  if (!m) return '';
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1]!;
  }
}

export class LiveLogProbe {
  private readonly setup: LiveLogSetup;
  private readonly workDir: string;
  private readonly name: string;
  private readonly taskId: string;
  private readonly trace: () => TraceEntry[];
  private readonly statelessDnsSecret: string | undefined;
  private readonly result: ObservedLiveLog = { text: '' };
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(opts: {
    setup: LiveLogSetup;
    workDir: string;
    taskId: string;
    /** The live log's artifact name (payload.logs.live, default public/logs/live.log). */
    name: string;
    trace: () => TraceEntry[];
    /** The worker's livelogSecret (v11 config), which signs its stateless-DNS host names. */
    statelessDnsSecret?: string;
  }) {
    this.setup = opts.setup;
    this.workDir = opts.workDir;
    this.taskId = opts.taskId;
    this.name = opts.name;
    this.trace = opts.trace;
    this.statelessDnsSecret = opts.statelessDnsSecret;
  }

  start(): void {
    this.timer = setInterval(() => this.look(), POLL_MS);
  }

  private look(): void {
    if (this.reading) return;
    const made = this.trace().find(
      (e) =>
        e.route === 'createArtifact' &&
        e.status >= 200 &&
        e.status < 300 &&
        e.taskId === this.taskId &&
        artifactName(e) === this.name &&
        (e.request.body as any)?.storageType === 'reference',
    );
    if (!made) return;
    clearInterval(this.timer);
    const url = String((made.request.body as any).url ?? '');
    this.result.url = url;
    this.reading = this.read(url);
  }

  private async read(url: string): Promise<void> {
    let host = '';
    let target = url;
    try {
      const u = new URL(url);
      host = u.hostname;
      const ip = statelessDnsAddress(host, this.statelessDnsSecret);
      if (ip) {
        u.hostname = ip;
        host = ip;
        target = u.toString();
      }
    } catch {
      this.result.error = `live log URL ${JSON.stringify(url)} is not a URL`;
      return;
    }
    if (!LOOPBACK.has(host)) {
      this.result.error = `live log URL ${url} is not on loopback; the kit does not fetch it`;
      return;
    }
    try {
      const res = await fetch(target, { signal: this.abort.signal });
      this.result.status = res.status;
      if (!res.ok || !res.body) {
        this.result.error = `GET ${url} answered ${res.status}`;
        return;
      }
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (this.result.text.length < MAX_TEXT) this.result.text += decoder.decode(value, { stream: true });
        if (this.result.seenAt === undefined && this.result.text.includes(this.setup.until)) {
          this.result.seenAt = new Date().toISOString();
          if (this.setup.touch) writeFileSync(join(this.workDir, this.setup.touch), `${this.result.seenAt}\n`);
        }
      }
      this.result.endedAt = new Date().toISOString();
    } catch (e) {
      if (!this.abort.signal.aborted) this.result.error = `GET ${url}: ${(e as Error).message}`;
    }
  }

  /** After the worker exited: stop reading and say what was seen. */
  async finish(): Promise<ObservedLiveLog> {
    clearInterval(this.timer);
    this.look(); // the artifact may have been made in the last poll interval
    this.abort.abort();
    await this.reading;
    if (!this.result.url && !this.result.error)
      this.result.error = `the worker created no reference artifact ${this.name} for the task`;
    return this.result;
  }
}
