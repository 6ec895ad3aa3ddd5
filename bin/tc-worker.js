#!/usr/bin/env node
// Entry shim: Node 22 runs the TypeScript source directly (see decisions/0001-architecture.md).
import '../reference/cli.ts';
