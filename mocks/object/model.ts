// The object service, as much as current generic-worker's `object` artifacts need:
// createUpload (dataInline or putUrl), finishUpload, startDownload (simple / getUrl), metadata.
import { conflict, inputError, notFound } from '../errors.ts';
import { iso } from '../util.ts';

export interface Upload {
  name: string;
  projectId: string;
  uploadId: string;
  expires: string;
  hashes: Record<string, string>;
  finished: boolean;
  contentType?: string;
}

export interface ObjectUrls {
  storeUrl: (key: string, method: 'PUT' | 'GET', expires: number) => string;
  downloadUrl: (name: string) => string;
}

const MIN = 60 * 1000;

export const objectKey = (name: string): string => `objects/${name}`;

export class ObjectModel {
  private readonly uploads = new Map<string, Upload>();
  private readonly now: () => number;
  private readonly urls: ObjectUrls;

  constructor(now: () => number, urls: ObjectUrls) {
    this.now = now;
    this.urls = urls;
  }

  /** Returns the chosen upload method; `inline` is set when the data came in the request. */
  createUpload(
    name: string,
    req: {
      projectId: string;
      uploadId: string;
      expires: string;
      hashes?: Record<string, string>;
      proposedUploadMethods: Record<string, any>;
    },
  ): { response: Record<string, any>; inline?: { data: Buffer; contentType: string } } {
    const existing = this.uploads.get(name);
    if (existing) {
      if (existing.finished) throw conflict(`Object \`${name}\` already exists and its upload is finished`);
      if (
        existing.uploadId !== req.uploadId ||
        existing.projectId !== req.projectId ||
        existing.expires !== iso(Date.parse(req.expires))
      ) {
        throw conflict(`Object \`${name}\` already exists with a different uploadId, projectId or expires`);
      }
    }
    const upload: Upload = existing ?? {
      name,
      projectId: req.projectId,
      uploadId: req.uploadId,
      expires: iso(Date.parse(req.expires)),
      hashes: {},
      finished: false,
    };
    if (req.hashes) upload.hashes = { ...upload.hashes, ...req.hashes };
    this.uploads.set(name, upload);
    const proposed = req.proposedUploadMethods ?? {};
    const base = { expires: upload.expires, projectId: upload.projectId, uploadId: upload.uploadId };
    if (proposed.dataInline) {
      const { contentType, objectData } = proposed.dataInline;
      upload.contentType = contentType;
      return {
        response: { ...base, uploadMethod: { dataInline: true } },
        inline: { data: Buffer.from(objectData, 'base64'), contentType },
      };
    }
    if (proposed.putUrl) {
      const { contentType, contentLength } = proposed.putUrl;
      upload.contentType = contentType;
      const expires = this.now() + 60 * MIN;
      return {
        response: {
          ...base,
          uploadMethod: {
            putUrl: {
              url: this.urls.storeUrl(objectKey(name), 'PUT', expires),
              expires: iso(expires),
              headers: { 'Content-Type': contentType, 'Content-Length': String(contentLength) },
            },
          },
        },
      };
    }
    return { response: { ...base, uploadMethod: {} } };
  }

  finishUpload(name: string, req: { projectId: string; uploadId: string; hashes?: Record<string, string> }): void {
    const u = this.uploads.get(name);
    if (!u) throw notFound(`Object \`${name}\` not found`);
    if (u.projectId !== req.projectId) throw inputError('projectId does not match the upload');
    if (u.uploadId !== req.uploadId) {
      if (u.finished) return;
      throw conflict('uploadId does not match the upload in progress');
    }
    for (const [alg, v] of Object.entries(req.hashes ?? {})) {
      if (u.hashes[alg] !== undefined && u.hashes[alg] !== v)
        throw conflict(`Hash ${alg} differs from the one given to createUpload`);
      u.hashes[alg] = v;
    }
    u.finished = true;
  }

  isFinished(name: string): boolean {
    return this.uploads.get(name)?.finished === true;
  }

  get(name: string): Upload {
    const u = this.uploads.get(name);
    if (!u?.finished) throw notFound(`Object \`${name}\` not found`);
    return u;
  }

  startDownload(name: string, accept: Record<string, any>): Record<string, any> {
    const u = this.get(name);
    const now = this.now();
    if (accept.getUrl) {
      const expires = now + 60 * MIN;
      return {
        method: 'getUrl',
        url: this.urls.storeUrl(objectKey(name), 'GET', expires),
        expires: iso(expires),
        hashes: u.hashes,
      };
    }
    if (accept.simple) return { method: 'simple', url: this.simpleUrl(name) };
    throw inputError('None of the accepted download methods is supported (supported: simple, getUrl)');
  }

  /** The "simple" method: a URL that can be fetched with no further steps. */
  simpleUrl(name: string): string {
    return this.urls.storeUrl(objectKey(name), 'GET', this.now() + 60 * MIN);
  }
}
