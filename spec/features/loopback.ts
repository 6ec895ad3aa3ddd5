// features.loopback-audio.* and features.loopback-video.*: kernel loopback devices for a task on Linux
// (loopback_audio_feature_linux.go, loopback_video_feature_linux.go). Cases need a host that can load
// snd-aloop / v4l2loopback and a worker that offers them (requires-tags loopback-audio, loopback-video).
import { CURRENT, gw } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'features';
const audio = gw('loopback_audio_feature_linux.go');
const video = gw('loopback_video_feature_linux.go');

export const statements: Statement[] = [
  {
    id: 'features.loopback-audio.devices',
    area,
    level: 'MUST',
    text: 'features.loopbackAudio loads snd-aloop and gives the task /dev/snd/controlC<N> and pcmC<N>D0c, D0p, D1c, D1p (N = config loopbackAudioDeviceNumber, default 16), group audio, mode 660.',
    source: [audio, gw('gwconfig/config_linux.go'), gw('loopback_audio_linux_test.go (TestLoopbackAudio)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
  {
    id: 'features.loopback-audio.scope-required',
    area,
    level: 'MUST',
    text: 'features.loopbackAudio needs the scope generic-worker:loopback-audio:<provisionerId>/<workerType> (or generic-worker:loopback-audio); without it the run resolves malformed-payload and the log names the scopes.',
    source: [audio, gw('loopback_audio_linux_test.go (TestIncorrectLoopbackAudioScopes)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
  {
    id: 'features.loopback-audio.device-number-range',
    area,
    level: 'MUST',
    text: "A loopbackAudioDeviceNumber above 31 makes a task asking for loopbackAudio resolve exception/internal-error: it is the worker's configuration, not the task, that is wrong.",
    source: [audio, gw('loopback_audio_linux_test.go (TestLoopbackAudioInvalidDeviceNumber)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
  {
    id: 'features.loopback-video.device',
    area,
    level: 'MUST',
    text: 'features.loopbackVideo loads v4l2loopback and gives the task /dev/video<N> (N = config loopbackVideoDeviceNumber), group video, named in TASKCLUSTER_VIDEO_DEVICE.',
    source: [video, gw('gwconfig/config_linux.go'), gw('loopback_video_linux_test.go (TestLoopbackVideo)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
  {
    id: 'features.loopback-video.scope-required',
    area,
    level: 'MUST',
    text: 'features.loopbackVideo needs the scope generic-worker:loopback-video:<provisionerId>/<workerType> (or generic-worker:loopback-video); without it the run resolves malformed-payload and the log names the scopes.',
    source: [video, gw('loopback_video_linux_test.go (TestIncorrectLoopbackVideoScopes)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
];
