// Artifact rules of the model: overwrite compatibility (queue-worker-interaction.md §4.4), links,
// expiry, and the checks before authorization.
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import { type ModelHarness, modelHarness } from './testing.ts';

let h: ModelHarness;
afterEach(() => h?.model.close());
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof ApiError ? `${e.status} ${e.code}` : String(e);
  }
};

function claimed(): string {
  const id = h.create();
  h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
  return id;
}
const inHour = () => new Date(h.now() + 3600_000).toISOString();

describe('createArtifact', () => {
  it('applies the overwrite rules: identical ok, longer expiry ok, shorter/contentType/details 409, reference→link ok', () => {
    h = modelHarness();
    const id = claimed();
    const create = (name: string, body: Record<string, unknown>) => () => h.model.createArtifact(id, 0, name, body);
    const ref = { storageType: 'reference', url: 'https://a.example/', contentType: 'text/plain', expires: inHour() };
    expect(codeOf(create('r', ref))).toBe('ok');
    expect(codeOf(create('r', ref))).toBe('ok');
    expect(codeOf(create('r', { ...ref, url: 'https://b.example/' }))).toBe('ok'); // reference URLs may change
    expect(codeOf(create('r', { ...ref, contentType: 'text/html' }))).toBe('409 RequestConflict');
    expect(codeOf(create('r', { ...ref, expires: new Date(h.now() + 60_000).toISOString() }))).toBe(
      '409 RequestConflict',
    );
    expect(codeOf(create('r', { ...ref, expires: new Date(h.now() + 7200_000).toISOString() }))).toBe('ok');
    expect(
      codeOf(
        create('r', { storageType: 'link', artifact: 'target', expires: new Date(h.now() + 7200_000).toISOString() }),
      ),
    ).toBe('ok');
    const err = { storageType: 'error', reason: 'file-missing-on-worker', message: 'm', expires: inHour() };
    expect(codeOf(create('e', err))).toBe('ok');
    expect(codeOf(create('e', { ...err, message: 'other' }))).toBe('409 RequestConflict');
    expect(codeOf(create('e', { storageType: 's3', contentType: 'application/binary', expires: inHour() }))).toBe(
      '409 RequestConflict',
    );
  });

  it('checks in the real order (after the route authorized): expiry, task, run, claim, task.expires, run state', () => {
    h = modelHarness();
    const id = claimed();
    const pending = h.create();
    const body = (expires: string) => ({
      storageType: 'error',
      reason: 'file-missing-on-worker',
      message: 'm',
      expires,
    });
    expect(codeOf(() => h.model.createArtifact(id, 0, 'x', body(new Date(h.now() - 16 * 60_000).toISOString())))).toBe(
      '400 InputError',
    );
    expect(codeOf(() => h.model.createArtifact('nosuchtaskQaaaaaaaaaaA', 0, 'x', body(inHour())))).toBe(
      '400 InputError',
    );
    expect(codeOf(() => h.model.createArtifact(id, 1, 'x', body(inHour())))).toBe('400 InputError');
    expect(codeOf(() => h.model.createArtifact(pending, 0, 'x', body(inHour())))).toBe('400 InputError');
    expect(
      codeOf(() => h.model.createArtifact(id, 0, 'x', body(new Date(h.now() + 400 * 24 * 3600_000).toISOString()))),
    ).toBe('400 InputError');
    h.model.reportResolved(id, 0, 'failed');
    expect(codeOf(() => h.model.createArtifact(id, 0, 'x', body(inHour())))).toBe('409 RequestConflict');
  });
});

describe('reading artifacts', () => {
  it('follows links, detects cycles, answers 424 content for errors and 410 once expired', () => {
    h = modelHarness();
    const id = claimed();
    const mk = (name: string, body: Record<string, unknown>) =>
      h.model.createArtifact(id, 0, name, { expires: inHour(), ...body });
    mk('target', { storageType: 'reference', url: 'https://x.example/', contentType: 'text/plain' });
    mk('l1', { storageType: 'link', artifact: 'target' });
    mk('c1', { storageType: 'link', artifact: 'c2' });
    mk('c2', { storageType: 'link', artifact: 'c1' });
    mk('err', { storageType: 'error', reason: 'file-missing-on-worker', message: 'gone' });
    const seen: string[][] = [];
    const follow = (name: string) => h.model.followLinks(id, 0, name, (names) => seen.push(names));
    const l = follow('l1');
    expect(seen).toEqual([['l1'], ['l1', 'target']]); // every hop is authorized before it is read
    expect(h.model.artifactAnswer(l)).toEqual({
      kind: 'redirect',
      storageType: 'reference',
      url: 'https://x.example/',
    });
    expect(codeOf(() => follow('c1'))).toBe('400 InputError');
    const e = follow('err');
    expect(h.model.artifactAnswer(e)).toMatchObject({
      kind: 'error',
      reason: 'file-missing-on-worker',
      message: 'gone',
    });
    expect(h.model.artifactContent(e)).toEqual({
      storageType: 'error',
      reason: 'file-missing-on-worker',
      message: 'gone',
    });
    expect(codeOf(() => follow('nope'))).toBe('404 ResourceNotFound');
    h.advance(3600_001);
    expect(codeOf(() => follow('target'))).toBe('410 ResourceExpired');
    const unscheduled = h.create({ dependencies: [id] });
    expect(codeOf(() => h.model.latestRunId(unscheduled))).toBe('404 ResourceNotFound');
  });
});
