// Generated tasks for the payload properties: a payload (from the schema walker), its task facts (deadline, expiry,
// dependencies, the scopes its features need), and what the generator meant to do (`intent`: valid, a schema keyword
// broken, or one rule the schema cannot express broken). The oracle, not the intent, decides validity: a mutation
// may break more than it meant to, or nothing at all.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { type Generation, loadSchema, type Os, type TaskFacts } from './oracle.ts';
import { type Hints, SchemaWalker, schemaBreaker } from './schema-arbitrary.ts';

export interface Case {
  payload: any;
  task: TaskFacts;
  intent: string;
}

/** `inproc`: any string the schema allows (judged by the validator only); `e2e`: values a real run can satisfy
 * (commands that exist, paths the probe creates, content served on loopback). */
export type Mode = 'inproc' | 'e2e';

export interface GenOptions {
  os: Os;
  generation: Generation;
  mode: Mode;
  /** Base time: deadline = t0 + 2 h, expires = t0 + 7 d. */
  t0: number;
  provisionerId: string;
  workerType: string;
  /** e2e: URLs (with their bytes) the mock serves, by archive format or 'file'. */
  served?: Record<string, { url: string; bytes: Buffer }>;
  /** e2e: groups the worker's user is in (valid osGroups come from these). */
  userGroups?: string[];
  /** Optional properties never generated (JSON pointers, e.g. one a compared worker's schema lacks). */
  omit?: string[];
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export function taskTimes(t0: number) {
  return { deadline: new Date(t0 + 2 * HOUR).toISOString(), expires: new Date(t0 + 7 * DAY).toISOString() };
}

const slugid = fc.stringMatching(/^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$/);

function hints(o: GenOptions): Hints {
  const { deadline, expires } = taskTimes(o.t0);
  const within = fc
    .integer({ min: Date.parse(deadline), max: Date.parse(expires) })
    .map((ms) => new Date(ms).toISOString());
  const common: Hints = {
    '/maxRunTime': fc.integer({ min: 30, max: 86_400 }),
    '/artifacts/*/expires': within,
    '/supersederUrl': fc.constant('http://127.0.0.1:9/superseder'),
    // Features a test worker does not offer (spec/features/): mostly off, so most valid payloads reach their commands.
    ...Object.fromEntries(
      ['interactive', 'loopbackAudio', 'loopbackVideo', 'runTaskAsCurrentUser'].map((k) => [
        `/features/${k}`,
        fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
      ]),
    ),
  };
  if (o.mode === 'inproc') {
    return {
      ...common,
      '/env/*key': fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((k) => !k.includes('=')),
      '/env/*': fc.string({ unit: 'grapheme', maxLength: 24 }),
      '/command/*/*': fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }),
      '/artifacts/*/path': fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
      '/artifacts/*/name': fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 16 }),
      '/artifacts/*/contentType': fc.constantFrom('text/plain', 'application/json', 'image/png'),
      '/mounts/*/file': pathArb('m'),
      '/mounts/*/directory': pathArb('d'),
      '/mounts/*/cacheName': fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }),
      '/mounts/*/content/url': fc.constant('http://127.0.0.1:9/file'),
      '/osGroups/*': fc.constantFrom(...(o.userGroups ?? ['root', 'wheel', 'docker'])),
      '/logs/live': fc.constantFrom('public/logs/live.log', 'public/x/live.log'),
      '/logs/backing': fc.constantFrom('public/logs/live_backing.log', 'public/x/backing.log'),
    };
  }
  const served = o.served ?? {};
  const groups = o.userGroups ?? [];
  return {
    ...common,
    '/maxRunTime': fc.integer({ min: 60, max: 600 }),
    // Keys and values any OS passes through unchanged: printable names, values of any Unicode text.
    '/env/*key': fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/).filter((k) => !RESERVED_ENV.has(k)),
    '/env/*': fc.string({ unit: 'grapheme', maxLength: 24 }),
    '/command': fc.array(
      fc.constantFrom<unknown>(['/bin/true'], ['/bin/sh', '-c', 'exit 0'], ['/bin/sh', '-c', ': "$TASK_ID"']),
      { minLength: 1, maxLength: 2 },
    ),
    '/artifacts/*/path': fc.stringMatching(/^[a-z]{1,6}(\.(txt|json|log|gz|bin))?$/),
    // No "." or ".." segment: the mock's artifact store resolves them away (WHATWG URL parsing), so the PUT to the
    // putUrl fails its signature for generic-worker and tc-worker alike (a mock bug, reported to the mocks lane).
    '/artifacts/*/name': fc
      .oneof(
        fc.stringMatching(/^public\/[a-z0-9._-]{1,12}$/),
        fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 16 }).filter((s) => /^[\x21-\x7e]/.test(s)),
      )
      .filter((n) => !n.split('/').some((s) => s === '.' || s === '..')),
    '/artifacts/*/contentType': fc.constantFrom('text/plain', 'application/json', 'application/x-kit-test'),
    '/mounts/*/file': pathArb('m'),
    '/mounts/*/directory': pathArb('d'),
    '/mounts/*/cacheName': fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
    '/mounts/*/content/url': fc.constantFrom(...Object.values(served).map((s) => s.url)),
    '/osGroups': groups.length ? fc.uniqueArray(fc.constantFrom(...groups), { maxLength: 1 }) : fc.constant([]),
    '/logs/live': fc.constantFrom('public/logs/live.log', 'public/kit/live.log'),
    '/logs/backing': fc.constantFrom('public/logs/live_backing.log', 'public/kit/backing.log'),
  };
}

