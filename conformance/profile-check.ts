// A profile is checked whole before any case runs: against schemas/profile.schema.json (its keys, and
// spec/vocabulary.json's platforms and requires-tags as enums) and for placeholders the runner does
// not know. Each problem names the field as a JSON pointer, so the user can go straight to it.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { placeholderProblems } from './placeholders.ts';

// Not profiles.ts's KIT_DIR: profiles.ts imports this module.
export const PROFILE_SCHEMA_FILE = new URL('../schemas/profile.schema.json', import.meta.url);

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let validate: Validate | undefined;

function validator(): Validate {
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
    validate = ajv.compile(JSON.parse(readFileSync(PROFILE_SCHEMA_FILE, 'utf8'))) as Validate;
  }
  return validate;
}

/** Problems with a parsed profile, each `<JSON pointer>: <what is wrong>`; empty when it is usable. */
export function profileProblems(data: unknown): string[] {
  const v = validator();
  if (!v(data)) return schemaMessages(v.errors ?? []);
  const p = data as Record<string, unknown>;
  return [
    ...placeholderProblems(p.command, '/command', { env: true }),
    ...placeholderProblems(p.program, '/program', { env: true }),
    ...placeholderProblems(p.configTemplate, '/configTemplate', { env: true }),
    ...placeholderProblems(p.configForRequires, '/configForRequires', { env: true }),
  ].map((x) => `${x.pointer}: ${x.message}`);
}

function schemaMessages(errors: ErrorObject[]): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const at = e.instancePath || '/';
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      out.push(`${at === '/' ? '' : at}/${key}: not a profile key (${PROFILE_KEYS().join(', ')})`);
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      // A bad property name (propertyNames) is reported at the object, with the name aside.
      const where = e.propertyName === undefined ? at : `${at}/${e.propertyName}`;
      const what = e.propertyName === undefined ? JSON.stringify(e.data) : JSON.stringify(e.propertyName);
      out.push(`${where}: ${what} is not one of ${allowed.join(', ')}${vocabularyOf(at)}`);
    } else if (e.keyword !== 'propertyNames') {
      // (propertyNames: ajv reports the bad name itself in the enum error that follows.)
      if (e.keyword === 'required') out.push(`/${(e.params as { missingProperty: string }).missingProperty}: required`);
      else out.push(`${at}: ${e.message}`);
    }
  }
  return [...new Set(out)];
}

function vocabularyOf(at: string): string {
  if (at.startsWith('/platforms')) return ' (spec/vocabulary.json platforms)';
  if (at.startsWith('/unsupported') || at.startsWith('/configForRequires'))
    return ' (spec/vocabulary.json requires-tags)';
  return '';
}

const PROFILE_KEYS = () =>
  Object.keys(JSON.parse(readFileSync(PROFILE_SCHEMA_FILE, 'utf8')).properties as object).filter(
    (k) => !k.startsWith('$'),
  );
