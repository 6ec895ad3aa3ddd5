// Hawk authentication and temporary credentials the way the Taskcluster auth service validates them
// (services/auth/src/signaturevalidator.js). The MAC itself is hawk@9's; only the certificate rules are ours.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import hawkModule from 'hawk';
import { createTemporaryCredentials } from 'taskcluster-client';
import { ApiError } from './errors.ts';
import { satisfies } from './scopes.ts';

export interface Client {
  clientId: string;
  accessToken: string;
  scopes: string[];
}

export interface Credentials {
  clientId: string;
  accessToken: string;
  certificate: string;
}

/** Who made a request: clientId null means no Authorization header (anonymous). */
export interface Caller {
  clientId: string | null;
  scopes: string[];
}

interface HawkServer {
  authenticate(
    req: { method: string; url: string; headers: Record<string, string> },
    credentialsFunc: (id: string) => Promise<{ key: string; algorithm: string } | undefined>,
    options: { host: string; port: number; payload?: string },
  ): Promise<{ credentials: unknown; artifacts: { ext?: string } }>;
  authenticateBewit(
    req: { method: string; url: string; headers: Record<string, string> },
    credentialsFunc: (id: string) => Promise<{ key: string; algorithm: string } | undefined>,
    options: { host: string; port: number },
  ): Promise<{ credentials: unknown; attributes: { ext?: string } }>;
}
interface HawkUtils {
  parseAuthorizationHeader(header: string): { id: string; ext?: string; hash?: string };
}
const Hawk = hawkModule as unknown as { server: HawkServer; utils: HawkUtils };

const FIVE_MIN = 5 * 60 * 1000;
const MAX_SPAN = 31 * 24 * 60 * 60 * 1000;
export const QUEUE_ISSUER = 'static/taskcluster/queue';

/** What an anonymous caller holds; a community deployment's `anonymous` role grants about this much. */
export const DEFAULT_ANONYMOUS_SCOPES = ['queue:get-artifact:public/*'];

export interface AuthOptions {
  clients: Client[];
  now: () => number;
  anonymousScopes?: string[];
}

interface Ext {
  certificate?: Record<string, unknown>;
  authorizedScopes?: unknown;
}

export class Auth {
  readonly clients = new Map<string, Client>();
  readonly issuer: Client;
  private readonly now: () => number;
  private readonly anonymousScopes: string[];

  constructor(opts: AuthOptions) {
    for (const c of opts.clients) this.clients.set(c.clientId, c);
    this.now = opts.now;
    this.anonymousScopes = opts.anonymousScopes ?? DEFAULT_ANONYMOUS_SCOPES;
    // The queue's own static client signs per-run certificates, as in a real deployment.
    this.issuer = { clientId: QUEUE_ISSUER, accessToken: randomBytes(33).toString('base64url'), scopes: ['*'] };
    this.clients.set(QUEUE_ISSUER, this.issuer);
  }

  /**
   * Mint temporary credentials signed by the queue's own client: named (task-creds.js, per run) or,
   * with clientId null, unnamed like the object upload/download credentials of services/queue/src/artifacts.js.
   */
  issue(clientId: string | null, scopes: string[], start: number, expiry: number): Credentials {
    return createTemporaryCredentials({
      ...(clientId ? { clientId } : {}),
      start: new Date(start),
      expiry: new Date(expiry),
      scopes,
      credentials: { clientId: this.issuer.clientId, accessToken: this.issuer.accessToken },
    });
  }

  /** `payload` is the request body text; when the Hawk header signs a payload hash, hawk checks it. */
  async authenticate(req: Request, payload?: string): Promise<Caller> {
    const url = new URL(req.url);
    const header = req.headers.get('authorization');
    const bewit = url.searchParams.get('bewit');
    if (!header && !bewit) return { clientId: null, scopes: this.anonymousScopes };
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const contentType = req.headers.get('content-type');
    const hawkReq = {
      method: req.method,
      url: url.pathname + url.search,
      headers: {
        host: url.host,
        ...(header ? { authorization: header } : {}),
        ...(contentType ? { 'content-type': contentType } : {}),
      },
    };
    let ext: Ext = {};
    let resolved: { client: Client; scopes: string[] } | undefined;
    let certError: string | undefined;
    const credentialsFunc = async (id: string) => {
      try {
        resolved = this.resolveClient(id, ext);
      } catch (e) {
        certError = (e as Error).message;
        return undefined;
      }
      return { key: resolved.client.accessToken, algorithm: 'sha256' };
    };
    try {
      if (header) {
        const attributes = Hawk.utils.parseAuthorizationHeader(header);
        ext = decodeExt(attributes.ext);
        const withHash = attributes.hash !== undefined ? { payload: payload ?? '' } : {};
        await Hawk.server.authenticate(hawkReq, credentialsFunc, { host: url.hostname, port, ...withHash });
      } else {
        ext = decodeExt(bewitExt(bewit!));
        await Hawk.server.authenticateBewit(hawkReq, credentialsFunc, { host: url.hostname, port });
      }
    } catch (e) {
      throw new ApiError('AuthenticationFailed', `Unauthorized: ${certError ?? (e as Error).message}`);
    }
    if (!resolved) throw new ApiError('AuthenticationFailed', 'Unauthorized: Unknown credentials');
    let scopes = resolved.scopes;
    if (ext.authorizedScopes !== undefined) {
      const wanted = ext.authorizedScopes;
      if (!Array.isArray(wanted) || !wanted.every((s) => typeof s === 'string')) {
        throw new ApiError('AuthenticationFailed', 'Unauthorized: ext.authorizedScopes must be an array of strings');
      }
      if (!wanted.every((s) => satisfies(scopes, s))) {
        throw new ApiError('AuthenticationFailed', 'Unauthorized: ext.authorizedScopes oversteps your scopes');
      }
      scopes = wanted;
    }
    return { clientId: resolved.client.clientId, scopes };
  }