/** Variables the worker sets itself (payload.env.task-id and friends): generated env never names them. */
const RESERVED_ENV = new Set([
  'TASK_ID',
  'RUN_ID',
  'TASK_WORKDIR',
  'TASK_GROUP_ID',
  'TASKCLUSTER_ROOT_URL',
  'TASKCLUSTER_PROXY_URL',
  'TASKCLUSTER_WORKER_LOCATION',
  'TASKCLUSTER_INSTANCE_TYPE',
  'PATH',
  'HOME',
  'USER',
]);

function pathArb(prefix: string): fc.Arbitrary<string> {
  return fc
    .array(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: 1, maxLength: 2 })
    .map((s) => `${prefix}/${s.join('/')}`);
}

const walkers = new Map<string, SchemaWalker>();
export function walkerFor(o: GenOptions): SchemaWalker {
  const key = `${o.os}/${o.generation}/${o.mode}/${o.t0}/${Object.keys(o.served ?? {}).join(',')}/${o.omit ?? ''}`;
  let w = walkers.get(key);
  if (!w) {
    w = new SchemaWalker(loadSchema(o.os, o.generation), {
      hints: hints(o),
      // e2e tasks only mount what the mock serves; another task's artifact needs a real dependency.
      skipBranches: o.mode === 'e2e' ? ['Artifact content', 'Artifact Content'] : [],
      skipProperties: [
        ...(o.mode === 'e2e' ? ['/supersederUrl', '/features/taskclusterProxy'] : []),
        ...(o.omit ?? []),
      ],
    });
    walkers.set(key, w);
  }
  return w;
}

/** The scopes and dependencies that make a payload's feature requests legitimate. */
export function factsFor(payload: any, o: GenOptions): TaskFacts {
  const scopes = new Set<string>();
  const dependencies = new Set<string>();
  if (payload && typeof payload === 'object') {
    for (const m of Array.isArray(payload.mounts) ? payload.mounts : []) {
      if (m && typeof m === 'object') {
        if (typeof m.cacheName === 'string') scopes.add(`generic-worker:cache:${m.cacheName}`);
        if (typeof m.content?.taskId === 'string') dependencies.add(m.content.taskId);
      }
    }
    for (const g of Array.isArray(payload.osGroups) ? payload.osGroups : [])
      scopes.add(`generic-worker:os-group:${o.provisionerId}/${o.workerType}/${g}`);
  }
  return { ...taskTimes(o.t0), scopes: [...scopes], dependencies: [...dependencies] };
}

/** e2e only: make generated values coherent with what the run can provide (unique artifact paths under out/,
 * archives the mock serves in the format named, the right sha256 for inline content or none). */
