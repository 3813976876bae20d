import { createCipheriv, createDecipheriv } from 'node:crypto';
import { algorithms } from '../piv/constants.ts';
import type { ManagementAlgorithm } from './card-profile.ts';

const ciphers: Record<
  ManagementAlgorithm,
  { name: string; keyLength: number; block: number; id: number }
> = {
  tdes: { name: 'des-ede3', keyLength: 24, block: 8, id: algorithms.tdes },
  aes128: { name: 'aes-128-ecb', keyLength: 16, block: 16, id: algorithms.aes128 },
  aes192: { name: 'aes-192-ecb', keyLength: 24, block: 16, id: algorithms.aes192 },
  aes256: { name: 'aes-256-ecb', keyLength: 32, block: 16, id: algorithms.aes256 },
};

export function managementAlgorithmOf(id: number): ManagementAlgorithm | undefined {
  return (Object.keys(ciphers) as ManagementAlgorithm[]).find((a) => ciphers[a].id === id);
}

export function blockSize(algorithm: ManagementAlgorithm): number {
  return ciphers[algorithm].block;
}

export function keyLength(algorithm: ManagementAlgorithm): number {
  return ciphers[algorithm].keyLength;
}

/** One block, ECB, no padding: what PIV's challenge-response uses. */
export function encryptBlock(algorithm: ManagementAlgorithm, key: Buffer, block: Buffer): Buffer {
  const cipher = createCipheriv(ciphers[algorithm].name, key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

export function decryptBlock(algorithm: ManagementAlgorithm, key: Buffer, block: Buffer): Buffer {
  const decipher = createDecipheriv(ciphers[algorithm].name, key, null).setAutoPadding(false);
  return Buffer.concat([decipher.update(block), decipher.final()]);
}
