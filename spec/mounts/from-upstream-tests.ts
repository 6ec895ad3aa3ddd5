// Mount statements that came from porting generic-worker's own tests (issue 11): each cites the
// upstream test as well as the code. Kept beside mounts.ts so parallel work does not collide.
import { BOTH, CURRENT, gw, gw11 } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'mounts';
const feature = gw('mounts_feature.go');

export const statements: Statement[] = [
  {
    id: 'mounts.file.decompressed',
    area,
    level: 'MUST',
    text: 'A file mount with a format (gz, bz2, xz, zst, ...) holds the decompressed content.',
    source: [feature, gw('mounts_test.go (TestFileMountWithCompression)')],
    generations: CURRENT,
    divergence:
      'v106 knows br, bz2, gz, lz, lz4, mz, sz, xz, zst and zz; tc-worker decompresses br, bz2, gz, xz and zst and refuses the others as malformed-payload. The cases use gz, bz2, xz and zst.',
  },
  {
    id: 'mounts.file.sha256-reported',
    area,
    level: 'SHOULD',
    text: 'Content mounted without a declared sha256 is used, and the log gives its SHA256, saying "task payload does not declare a required value, so content authenticity cannot be verified".',
    source: [feature, gw('mounts_test.go (TestFileMountNoSHA256, TestWritableDirectoryCacheNoSHA256)')],
    generations: CURRENT,
  },
  {
    id: 'mounts.entry.path-conflict',
    area,
    level: 'MUST',
    text: 'Two mounts at one path (a file, then a directory) fail the task before any command runs.',
    source: [
      feature,
      gw('mounts_test.go (TestMountFileAndDirSameLocation)'),
      gw11('mounts_test.go (TestMountFileAndDirSameLocation)'),
    ],
    generations: BOTH,
  },
  {
    id: 'mounts.cache.moved-fails',
    area,
    level: 'MUST',
    text: 'A task that moves its writable cache directory away resolves failed/failed, since the cache cannot be persisted, even when its commands succeeded.',
    source: [feature, gw('mounts_test.go (TestCacheMoved)'), gw11('mounts_test.go (TestCacheMoved)')],
    generations: BOTH,
  },
  {
    id: 'mounts.cache.kept-after-mount-failure',
    area,
    level: 'MUST',
    text: 'When a later mount of a task fails (e.g. a SHA256 mismatch), the writable caches already mounted are still persisted for the next task.',
    source: [
      feature,
      gw('mounts_test.go (TestInvalidSHADoesNotPreventMountedMountsFromBeingUnmounted)'),
      gw11('mounts_test.go (TestInvalidSHADoesNotPreventMountedMountsFromBeingUnmounted)'),
    ],
    generations: BOTH,
  },
  {
    id: 'mounts.read-only.formats',
    area,
    level: 'MUST',
    text: 'Read-only directories and preloaded caches accept zip, tar.gz and tar.bz2 archives (current also tar.xz and tar.zst).',
    source: [feature, gw('generated_insecure_linux.go (readOnlyDirectory.format)'), gw11('mounts.go')],
    generations: BOTH,
  },
  {
    id: 'mounts.read-only.hard-links',
    area,
    level: 'MUST',
    text: 'Hard links in a tar archive are extracted as files with the linked content.',
    source: [
      gw('mounts_insecure_test.go (TestHardLinksInArchive)'),
      gw('mounts_multiuser_test.go (TestHardLinksInArchive)'),
    ],
    generations: CURRENT,
  },
];
