// `object` artifacts end to end with taskcluster-client's own upload/download helpers: createArtifact
// (the queue locks the upload in), createUpload (dataInline or putUrl), finishUpload, finishArtifact.
import { Readable, Writable } from 'node:stream';
import taskcluster from 'taskcluster-client';
import slugid from 'slugid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';
import { call, taskBody } from './helpers.ts';

let mock: MockServices;
beforeAll(async () => {
  mock = await startMockServices({ longPollMs: 10 });
});
afterAll(() => mock.close());

const Q = 'prov/wt-object';
const sink = () => {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
};

async function claimOne() {
  const taskId = slugid.nice();
  await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, { creds: mock.admin, body: taskBody(Q) });
  const r = await call(mock.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
    creds: mock.admin,
    body: { workerGroup: 'g', workerId: 'w' },
  });
  return {
    taskId,
    queue: new taskcluster.Queue({ rootUrl: mock.rootUrl, credentials: r.body.tasks[0].credentials, retries: 0 }),
  };
}

describe('object artifacts', () => {
  it.each([
    ['inline', 'small object\n'],
    ['putUrl', 'x'.repeat(20_000)],
  ])('uploads (%s), finishes, and downloads through the queue', async (_how, content) => {
    const { taskId, queue } = await claimOne();
    const expires = new Date(Date.now() + 3600_000).toISOString();
    const name = 'public/build/out.txt';
    const art = await queue.createArtifact(taskId, 0, name, {
      storageType: 'object',
      contentType: 'text/plain',
      expires,
    });
    expect(art).toMatchObject({ storageType: 'object', name: `t/${taskId}/0/${name}`, projectId: 'none', expires });
    const admin = new taskcluster.Queue({ rootUrl: mock.rootUrl, credentials: mock.admin, retries: 0 });
    // Not downloadable before finishArtifact, though listed.
    expect(
      (
        await call(mock.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/runs/0/artifacts/${encodeURIComponent(name)}`, {
          creds: mock.admin,
        })
      ).status,
    ).toBe(404);
    const early = await call(
      mock.rootUrl,
      'PUT',
      `/api/queue/v1/task/${taskId}/runs/0/artifacts/${encodeURIComponent(name)}`,
      {
        creds: mock.admin,
        body: { uploadId: art.uploadId },
      },
    );
    expect(early.body.message).toMatch(/Object storing artifact data does not exist/);

    const object = new taskcluster.Object({ rootUrl: mock.rootUrl, credentials: art.credentials, retries: 0 });
    await taskcluster.upload({
      projectId: art.projectId,
      name: art.name,
      contentType: 'text/plain',
      contentLength: content.length,
      expires: new Date(art.expires),
      uploadId: art.uploadId,
      object,
      streamFactory: async () => Readable.from([Buffer.from(content)]),
      retries: 0,
    });
    await queue.finishArtifact(taskId, 0, name, { uploadId: art.uploadId });
    await queue.finishArtifact(taskId, 0, name, { uploadId: art.uploadId }); // idempotent
    const out = sink();
    await taskcluster.downloadArtifact({
      taskId,
      runId: 0,
      name,
      queue: admin,
      streamFactory: async () => out.stream,
      retries: 0,
    });
    expect(out.text()).toBe(content);
    const redirect = await call(
      mock.rootUrl,
      'GET',
      `/api/queue/v1/task/${taskId}/artifacts/${encodeURIComponent(name)}`,
      { creds: mock.admin },
    );
    expect(redirect.status).toBe(303);
    expect(await (await fetch(redirect.headers.get('location')!)).text()).toBe(content);
    // A second createArtifact for an object artifact is refused (fresh uploadId upstream).
    const again = await call(
      mock.rootUrl,
      'POST',
      `/api/queue/v1/task/${taskId}/runs/0/artifacts/${encodeURIComponent(name)}`,
      {
        creds: mock.admin,
        body: { storageType: 'object', contentType: 'text/plain', expires },
      },
    );
    expect(again.status).toBe(409);
  });

  it('refuses finishArtifact for non-object artifacts and a wrong uploadId', async () => {
    const { taskId, queue } = await claimOne();
    const expires = new Date(Date.now() + 3600_000).toISOString();
    await queue.createArtifact(taskId, 0, 'public/r', {
      storageType: 'reference',
      url: 'https://example.com/',
      contentType: 'text/html',
      expires,
    });
    const r = await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}/runs/0/artifacts/public%2Fr`, {
      creds: mock.admin,
      body: { uploadId: slugid.nice() },
    });
    expect(r.body).toMatchObject({ code: 'InputError' });
    expect(r.body.message).toMatch(/^Only object artifacts can be finished/);
    await queue.createArtifact(taskId, 0, 'public/o', { storageType: 'object', contentType: 'text/plain', expires });
    const w = await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}/runs/0/artifacts/public%2Fo`, {
      creds: mock.admin,
      body: { uploadId: slugid.nice() },
    });
    expect(w.status).toBe(400);
  });
});
