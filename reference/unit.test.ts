import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guessContentType, shouldGzip } from './artifact-upload.ts';
import { Reclaimer } from './reclaimer.ts';
import { scopeSatisfied, scopesSatisfied } from './scopes.ts';
import { goDuration, shellQuote, TaskLog } from './task-log.ts';

describe('task log format (generic-worker §3.2)', () => {
  it('prefixes info/warn lines with a millisecond UTC timestamp and errors without one', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'log-')), 'live_backing.log');
    const log = new TaskLog(path);
    log.info('hello\nworld');
    log.warn('careful');
    log.error('broken');
    log.write('raw output\n');
    log.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    const ts = '20\\d{2}-[01]\\d-[0123]\\dT[012]\\d:[0-5]\\d:[0-5]\\d\\.\\d{3}Z';
    expect(lines[0]).toMatch(new RegExp(`^\\[taskcluster ${ts}\\] hello$`));
    expect(lines[1]).toMatch(new RegExp(`^\\[taskcluster ${ts}\\] world$`));
    expect(lines[2]).toMatch(new RegExp(`^\\[taskcluster:warn ${ts}\\] careful$`));
    expect(lines[3]).toBe('[taskcluster:error] broken');
    expect(lines[4]).toBe('raw output');
    expect(log.size).toBe(readFileSync(path).length);
  });

  it('quotes argv like a shell and prints Go-style durations', () => {
    expect(shellQuote(['/bin/bash', '-c', "echo 'hi' there"])).toBe(`/bin/bash -c 'echo '\\''hi'\\'' there'`);
    expect(goDuration(1500)).toBe('1.5s');
    expect(goDuration(12)).toBe('12ms');
    expect(goDuration(61_000)).toBe('1m1s');
  });
});

describe('artifact content type and encoding (generic-worker §3.3)', () => {
  it('gzips everything except already-compressed extensions', () => {
    expect(shouldGzip('a/b.txt')).toBe(true);
    expect(shouldGzip('x.log')).toBe(true);
    for (const p of ['a.jpg', 'a.png', 'a.gz', 'a.tgz', 'a.zip', 'a.whl', 'a.xz', 'a.woff2'])
      expect(shouldGzip(p)).toBe(false);
  });

  it('guesses the content type from the extension', () => {
    expect(guessContentType('x.log')).toBe('text/plain');
    expect(guessContentType('x.json')).toBe('application/json');
    expect(guessContentType('x.html')).toBe('text/html; charset=utf-8');
    expect(guessContentType('x.txt')).toBe('text/plain; charset=utf-8');
    expect(guessContentType('x.jsonl')).toBe('application/jsonl');
    expect(guessContentType('x.unknownext')).toBe('application/octet-stream');
  });
});

describe('scopes', () => {
  it('matches exact scopes and trailing-star prefixes, AnyOf of AllOf', () => {
    expect(scopeSatisfied(['queue:*'], 'queue:claim-work:a/b')).toBe(true);
    expect(scopeSatisfied(['queue:claim-work:a/b'], 'queue:claim-work:a/c')).toBe(false);
    expect(scopesSatisfied([], undefined)).toBe(true);
    expect(scopesSatisfied(['a', 'b'], [['a', 'c'], ['b']])).toBe(true);
    expect(scopesSatisfied(['a'], [['a', 'c']])).toBe(false);
  });
});

describe('reclaim timing', () => {
  it('reclaims reclaimBeforeSecs ahead of takenUntil, or at half the remaining time when nearer', () => {
    expect(Reclaimer.delayMs(20 * 60_000, 180)).toBe(17 * 60_000);
    expect(Reclaimer.delayMs(4000, 180)).toBe(2000);
    expect(Reclaimer.delayMs(-5, 180)).toBe(200);
  });
});