function fixup(p: any, o: GenOptions): any {
  if (o.mode !== 'e2e' || !p || typeof p !== 'object') return p;
  const q = structuredClone(p);
  if (Array.isArray(q.artifacts))
    q.artifacts = q.artifacts.map((a: any, i: number) => ({ ...a, path: `out/${i}/${a.path}` }));
  if (Array.isArray(q.mounts)) {
    q.mounts = q.mounts.map((m: any) => {
      const out = { ...m };
      if (typeof m.format === 'string') {
        // Archives: the mock serves one per format it can make; other formats become tar.gz.
        const fmt = o.served?.[m.format] ? m.format : 'tar.gz';
        const s = o.served![fmt]!;
        out.format = fmt;
        out.content = { url: s.url, ...(m.content?.sha256 ? { sha256: sha256(s.bytes) } : {}) };
      } else if (m.content) {
        const c = m.content;
        const body =
          typeof c.raw === 'string'
            ? Buffer.from(c.raw, 'utf8')
            : typeof c.base64 === 'string'
              ? Buffer.from(c.base64, 'base64')
              : Object.values(o.served ?? {}).find((s) => s.url === c.url)?.bytes;
        if (c.sha256 !== undefined) {
          if (body) out.content = { ...c, sha256: sha256(body) };
          else delete out.content.sha256;
        }
      }
      return out;
    });
  }
  return q;
}

export const asJson = (v: unknown): any => JSON.parse(JSON.stringify(v));

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Valid payloads (as far as the generator can tell) with the facts that make them acceptable. */
export function validCase(o: GenOptions): fc.Arbitrary<Case> {
  const w = walkerFor(o);
  return w.valid().map((p) => {
    // Payloads travel as JSON: plain objects only (fast-check may build null-prototype ones).
    const payload = fixup(asJson(p), o);
    return { payload, task: factsFor(payload, o), intent: 'valid' };
  });
}

/** A valid case with one schema constraint broken. */
export function schemaBrokenCase(o: GenOptions): fc.Arbitrary<Case> {
  const w = walkerFor(o);
  return schemaBreaker(
    w,
    validCase(o),
    (c) => c.payload,
    (c, payload) => ({ ...c, payload }),
  ).map((b) => ({
    ...b.value,
    payload: asJson(b.value.payload),
    intent: `schema:${b.keyword}@/${b.path.map(String).join('/')}`,
  }));
}

type Breaker = (c: Case, o: GenOptions) => fc.Arbitrary<Case> | null;
const withPayload = (c: Case, payload: any, intent: string): Case => ({ ...c, payload, intent });
const pickIndex = (n: number) => fc.nat({ max: Math.max(0, n - 1) });
const insertAt = (s: string, ch: string) => fc.nat({ max: s.length }).map((i) => s.slice(0, i) + ch + s.slice(i));

/**
 * One breaker per rule the schema cannot express: each takes a valid case and breaks that one rule (adding what it
 * needs, e.g. an env entry, when the case has none). Written from the statements, not from the worker.
 */
