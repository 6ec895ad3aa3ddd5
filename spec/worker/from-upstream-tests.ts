// Worker statements that came from porting generic-worker's own tests (issue 11): each cites the
// upstream test as well as the code. Kept beside config.ts so parallel work does not collide.
import { BOTH, gw, gw11, V11 } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'worker';

export const statements: Statement[] = [
  {
    id: 'worker.config.invalid-public-ip',
    area,
    level: 'MUST',
    text: 'A publicIP that is not an IP address (e.g. 257.1.2.1) stops the worker before it claims anything, with a message naming the value.',
    source: [
      gw('gwconfig/config.go (PublicIP net.IP)'),
      gw('config_test.go (TestInvalidIPConfig)'),
      gw11('config_test.go (TestInvalidIPConfig)'),
    ],
    generations: BOTH,
    divergence:
      'generic-worker fails to load the file (net.IP.UnmarshalText: "invalid IP address: ..."), exit 64; tc-worker loads it and finds it invalid, exit 73, as for every config that parses (see worker.config.unknown-key). Either code is accepted.',
  },
  {
    id: 'worker.config.public-ip-optional',
    area,
    level: 'MUST',
    text: 'publicIP is optional: a worker without it runs tasks (bugzil.la/1540804).',
    source: [gw('config_test.go (TestMissingIPConfig)'), gw11('config_test.go (TestMissingIPConfig)')],
    generations: BOTH,
    divergence:
      "Measured on v106 with the live log on: without publicIP the local exposer (expose/local.go, localExposer.GetURL) formats the nil IP into the live log URL (http://<nil>:<port>/...), the Queue rejects that reference artifact (400), LiveLogTask panics and the run is never resolved. upstream's TestMissingIPConfig only loads the config. tc-worker serves the live log on 127.0.0.1 then.",
  },
  {
    id: 'worker.config.worker-type-metadata',
    area,
    level: 'SHOULD',
    text: 'config workerTypeMetadata appears in each task log\'s "Worker Type (...) settings:" block, beside the worker\'s own entry.',
    source: [
      gw('main.go (loadConfig, logHeader)'),
      gw('config_test.go (TestWorkerTypeMetadata)'),
      gw11('config_test.go (TestWorkerTypeMetadata)'),
    ],
    generations: BOTH,
  },
  {
    id: 'worker.config.separate-task-users-v11',
    area,
    level: 'MUST',
    text: '11.0.1 has no per-task users outside Windows: runTasksAsCurrentUser false there is an invalid config (exit 73).',
    source: [
      gw11('gwconfig/config.go (Validate)'),
      gw11('plat_all-unix-style_test.go (TestSeparateTaskUsersNotSupported)'),
    ],
    generations: V11,
  },
];
