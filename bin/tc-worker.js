#!/usr/bin/env node
// Entry shim: Node 22 runs the TypeScript source directly (see decisions/0001-architecture.md); ts-cache.js
// first keeps the stripped sources so a warm start need not load the type stripper.
//
// Three V8 settings, set before any of the worker's code runs (decisions/0004-start-up-cost.md): TurboFan off
// (the worker's hot paths are native: pipes, files, zlib, hashing, HTTP; Sparkplug and Maglev still
// compile JS), because the few functions it optimised during start-up cost ~10 MiB of RSS and CPU time on
// a busy machine; and a young generation that does not grow past its initial 1 MiB semi-spaces, since the
// worker allocates little on the JS heap (buffers live outside it) and the grown spaces stayed resident;
// and V8's memory-over-speed trade-offs (--optimize-for-size): an idle worker 1.5 MiB lighter, no task slower.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-opt');
setFlagsFromString('--semi-space-growth-factor=1');
setFlagsFromString('--optimize-for-size');
await import('./ts-cache.js');
await import('../reference/cli.ts');
