// Reads fixture case files (fixtures/<area>/<topic>/<behaviour>.json) for the linter and the
// coverage matrix. Files and folders starting with "_" or "." are shared snippets, not cases.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const SCHEMA_FILE = fileURLToPath(new URL('../../schemas/fixture.schema.json', import.meta.url));

export interface CaseFile {
  file: string;
  /** Path below the fixtures directory without .json, "/"-separated: what the case id must be. */
  rel: string;
  data?: any;
  parseError?: string;
}

export function readCaseFiles(dir: string = FIXTURES_DIR): CaseFile[] {
  const out: CaseFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('_') || name.startsWith('.')) continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) {
        const rel = relative(dir, p)
          .split(sep)
          .join('/')
          .replace(/\.json$/, '');
        try {
          out.push({ file: p, rel, data: JSON.parse(readFileSync(p, 'utf8')) });
        } catch (e) {
          out.push({ file: p, rel, parseError: (e as Error).message });
        }
      }
    }
  };
  walk(dir);
  return out;
}
