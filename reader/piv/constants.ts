/** PIV (NIST SP 800-73-4) numbers shared by the simulator and the reader agent. */
export const pivAid = Buffer.from('a000000308000010000100', 'hex');

export const objectTags = {
  chuid: 0x5fc102,
  ccc: 0x5fc107,
  authentication: 0x5fc105, // key 9A
  signature: 0x5fc10a, // key 9C
  keyManagement: 0x5fc10b, // key 9D
  cardAuthentication: 0x5fc101, // key 9E
  discovery: 0x7e,
} as const;

/** The certificate object of each key slot. */
export const slotObjects = {
  '9a': objectTags.authentication,
  '9c': objectTags.signature,
  '9d': objectTags.keyManagement,
  '9e': objectTags.cardAuthentication,
} as const;
export type Slot = keyof typeof slotObjects;
export const slots = Object.keys(slotObjects) as Slot[];

export const keyReferences = { pin: 0x80, puk: 0x81, management: 0x9b } as const;

export const algorithms = {
  tdes: 0x03,
  rsa1024: 0x06,
  rsa2048: 0x07,
  aes128: 0x08,
  aes192: 0x0a,
  aes256: 0x0c,
  eccP256: 0x11,
  eccP384: 0x14,
} as const;

/** Status words, named as the standard does. */
export const sw = {
  ok: 0x9000,
  wrongLength: 0x6700,
  securityNotSatisfied: 0x6982,
  blocked: 0x6983,
  conditionsNotSatisfied: 0x6985,
  wrongData: 0x6a80,
  functionNotSupported: 0x6a81,
  notFound: 0x6a82,
  incorrectP1P2: 0x6a86,
  referenceNotFound: 0x6a88,
  insNotSupported: 0x6d00,
  claNotSupported: 0x6e00,
  noPreciseDiagnosis: 0x6f00,
} as const;
