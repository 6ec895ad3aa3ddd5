// The loopback round trip of the physical floor, in a process of its own like a worker's: `count` Hawk-signed
// GETs of a task's status from the mock Queue, each on a fresh connection (as the workers make them), after a
// few untimed ones. argv: rootUrl, credentials JSON, taskId, count; prints {"meanMs": …}.
import { request } from 'node:http';
import hawk from 'hawk';

const [rootUrl, credsJson, taskId, countArg] = process.argv.slice(2);
const creds = JSON.parse(credsJson!) as { clientId: string; accessToken: string };
const url = `${rootUrl}/api/queue/v1/task/${taskId}/status`;

function once(): Promise<void> {
  const { header } = hawk.client.header(url, 'GET', {
    credentials: { id: creds.clientId, key: creds.accessToken, algorithm: 'sha256' },
  });
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: header }, agent: false }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`status answered ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const count = Number(countArg);
for (let i = 0; i < 5; i++) await once();
const t0 = performance.now();
for (let i = 0; i < count; i++) await once();
process.stdout.write(`${JSON.stringify({ meanMs: (performance.now() - t0) / count })}\n`);