export const RULE_BREAKERS: Record<string, Breaker> = {
  'payload.command.no-nul': (c, o) => {
    const cmds: any[] = c.payload.command;
    return pickIndex(cmds.length)
      .chain((i) => {
        const cmd = cmds[i];
        if (o.os === 'windows') return insertAt(cmd, '\0').map((s) => cmds.map((x, k) => (k === i ? s : x)));
        return pickIndex(cmd.length).chain((j) =>
          insertAt(cmd[j], '\0').map((s) =>
            cmds.map((x, k) => (k === i ? x.map((y: string, l: number) => (l === j ? s : y)) : x)),
          ),
        );
      })
      .map((command) => withPayload(c, { ...c.payload, command }, 'payload.command.no-nul'));
  },
  'payload.command.size-limit': (c, o) =>
    o.os === 'windows'
      ? null
      : fc
          .integer({ min: 131_072, max: 140_000 })
          .map((n) =>
            withPayload(
              c,
              { ...c.payload, command: [...c.payload.command, ['/bin/true', 'a'.repeat(n)]] },
              'payload.command.size-limit',
            ),
          ),
  'payload.env.valid-name': (c, o) =>
    fc.constantFrom('', 'A=B', '=A', 'A\0B', ...(o.os === 'windows' ? ['Path'] : [])).map((k) => {
      const env = { ...(c.payload.env ?? {}), [k]: 'v' };
      if (k === 'Path') env.PATH = 'w';
      return withPayload(c, { ...c.payload, env }, 'payload.env.valid-name');
    }),
  'payload.env.no-nul': (c) =>
    fc
      .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
      .map(([a, b]) =>
        withPayload(
          c,
          { ...c.payload, env: { ...(c.payload.env ?? {}), KIT_NUL: `${a}\0${b}` } },
          'payload.env.no-nul',
        ),
      ),
  'payload.env.size-limit': (c, o) =>
    fc
      .constantFrom(
        // e2e stays under the task-definition sizes a Queue takes; 10 MB (issue 10) is judged in-process.
        ...(o.os === 'windows'
          ? [32_768, 40_000]
          : o.mode === 'e2e'
            ? [131_064, 200_000]
            : [131_064, 131_072, 200_000, 10 * 1024 * 1024]),
      )
      .map((n) =>
        withPayload(
          c,
          { ...c.payload, env: { ...(c.payload.env ?? {}), KIT_BIG: 'x'.repeat(n) } },
          'payload.env.size-limit',
        ),
      ),
  'artifacts.name.printable': (c) =>
    fc
      .tuple(
        fc.constantFrom('', 'é', 'naïve.txt', 'a\tb', 'a\nb', '\x7f', 'public/日本.txt', '😀', 'a\0b'),
        fc.boolean(),
        fc.constantFrom<'file' | 'directory'>('file', 'directory'),
      )
      .map(([bad, asPath, type]) => {
        // "" only as a path: an empty name is no name (the path is published).
        const a = asPath || bad === '' ? { type, path: bad } : { type, path: 'out/np', name: bad };
        return withPayload(
          c,
          { ...c.payload, artifacts: [...(c.payload.artifacts ?? []), a] },
          'artifacts.name.printable',
        );
      }),
  'artifacts.content-type.valid': (c) =>
    fc.constantFrom('text/plain; charset=ütf-8', 'a\nb', 'x'.repeat(256), 'text/\x01plain').map((contentType) =>
      withPayload(
        c,
        {
          ...c.payload,
          artifacts: [...(c.payload.artifacts ?? []), { type: 'file', path: 'out/ct.txt', contentType }],
        },
        'artifacts.content-type.valid',
      ),
    ),
  // Two file artifacts of one name: content types that differ (a conflict), agree or are left to the extension, and
  // expiries that agree or not; the oracle says which of these conflict.
  'artifacts.duplicate.conflicting-names': (c) =>
    fc
      .tuple(
        fc.stringMatching(/^public\/[a-z]{1,6}$/),
        fc.constantFrom<[string?, string?]>(
          ['text/plain', 'application/json'],
          ['text/plain', 'text/plain'],
          ['application/x-kit-a', 'application/x-kit-b'],
          [undefined, undefined],
          [undefined, 'text/plain'],
        ),
        fc.constantFrom('.txt', '.json'),
        fc.option(fc.integer({ min: 1, max: DAY }), { nil: undefined }),
      )
      .map(([name, [t1, t2], ext2, earlier]) => {
        const second: Record<string, unknown> = { type: 'file', path: `out/91/dupb${ext2}`, name };
        if (t2) second.contentType = t2;
        if (earlier !== undefined) second.expires = new Date(Date.parse(c.task.expires) - earlier).toISOString();
        return withPayload(
          c,
          {
            ...c.payload,
            artifacts: [
              ...(c.payload.artifacts ?? []),
              { type: 'file', path: 'out/90/dupa.txt', name, ...(t1 ? { contentType: t1 } : {}) },
              second,
            ],
          },
          'artifacts.duplicate.conflicting-names',
        );
      }),
  // Issue 14's payload nested 2000 deep: a deep value where the schema wants a scalar or no property at all. It is a
  // schema error (the oracle's ajv says where); the worker must say so, not overflow. End to end too: the mock Queue
  // stores and copies up to 2048 levels without recursing (mocks/util.ts cloneJson; structuredClone overflowed near
  // 1600 and claimWork answered 500).
  'payload.schema.deep-nesting': (c) =>
    fc
      .tuple(
        fc.constantFrom(64, 1000, 2000),
        fc.constantFrom('env', 'features', 'extra', 'artifact-name', 'retry', 'argument'),
      )
      .map(([depth, where]) => {
        let v: unknown = 'x';
        for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
        const p = { ...c.payload };
        if (where === 'env') p.env = { ...(p.env ?? {}), KIT_DEEP: v };
        else if (where === 'features') p.features = { ...(p.features ?? {}), kitDeep: v };
        else if (where === 'extra') p.kitDeep = v;
        else if (where === 'artifact-name')
          p.artifacts = [...(p.artifacts ?? []), { type: 'file', path: 'out/d', name: v }];
        else if (where === 'retry') p.onExitStatus = { ...(p.onExitStatus ?? {}), retry: [v] };
        else p.command = [...p.command, ['/bin/true', v]];
        return withPayload(c, p, 'payload.schema.deep-nesting');
      }),
  'payload.artifact-expiry.before-deadline': (c) =>
    fc
      .integer({ min: 1, max: 30 * 86_400_000 })
      .map((ms) => expiring(c, Date.parse(c.task.deadline) - ms, 'payload.artifact-expiry.before-deadline')),
  'payload.artifact-expiry.after-task-expiry': (c) =>
    fc
      .integer({ min: 1, max: 365 * 86_400_000 })
      .map((ms) => expiring(c, Date.parse(c.task.expires) + ms, 'payload.artifact-expiry.after-task-expiry')),
  'payload.artifact-expiry.parseable': (c) =>
    fc.constantFrom('2030-06-30T23:59:60Z', '2030-12-31T23:59:60.5Z').map((expires) =>
      withPayload(
        c,
        {
          ...c.payload,
          artifacts: [...(c.payload.artifacts ?? []), { type: 'file', path: 'out/leap.txt', expires }],
        },
        'payload.artifact-expiry.parseable',
      ),
    ),
  'logs.names.distinct': (c, o) =>
    o.generation === 'v11'
      ? null
      : fc.constantFrom('public/logs/one.log', 'public/logs/live.log').map((n) => {
          const features = { ...(c.payload.features ?? {}) };
          delete features.liveLog;
          delete features.backingLog;
          return withPayload(c, { ...c.payload, features, logs: { live: n, backing: n } }, 'logs.names.distinct');
        }),
  'mounts.target.inside-task-dir': (c) =>
    fc
      .tuple(
        fc.constantFrom(
          '',
          '.',
          '..',
          '../x',
          '/etc/kit-x',
          'a/../../x',
          'C:\\x',
          'generic-worker/x',
          'generic-worker',
          'a/..',
          'x\0y',
          'a\\..\\..\\x',
        ),
        fc.boolean(),
      )
      .map(([t, asFile]) => {
        const m = asFile ? { file: t, content: { raw: 'x' } } : { directory: t, cacheName: 'kit-inside' };
        return addMount(c, m, 'mounts.target.inside-task-dir');
      }),
  'mounts.target.overlap': (c) =>
    fc
      .tuple(fc.constantFrom('m/o', 'm/o/p'), fc.constantFrom('same', 'inner', 'outer'), fc.boolean())
      .map(([t, how, asFile]) => {
        const first = { directory: t, cacheName: 'kit-overlap-a' };
        const second = how === 'same' ? t : how === 'inner' ? `${t}/q` : t.split('/').slice(0, -1).join('/');
        const m2 = asFile ? { file: second, content: { raw: 'y' } } : { directory: second, cacheName: 'kit-overlap-b' };
        return addMount(addMount(c, first, ''), m2, 'mounts.target.overlap');
      }),
  'mounts.cache.name-valid': (c) =>
    fc.constant(addMount(c, { directory: 'm/empty-name', cacheName: '' }, 'mounts.cache.name-valid')),
  'mounts.cache.name-once': (c) =>
    fc
      .stringMatching(/^[a-z]{1,6}$/)
      .map((n) =>
        addMount(
          addMount(c, { directory: 'm/once-a', cacheName: n }, ''),
          { directory: 'm/once-b', cacheName: n },
          'mounts.cache.name-once',
        ),
      ),
  'mounts.archive.supported-format': (c, o) => {
    const enumerated: string[] =
      walkerFor(o).resolve(walkerFor(o).root.definitions.readOnlyDirectory).properties.format.enum ??
      walkerFor(o).resolve(walkerFor(o).root.definitions.archiveFormat).enum;
    const unsupported = enumerated.filter((f) => !['zip', 'tar', 'tar.gz', 'tar.bz2', 'tar.xz', 'tar.zst'].includes(f));
    if (unsupported.length === 0) return null;
    return fc
      .constantFrom(...unsupported)
      .map((format) =>
        addMount(
          c,
          { directory: 'm/fmt', content: { raw: 'not an archive' }, format },
          'mounts.archive.supported-format',
        ),
      );
  },
  'mounts.file.dependency-required': (c) =>
    slugid.map((taskId) =>
      addMount(
        c,
        { file: 'm/dep.txt', content: { taskId, artifact: 'public/x.txt' } },
        'mounts.file.dependency-required',
      ),
    ),
  // Feature checks: the task lacks what the feature needs.
  'mounts.cache.scope-required': (c) =>
    fc.constant({
      ...addMount(c, { directory: 'm/noscope', cacheName: 'kit-no-scope' }, 'mounts.cache.scope-required'),
      task: c.task,
    }),
  'payload.features.missing-scopes': (c, o) =>
    (o.userGroups ?? []).length === 0 && o.mode === 'e2e'
      ? null
      : fc.constantFrom(...(o.userGroups?.length ? o.userGroups : ['root'])).map((g) => ({
          ...withPayload(c, { ...c.payload, osGroups: [g] }, 'payload.features.missing-scopes'),
          task: c.task,
        })),
  'payload.os-groups.unsupported-rejected': (c, o) =>
    o.generation === 'v11'
      ? null
      : fc.constant('kit-no-such-group').map((g) => {
          const p = { ...c.payload, osGroups: [g] };
          return { ...withPayload(c, p, 'payload.os-groups.unsupported-rejected'), task: factsFor(p, o) };
        }),
};

