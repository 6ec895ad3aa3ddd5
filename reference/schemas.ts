// Loads the JSON Schemas in schemas/ and compiles them with ajv (draft-06, like Taskcluster's own schemas).
// ajv (about 60 modules) is required on the first compile rather than imported with this module, so the
// commands that only read schemas (--help, show-payload-schema) never load it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

export function newAjv(opts: { useDefaults?: boolean } = {}): Ajv {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: opts.useDefaults ?? false });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  const addFormats = require('ajv-formats') as (a: Ajv) => void;
  addFormats(ajv);
  // Descriptive extension keywords used in our schemas.
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  return ajv;
}

export function compile(relativePath: string, opts: { useDefaults?: boolean } = {}): ValidateFunction {
  return newAjv(opts).compile(readSchema(relativePath));
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
