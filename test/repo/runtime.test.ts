import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

describe('repository runtime', () => {
  it('runs on the Node 22 the project installs', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  it('pins every dependency to an exact version', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
    const all = { ...pkg.dependencies, ...pkg.devDependencies } as Record<string, string>;
    const loose = Object.entries(all).filter(([, v]) => !/^\d+\.\d+\.\d+$/.test(v));
    expect(loose).toEqual([]);
  });

  it('declares bins that exist and run TypeScript without a build', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
    for (const file of Object.values(pkg.bin as Record<string, string>)) {
      expect(existsSync(new URL(file, root))).toBe(true);
    }
    const out = execFileSync(process.execPath, ['-e', 'const x: number = 1; console.log(x + 1)'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(out.trim()).toBe('2');
  });
});
