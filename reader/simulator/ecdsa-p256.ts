import { randomBytes } from 'node:crypto';

/**
 * ECDSA on P-256 over a digest the caller has already hashed, as a PIV card signs. Node's
 * crypto always hashes its input first, so the card's raw operation is written out here.
 * Simulator only: constant time is not a goal.
 */
const p = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const G = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};
type Point = { x: bigint; y: bigint } | null;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function pow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}
const inv = (a: bigint, m: bigint) => pow(a, m - 2n, m);

function add(P: Point, Q: Point): Point {
  if (!P) return Q;
  if (!Q) return P;
  if (P.x === Q.x && mod(P.y + Q.y, p) === 0n) return null;
  const l =
    P.x === Q.x && P.y === Q.y
      ? mod(3n * P.x * P.x - 3n, p) * inv(2n * P.y, p)
      : mod(Q.y - P.y, p) * inv(mod(Q.x - P.x, p), p);
  const lambda = mod(l, p);
  const x = mod(lambda * lambda - P.x - Q.x, p);
  return { x, y: mod(lambda * (P.x - x) - P.y, p) };
}

function multiply(k: bigint, P: Point): Point {
  let result: Point = null;
  let addend = P;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

const toBig = (b: Buffer) => BigInt(`0x${b.toString('hex') || '0'}`);
function derInteger(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** Signs `digest` with private scalar `d`; returns the DER `SEQUENCE { r, s }`. */
export function signDigest(d: Buffer, digest: Buffer): Buffer {
  const e = toBig(digest.subarray(0, 32));
  const key = toBig(d);
  for (;;) {
    const k = mod(toBig(randomBytes(40)), n - 1n) + 1n;
    const R = multiply(k, G);
    if (!R) continue;
    const r = mod(R.x, n);
    if (r === 0n) continue;
    const s = mod(inv(k, n) * (e + r * key), n);
    if (s === 0n) continue;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  }
}
