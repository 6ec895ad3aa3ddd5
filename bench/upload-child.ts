// One artifact upload in a process of its own, so its memory is measured apart from the mock store's.
// argv[2] is a JSON job; one JSON line of figures goes to stdout. Both modes load the same modules, so
// the RSS at start is comparable and only the upload's growth differs.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { once } from 'node:events';
import { ArtifactUploader } from '../reference/artifact-upload.ts';
import { RunCredentials, type TaskCredentials } from '../reference/queue.ts';
import { rssSampler } from './common.ts';

export interface UploadJob {
  mode: 'reference' | 'baseline';
  file: string;
  rootUrl: string;
  credentials: TaskCredentials;
  taskId: string;
  runId: number;
  name: string;
  expires: string;
  /** baseline only: a signed store URL from createArtifact. */
  putUrl?: string;
}

export interface UploadFigures {
  bytes: number;
  ms: number;
  rssStart: number;
  rssPeak: number;
  maxRss: number;
}

/** The baseline: the file piped straight into a node:http PUT, nothing else. */
async function plainPut(url: string, file: string, size: number): Promise<void> {
  const req = httpRequest(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
  });
  createReadStream(file).pipe(req);
  const [res] = await once(req, 'response');
  res.resume();
  await once(res, 'end');
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`baseline PUT answered HTTP ${res.statusCode}`);
}

async function main(job: UploadJob): Promise<UploadFigures> {
  const { size } = await stat(job.file);
  const run = new RunCredentials(job.rootUrl, job.credentials);
  const uploader = new ArtifactUploader(run, job.taskId, job.runId);
  const rssStart = process.memoryUsage.rss();
  const sampler = rssSampler();
  const t0 = performance.now();
  if (job.mode === 'reference') {
    // identity: the streaming path itself (gzip would add a compression pass to a temp file first).
    await uploader.s3({
      name: job.name,
      path: job.file,
      contentType: 'application/octet-stream',
      expires: job.expires,
      encoding: 'identity',
    });
  } else {
    if (!job.putUrl) throw new Error('upload-child: a baseline job needs putUrl');
    await plainPut(job.putUrl, job.file, size);
  }
  const ms = performance.now() - t0;
  const rssPeak = sampler.stop();
  return { bytes: size, ms, rssStart, rssPeak, maxRss: process.resourceUsage().maxRSS * 1024 };
}

const arg = process.argv[2];
if (!arg) {
  process.stderr.write('usage: upload-child.ts <job JSON>\n');
  process.exit(2);
}
main(JSON.parse(arg) as UploadJob).then(
  (figures) => process.stdout.write(`${JSON.stringify(figures)}\n`),
  (err) => {
    process.stderr.write(`upload-child: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
