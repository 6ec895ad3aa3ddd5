// schemas/profile.schema.json is what tc-conformance checks every profile against: each profile the
// kit ships passes it, and its enums are spec/vocabulary.json's lists (npm run spec writes them).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileProblems } from '../../conformance/profile-check.ts';
import { PROFILE_SCHEMA_FILE, profileSchemaText } from '../../spec/generate.ts';

const KIT = resolve(import.meta.dirname, '../..');
const shipped = [
  ...readdirSync(join(KIT, 'conformance/profiles')).map((f) => join('conformance/profiles', f)),
  ...readdirSync(join(KIT, 'examples'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join('examples', d.name, 'profile.json')),
].filter((f) => f.endsWith('.json'));

describe('schemas/profile.schema.json', () => {
  it('finds the shipped profiles', () => {
    expect(shipped).toContain('conformance/profiles/reference.json');
    expect(shipped).toContain('examples/python-worker/profile.json');
  });

  it.each(shipped)('%s validates: schema, vocabulary, placeholders', (file) => {
    expect(profileProblems(JSON.parse(readFileSync(join(KIT, file), 'utf8')))).toEqual([]);
  });

  it("has the vocabulary's platforms, generations and requires-tags as its enums (npm run spec)", () => {
    const text = readFileSync(PROFILE_SCHEMA_FILE, 'utf8');
    expect(text).toBe(profileSchemaText(text));
  });
});
