// The chain-of-trust certificate (generic-worker-behaviour.md §4.1): what the worker vouches for,
// serialised as generic-worker does (2-space indented JSON); the signatures cover these exact bytes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

export interface CotEnvironment {
  publicIpAddress?: string;
  privateIpAddress?: string;
  instanceId?: string;
  instanceType?: string;
  region?: string;
}

export interface Certificate {
  chainOfTrustVersion: 1;
  artifacts: Record<string, { sha256: string }>;
  task: unknown;
  taskId: string;
  runId: number;
  workerGroup: string;
  workerId: string;
  environment: CotEnvironment;
}

export function buildCertificate(c: Omit<Certificate, 'chainOfTrustVersion'>): Certificate {
  // Fixed key order so the bytes are stable for a given input.
  const artifacts: Record<string, { sha256: string }> = {};
  for (const name of Object.keys(c.artifacts).sort()) artifacts[name] = { sha256: c.artifacts[name]!.sha256 };
  return {
    chainOfTrustVersion: 1,
    artifacts,
    task: c.task,
    taskId: c.taskId,
    runId: c.runId,
    workerGroup: c.workerGroup,
    workerId: c.workerId,
    environment: c.environment,
  };
}

export function serialiseCertificate(cert: Certificate): string {
  return JSON.stringify(cert, null, 2);
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
