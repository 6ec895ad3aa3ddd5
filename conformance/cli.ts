// Entry of tc-conformance (bin/tc-conformance.js imports this): parse argv, run, exit with the verdict.
import { main } from './command.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A worker grandchild holding a pipe must not keep the runner alive once the verdict is in.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err) => {
    console.error(`tc-conformance: internal error: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  },
);