  /** The key and scopes for a Hawk id, validating the certificate of temporary credentials. */
  private resolveClient(id: string, ext: Ext): { client: Client; scopes: string[] } {
    const cert = ext.certificate;
    if (!cert) {
      const client = this.clients.get(id);
      if (!client) throw new Error('Unknown credentials');
      return { client, scopes: client.scopes };
    }
    if (cert.version !== 1) throw new Error('ext.certificate.version != 1');
    if (typeof cert.seed !== 'string' || cert.seed.length !== 44) {
      throw new Error('ext.certificate.seed is not a 44 character string');
    }
    if (typeof cert.start !== 'number' || typeof cert.expiry !== 'number') {
      throw new Error('ext.certificate.start and ext.certificate.expiry must be numbers');
    }
    if (!Array.isArray(cert.scopes) || !cert.scopes.every((s) => typeof s === 'string')) {
      throw new Error('ext.certificate.scopes must be an array of strings');
    }
    const now = this.now();
    if (cert.start > now + FIVE_MIN) throw new Error('ext.certificate.start > now');
    if (cert.expiry < now - FIVE_MIN) throw new Error('ext.certificate.expiry < now');
    if (cert.expiry - cert.start > MAX_SPAN) throw new Error('ext.certificate cannot last longer than 31 days!');
    const named = typeof cert.issuer === 'string';
    const issuerId = named ? (cert.issuer as string) : id;
    if (named && issuerId === id) throw new Error('ext.certificate.issuer must differ from the supplied clientId');
    const issuer = this.clients.get(issuerId);
    if (!issuer) throw new Error(`ext.certificate.issuer \`${issuerId}\` is not a valid clientId`);
    if (named && !satisfies(issuer.scopes, `auth:create-client:${id}`)) {
      throw new Error(`ext.certificate issuer \`${issuerId}\` doesn't have \`auth:create-client:${id}\``);
    }
    const scopes = cert.scopes as string[];
    if (!scopes.every((s) => satisfies(issuer.scopes, s))) {
      throw new Error(`ext.certificate issuer \`${issuerId}\` doesn't have sufficient scopes`);
    }
    const sig = createHmac('sha256', issuer.accessToken);
    sig.update(`version:1\n`);
    if (named) sig.update(`clientId:${id}\nissuer:${issuerId}\n`);
    sig.update(`seed:${cert.seed}\nstart:${cert.start}\nexpiry:${cert.expiry}\nscopes:\n`);
    sig.update(scopes.join('\n'));
    const expected = sig.digest();
    const given = Buffer.from(String(cert.signature ?? ''), 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new Error('ext.certificate.signature is not valid');
    }
    const key = createHmac('sha256', issuer.accessToken).update(cert.seed).digest('base64url');
    return { client: { clientId: id, accessToken: key, scopes }, scopes };
  }
}

function decodeExt(ext: string | undefined): Ext {
  if (!ext) return {};
  try {
    const parsed = JSON.parse(Buffer.from(ext, 'base64').toString('utf8')) as Ext;
    if (typeof parsed.certificate === 'string') parsed.certificate = JSON.parse(parsed.certificate);
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    throw new ApiError('AuthenticationFailed', 'Unauthorized: Failed to parse ext');
  }
}

/** A bewit is base64url(`id\exp\mac\ext`); the ext is needed before hawk can look up the key. */
function bewitExt(bewit: string): string | undefined {
  const parts = Buffer.from(bewit, 'base64url').toString('utf8').split('\\');
  return parts[3] || undefined;
}
