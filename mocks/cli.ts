// `tc-mock-queue`: start the mock services on loopback, print one JSON line when ready, serve until
// SIGTERM/SIGINT (or, started by npm, until npm goes), then write the trace and exit 0. Bad arguments:
// one line on stderr, exit 2.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ANONYMOUS_ROLES, type Client } from './auth.ts';
import { type FaultRule, validateFaultRule } from './faults.ts';

class UsageError extends Error {}

const intArg =
  (name: string, min: number, max: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer ${min}..${max}`);
    return n;
  };

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function parseClients(path: string): Client[] {
  const data = readJson(path, 'clients');
  if (!Array.isArray(data)) throw new UsageError(`clients file ${path}: must be a JSON array`);
  return data.map((c, i) => {
    const where = `clients file ${path}: [${i}]`;
    if (!c || typeof c !== 'object') throw new UsageError(`${where} must be an object`);
    if (typeof c.clientId !== 'string' || !c.clientId)
      throw new UsageError(`${where}.clientId must be a non-empty string`);
    if (typeof c.accessToken !== 'string' || !c.accessToken)
      throw new UsageError(`${where}.accessToken must be a non-empty string`);
    if (!Array.isArray(c.scopes) || !c.scopes.every((s: unknown) => typeof s === 'string')) {
      throw new UsageError(`${where}.scopes must be an array of strings`);
    }
    return { clientId: c.clientId, accessToken: c.accessToken, scopes: c.scopes };
  });
}

function parseFaults(path: string): FaultRule[] {
  const data = readJson(path, 'faults');
  if (!Array.isArray(data)) throw new UsageError(`faults file ${path}: must be a JSON array of rules`);
  return data.map((r, i) => {
    try {
      return validateFaultRule(r, `faults file ${path}: [${i}]`);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
}

/** `public` (a public deployment's anonymous role), `none`, or a JSON array of scopes. */
function parseAnonymousScopes(v: string): readonly string[] {
  if (v === 'public' || v === 'none') return ANONYMOUS_ROLES[v];
  let scopes: unknown;
  try {
    scopes = JSON.parse(v);
  } catch {
    throw new InvalidArgumentError('--anonymous-scopes must be public, none or a JSON array of scopes');
  }
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && /^[\x20-\x7e]*$/.test(s))) {
    throw new InvalidArgumentError('--anonymous-scopes: the JSON must be an array of scope strings');
  }
  return scopes;
}

function fail(message: string): never {
  process.stderr.write(`tc-mock-queue: ${message.split('\n')[0]}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const program = new Command('tc-mock-queue')
    .description('Mock Taskcluster Queue, object, purge-cache services and S3-like store on loopback')
    .option('--port <n>', 'port to listen on (0 = any free port)', intArg('--port', 0, 65535), 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--clients <file>', 'JSON array of {clientId, accessToken, scopes}')
    .option('--claim-timeout <seconds>', 'takenUntil = now + this', intArg('--claim-timeout', 1, 86400), 1200)
    .option('--long-poll-ms <n>', 'how long claimWork waits for work', intArg('--long-poll-ms', 0, 600000), 20000)
    .option('--trace <file>', 'write the trace as JSON here on exit')
    .option('--files <dir>', 'serve this directory at <rootUrl>/fixture-files/')
    .option('--faults <file>', 'JSON array of fault rules')
    .option(
      '--anonymous-scopes <role>',
      'the anonymous role every request holds: public (a public deployment), none, or a JSON array of scopes',
      parseAnonymousScopes,
      ANONYMOUS_ROLES.public,
    )
    .option(
      '--deadline-delay-ms <n>',
      'resolve deadline-exceeded this long after the deadline (real Queue: 60000)',
      intArg('--deadline-delay-ms', 0, 86400000),
      0,
    )
    .option('--legacy-superseded-reason', 'accept reportException reason superseded, as the v11-era Queue did')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: (s) => process.stdout.write(s) })
    .allowExcessArguments(false);
  try {
    program.parse(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) process.exit(0); // --help / --version
      fail(e.message.replace(/^error: /, ''));
    }
    throw e;
  }
  const o = program.opts<{
    port: number;
    host: string;
    clients?: string;
    claimTimeout: number;
    longPollMs: number;
    trace?: string;
    files?: string;
    faults?: string;
    legacySupersededReason?: boolean;
    anonymousScopes: readonly string[];
    deadlineDelayMs: number;
  }>();
  let clients: Client[] | undefined;
  let faults: FaultRule[] | undefined;
  try {
    clients = o.clients ? parseClients(o.clients) : undefined;
    faults = o.faults ? parseFaults(o.faults) : undefined;
    if (o.files !== undefined && !statSync(o.files, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UsageError(`--files ${o.files}: not a directory`);
    }
    // Fail now rather than after a whole run when the trace cannot be written at exit.
    if (o.trace !== undefined && !statSync(dirname(resolve(o.trace)), { throwIfNoEntry: false })?.isDirectory()) {
      throw new UsageError(`--trace ${o.trace}: directory ${dirname(resolve(o.trace))} does not exist`);
    }
  } catch (e) {
    if (e instanceof UsageError) fail(e.message);
    throw e;
  }
  // Loaded only once the arguments are known to be good, so a usage error exits at once.
  const { startMockServices } = await import('./services.ts');
  let services: Awaited<ReturnType<typeof startMockServices>>;
  try {
    services = await startMockServices({
      host: o.host,
      port: o.port,
      clients,
      claimTimeoutSeconds: o.claimTimeout,
      longPollMs: o.longPollMs,
      tracePath: o.trace,
      files: o.files,
      faults,
      legacySupersededReason: o.legacySupersededReason ?? false,
      anonymousScopes: o.anonymousScopes,
      deadlineDelayMs: o.deadlineDelayMs,
    });
  } catch (e) {
    fail(`cannot start: ${(e as Error).message}`);
  }
  // The admin client: made up when --clients has none with scope `*` (decisions/0001: always printed).
  const ready = { rootUrl: services.rootUrl, ...services.admin };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    services.close().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`tc-mock-queue: error while stopping: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // POST /mock/v1/shutdown closes the services (and writes the trace) the same way.
  services.closed.then(stop, stop);
  // Under npm (`npx tc-mock-queue`, `npm run mock-queue`) a SIGTERM reaches npm, which passes it to the
  // `sh -c` it runs; that shell dies without passing it on, and this process would be left serving with
  // its trace unwritten. So when npm started us, the parent going away (we are reparented) means stop.
  if (process.env.npm_lifecycle_event !== undefined) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) stop();
    }, 200).unref();
  }
}

await main();
