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
    options: { host: string; port: number; payload?: string; timestampSkewSec?: number },
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

/**
 * The `anonymous` role of a public deployment, as ui/docs/manual/deploying/anonymous-role.mdx (v106) lists it:
 * read-only access without credentials. The auth service grants it to every request, authenticated or not.
 */
export const PUBLIC_ANONYMOUS_SCOPES: readonly string[] = [
  'auth:current-scopes',
  'auth:expand-scopes',
  'auth:get-client:*',
  'auth:get-role:*',
  'auth:list-clients',
  'auth:list-roles',
  'github:get-badge:*',
  'github:get-repository:*',
  'github:latest-status:*',
  'github:list-builds',
  'hooks:get:*',
  'hooks:list-hooks:*',
  'hooks:list-last-fires:*',
  'hooks:status:*',
  'index:find-task:*',
  'index:list-namespaces:*',
  'index:list-tasks:*',
  'purge-cache:all-purge-requests',
  'purge-cache:purge-requests:*',
  'queue:get-artifact:public/*',
  'queue:get-provisioner:*',
  'queue:get-task:*',
  'queue:get-worker-type:*',
  'queue:get-worker:*',
  'queue:list-artifacts:*',
  'queue:list-dependent-tasks:*',
  'queue:list-provisioners',
  'queue:list-task-group:*',
  'queue:list-worker-types:*',
  'queue:list-workers:*',
  'queue:pending-count:*',
  'queue:status:*',
  'secrets:list-secrets',
  'web:read-pulse',
  'worker-manager:get-worker-pool:*',
  'worker-manager:get-worker:*',
  'worker-manager:list-providers',
  'worker-manager:list-worker-pool-errors:*',
  'worker-manager:list-worker-pools',
  'worker-manager:list-workers:*',
  'worker-manager:should-worker-terminate:*',
];

/** Named anonymous roles: a public deployment's, and an empty one (a private deployment, or the recorded trace's). */
export const ANONYMOUS_ROLES: Record<'public' | 'none', readonly string[]> = {
  public: PUBLIC_ANONYMOUS_SCOPES,
  none: [],
};

export interface AuthOptions {
  clients: Client[];
  now: () => number;
  /** The deployment's `anonymous` role, granted to every request (default: a public deployment's). */
  anonymousScopes?: readonly string[];
}

interface Ext {
  certificate?: Record<string, unknown>;
  authorizedScopes?: unknown;
}

export class Auth {
  readonly clients = new Map<string, Client>();
  readonly issuer: Client;
  private readonly now: () => number;
  readonly anonymousScopes: readonly string[];

  constructor(opts: AuthOptions) {
    for (const c of opts.clients) this.clients.set(c.clientId, c);
    this.now = opts.now;
    this.anonymousScopes = [...(opts.anonymousScopes ?? PUBLIC_ANONYMOUS_SCOPES)];
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

  /**
   * `payload` is the request body text; when the Hawk header signs a payload hash, hawk checks it.
   * Every caller also holds the anonymous role, as signaturevalidator.js `loadCredentials` grants it.
   */
  async authenticate(req: Request, payload?: string): Promise<Caller> {
    const url = new URL(req.url);
    const header = req.headers.get('authorization');
    const bewit = url.searchParams.get('bewit');
    if (!header && !bewit) return { clientId: null, scopes: [...this.anonymousScopes] };
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
        if (ext.authorizedScopes) resolved.scopes = this.restrict(resolved.scopes, ext.authorizedScopes);
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
        // The auth service allows 15 minutes of clock skew (signaturevalidator.js), not hawk's default minute.
        await Hawk.server.authenticate(hawkReq, credentialsFunc, {
          host: url.hostname,
          port,
          timestampSkewSec: 15 * 60,
          ...withHash,
        });
      } else {
        ext = decodeExt(bewitExt(bewit!));
        await Hawk.server.authenticateBewit(hawkReq, credentialsFunc, { host: url.hostname, port });
      }
    } catch (e) {
      // Errors from loading the credentials reach the caller as they are; hawk's own as `Unauthorized: …`.
      throw new ApiError('AuthenticationFailed', certError ?? `Unauthorized: ${(e as Error).message}`);
    }
    if (!resolved) throw new ApiError('AuthenticationFailed', 'Unauthorized: Unknown credentials');
    return { clientId: resolved.client.clientId, scopes: this.withAnonymous(resolved.scopes) };
  }

  private withAnonymous(scopes: readonly string[]): string[] {
    return [...new Set([...scopes, ...this.anonymousScopes])];
  }

  /**
   * authorizedScopes as limitClientWithExt applies them: checked against the credentials' scopes plus the
   * anonymous role (so a client may name anonymous scopes), then they replace the scopes; authenticate()
   * adds the anonymous role back afterwards.
   */
  private restrict(scopes: string[], wanted: unknown): string[] {
    if (!Array.isArray(wanted)) throw new Error('ext.authorizedScopes must be an array');
    if (!wanted.every((s) => typeof s === 'string' && /^[\x20-\x7e]*$/.test(s))) {
      throw new Error('ext.authorizedScopes must be an array of valid scopes');
    }
    const held = this.withAnonymous(scopes);
    if (!wanted.every((s) => satisfies(held, s))) {
      throw new Error(
        [
          'Supplied credentials do not satisfy authorizedScopes; credentials have scopes:',
          '',
          '```',
          held.join('\n'),
          '```',
          '',
          'authorizedScopes are:',
          '',
          '```',
          wanted.join('\n'),
          '```',
        ].join('\n'),
      );
    }
    return wanted as string[];
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
