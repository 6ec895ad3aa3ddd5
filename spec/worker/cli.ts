// worker.cli.*: the command-line targets besides run.
import { BOTH, CURRENT, gw, gw11, gwb, V11 } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './cli.check.ts';

const area = 'worker';

export const statements: Statement[] = [
  {
    id: 'worker.cli.show-payload-schema',
    area,
    level: 'MUST',
    text: 'show-payload-schema prints the payload JSON schema, which requires command and maxRunTime.',
    source: [gwb('6.2'), gw11('main.go'), gw('main.go')],
    generations: BOTH,
    check: c.showPayloadSchema,
  },
  {
    id: 'worker.cli.version',
    area,
    level: 'MUST',
    text: '--version prints the worker name and its version.',
    source: [gwb('6.2'), gw11('main.go')],
    generations: BOTH,
    check: c.version,
  },
  {
    id: 'worker.cli.help-exit-codes',
    area,
    level: 'SHOULD',
    text: '--help prints the usage, including an "Exit Codes:" section.',
    source: [gwb('6.2'), gw('main_test.go')],
    generations: BOTH,
  },
  {
    id: 'worker.cli.new-ed25519-keypair',
    area,
    level: 'MUST',
    text: 'new-ed25519-keypair --file F writes the base64 seed to F and prints the base64 public key.',
    source: [gwb('4.3'), gw('main.go')],
    generations: CURRENT,
    check: c.ed25519Keypair,
  },
  {
    id: 'worker.cli.new-openpgp-keypair',
    area,
    level: 'MUST',
    text: '11.0.1 new-openpgp-keypair --file F writes an armored private key to F and prints the armored public key.',
    source: [gwb('4.3'), gw11('main.go')],
    generations: V11,
    check: c.openpgpKeypair,
  },
];