function expiring(c: Case, ms: number, intent: string): Case {
  // A path the probe creates (out/<index>/<name>): within generic-worker's 1 s of rounding the expiry is valid,
  // and a shrink toward that boundary must give a case whose artifact exists, not one failing for a missing file.
  const n = (c.payload.artifacts ?? []).length;
  const artifacts = [
    ...(c.payload.artifacts ?? []),
    { type: 'file', path: `out/${n}/exp.txt`, expires: new Date(ms).toISOString() },
  ];
  return withPayload(c, { ...c.payload, artifacts }, intent);
}

function addMount(c: Case, m: any, intent: string): Case {
  const payload = { ...c.payload, mounts: [...(c.payload.mounts ?? []), m] };
  // Scopes follow, so that only the rule meant is broken (the cache-scope breaker puts the old task back).
  const scopes = new Set(c.task.scopes);
  if (typeof m.cacheName === 'string') scopes.add(`generic-worker:cache:${m.cacheName}`);
  return { payload, task: { ...c.task, scopes: [...scopes] }, intent: intent || c.intent };
}

/** A valid case with the named rule broken (null when the rule does not apply to this OS / generation). */
export function ruleBrokenCase(rule: string, o: GenOptions): fc.Arbitrary<Case> | null {
  const b = RULE_BREAKERS[rule]!;
  const probe = b({ payload: { command: [['x']], maxRunTime: 1 }, task: factsFor({}, o), intent: '' }, o);
  if (!probe) return null;
  return validCase(o).chain((c) => b(c, o)!.map((x) => ({ ...x, payload: asJson(x.payload) })));
}

