#!/usr/bin/env node
// Entry shim: Node 22 runs the TypeScript source directly (see decisions/0001-architecture.md); ts-cache.js
// first keeps the stripped sources so a warm start need not load the type stripper.
import './ts-cache.js';

await import('../reference/cli.ts');
