// Loads the JSON Schemas in schemas/ and compiles them with ajv (draft-06, like Taskcluster's own schemas).
// ajv (about 60 modules) is required on the first compile rather than imported with this module, so the
// commands that only read schemas (--help, show-payload-schema) never load it. Under the bins, a compiled
// validator is also kept as ajv's standalone code in the private cache bin/ts-cache.js set up, keyed by the
// schema text, the options and the ajv versions: a warm start runs that code instead of generating it
// again, which is most of a start-up's CPU time and ~15 MiB of its memory (decisions/0004-start-up-cost.md).
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { OsName } from './platform/platform.ts';

const require = createRequire(import.meta.url);

const schemasDir = new URL('../schemas/', import.meta.url);

export function readSchema(relativePath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(relativePath, schemasDir), 'utf8'));
}

/** Path (under schemas/) of the payload schema for an OS. */
export function payloadSchemaPath(os: OsName): string {
  return os === 'windows' ? 'payload/windows.json' : 'payload/posix.json';
}

export function newAjv(opts: { useDefaults?: boolean; source?: boolean } = {}): Ajv {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    useDefaults: opts.useDefaults ?? false,
    ...(opts.source ? { code: { source: true } } : {}),
  });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  const addFormats = require('ajv-formats') as (a: Ajv) => void;
  addFormats(ajv);
  // Descriptive extension keywords used in our schemas.
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  return ajv;
}

/** The cache directory bin/ts-cache.js vouched for (owned by this user, not writable by others), if any. */
function cacheDir(): string | undefined {
  const dir = (globalThis as Record<symbol, unknown>)[Symbol.for('tc-worker-kit.cache-dir')];
  return typeof dir === 'string' ? dir : undefined;
}

function versions(): string {
  const v = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  return `ajv ${v('ajv')} ajv-formats ${v('ajv-formats')}`;
}

export function compile(relativePath: string, opts: { useDefaults?: boolean } = {}): ValidateFunction {
  const text = readFileSync(new URL(relativePath, schemasDir), 'utf8');
  const dir = cacheDir();
  if (!dir) return newAjv(opts).compile(JSON.parse(text));
  const key = createHash('sha256')
    .update(`tc-kit-ajv 1\0${versions()}\0${JSON.stringify({ useDefaults: opts.useDefaults ?? false })}\0${text}`)
    .digest('hex');
  const file = join(dir, `ajv-${key}.cjs`);
  let code: string | undefined;
  try {
    code = readFileSync(file, 'utf8');
  } catch {}
  if (code !== undefined) {
    // The same evaluation ajv does for the code it generates, with requires resolved from here.
    const module = { exports: {} as unknown };
    new Function('require', 'module', 'exports', code)(require, module, module.exports);
    return module.exports as ValidateFunction;
  }
  const ajv = newAjv({ ...opts, source: true });
  const validate = ajv.compile(JSON.parse(text));
  const standalone = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default;
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, standalone(ajv, validate), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // Not cached: the next start compiles again.
  }
  return validate;
}

/** One human-readable line per ajv error, naming where in the document it is. */
export function describeErrors(errors: ErrorObject[] | null | undefined, root = ''): string[] {
  const lines: string[] = [];
  for (const e of errors ?? []) {
    let where = root + e.instancePath;
    if (e.keyword === 'required') where += `/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === 'additionalProperties') {
      where += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
      lines.push(`${where || '/'}: is not allowed (unknown property)`);
      continue;
    }
    lines.push(`${where || '/'}: ${e.message ?? e.keyword}`);
  }
  return [...new Set(lines)];
}
