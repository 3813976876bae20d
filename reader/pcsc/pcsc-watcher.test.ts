import { describe, expect, it } from 'vitest';
import { isVirtualReader } from './pcsc-watcher.ts';

// The watcher itself is tested through the real pcscd (test/reader). A second vpcd reader
// named "Virtual PCD" cannot run beside the test reader in one pcscd (seen here: the two
// share the driver's card state), so the name rule is tested on its own.
describe('which readers production ignores', () => {
  it('ignores vpcd\'s stock "Virtual PCD" slots, and nothing else', () => {
    expect(isVirtualReader('Virtual PCD 00 00')).toBe(true);
    expect(isVirtualReader('Virtual PCD 00 01')).toBe(true);
    expect(isVirtualReader('Identiv uTrust 2700 R Smart Card Reader [CCID Interface] 00 00')).toBe(
      false,
    );
    expect(isVirtualReader('RA Test Reader 00 00')).toBe(false);
    expect(isVirtualReader('Virtual PCDX 00 00')).toBe(false);
  });
});