/** Every kind of case, in equal shares: valid, one schema constraint broken, each further rule broken. */
export function stratified(o: GenOptions): fc.Arbitrary<Case> {
  // PROPS_STRATA=valid,schema,<rule>,...: only those strata (a focused look at one rule, e.g. with a fix reverted).
  const only = process.env.PROPS_STRATA ? new Set(process.env.PROPS_STRATA.split(',')) : undefined;
  const rules = Object.keys(RULE_BREAKERS)
    .filter((r) => !only || only.has(r))
    .map((r) => ruleBrokenCase(r, o))
    .filter((a): a is fc.Arbitrary<Case> => a !== null);
  const n = Math.max(1, rules.length);
  // The Queue's createTask takes only an object payload (create-task-request.json), so end to end nothing else is sent.
  const queueable = (c: Case) =>
    o.mode !== 'e2e' || (c.payload !== null && typeof c.payload === 'object' && !Array.isArray(c.payload));
  const strata = [
    ...(!only || only.has('valid') ? [{ arbitrary: validCase(o), weight: n }] : []),
    ...(!only || only.has('schema') ? [{ arbitrary: schemaBrokenCase(o), weight: n }] : []),
    ...rules,
  ];
  if (strata.length === 0) throw new Error(`PROPS_STRATA=${process.env.PROPS_STRATA}: no such stratum`);
  return fc.oneof(...strata).filter(queueable);
}
