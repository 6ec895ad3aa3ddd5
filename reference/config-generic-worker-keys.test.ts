// Config keys taken from generic-worker v106 for issue 11: publicIP is checked as generic-worker's net.IP
// is, maxTaskRunTime and the keys of features tc-worker does not implement load with their defaults.
import { describe, expect, it } from 'vitest';
import { validateConfig } from './config.ts';
import { exitOf, minimalConfig as minimal } from './config-test-support.ts';

describe('generic-worker v106 config keys', () => {
  it('refuses a publicIP that is not an IP address (exit 73), naming the value', () => {
    const { code, message } = exitOf(() => validateConfig({ ...minimal, publicIP: '257.1.2.1' }, 'linux', 'f.json'));
    expect(code).toBe(73);
    expect(message).toContain("config property 'publicIP': invalid IP address: 257.1.2.1");
  });

  it('takes IPv4 and IPv6 addresses, and no publicIP at all', () => {
    expect(validateConfig({ ...minimal, publicIP: '2.1.2.1' }, 'linux').publicIP).toBe('2.1.2.1');
    expect(validateConfig({ ...minimal, publicIP: '::1' }, 'linux').publicIP).toBe('::1');
    expect(validateConfig(minimal, 'linux').publicIP).toBeUndefined();
  });

  it('loads maxTaskRunTime and the keys of unimplemented features with generic-worker-compatible defaults', () => {
    const cfg = validateConfig(minimal, 'linux');
    expect(cfg.maxTaskRunTime).toBe(86400);
    expect([cfg.enableInteractive, cfg.enableLoopbackAudio, cfg.enableLoopbackVideo]).toEqual([false, false, false]);
    expect(cfg.loopbackAudioDeviceNumber).toBe(16);
    expect(
      validateConfig({ ...minimal, d2gConfig: { enableD2G: false }, interactivePort: 53654 }, 'linux').d2gConfig,
    ).toEqual({
      enableD2G: false,
    });
  });
});
