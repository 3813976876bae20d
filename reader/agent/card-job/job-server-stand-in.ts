import { createCipheriv, hkdfSync, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CertificateAuthorities,
  createCertificateAuthorities,
} from '../../../pki/ca/create-ca.ts';
import { issueCertificate } from '../../../pki/ca/issue-certificate.ts';
import type { CardJobKind, StepBody } from './job-protocol.ts';

/**
 * A stand-in for the RA server's side of docs/card-jobs.md, for the agent's unit tests only.
 * It is here because the server side is being built at the same time as the agent; the
 * end-to-end tests under test/reader run the agent against the real server. It answers over
 * real HTTP with real crypto: management-key challenges encrypted under 3DES/AES keys (the
 * factory transport key, or one derived per card with HKDF as the server derives it),
 * certificates signed by a real CA (pki/ca) for the public keys the card made, fresh PUKs.
 */

export const transportKey = Buffer.from('010203040506070801020304050607080102030405060708', 'hex');
export const credential = 'stand-in-credential';

type KeyName = 'transport' | 'derived';

export interface StandInCard {
  serial: string;
  /** The management keys offered at a challenge, likeliest first. */
  managementKeys: KeyName[];
  /** The key the card took at the last management_authenticated. */
  authenticatedWith?: KeyName;
  /** The PUKs offered at puk_requested, likeliest first. */
  puks: string[];
  /** Set at puk_requested, current at puk_changed. */
  pendingPuk?: string;
}

export interface StandInJob {
  id: string;
  nonce: string;
  kind: CardJobKind;
  cardSerial: string;
  issuedLocked: boolean;
  selfService: boolean;
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  steps: StepBody[];
  /** Certificates issued by keys_generated, DER by slot. */
  certificates?: Record<string, Buffer>;
  failure?: { error: string; during?: string };
}

const cipherOf = (key: Buffer) =>
  key.length === 24 ? 'des-ede3' : key.length === 16 ? 'aes-128-ecb' : 'aes-256-ecb';
const encrypt = (key: Buffer, block: Buffer) => {
  const c = createCipheriv(cipherOf(key), key, null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
};

/** Steps that may follow each step, per kind (a repeated challenge: the next candidate). */
const next: Record<string, string[]> = {
  management_challenge: ['management_challenge', 'management_authenticated'],
  management_authenticated: ['management_key_apdu', 'keys_generated'],
  management_key_apdu: ['management_key_set'],
  management_key_set: ['keys_generated'],
  pin_verified: ['management_challenge'],
  keys_generated: ['certificates_written'],
  puk_requested: ['pin_set'],
  pin_set: ['puk_changed'],
  puk_changed: ['completed'],
};
function allowed(job: StandInJob, step: string): boolean {
  const last = job.steps.at(-1)?.step;
  if (!last) {
    if (job.kind === 'unlock') return step === 'puk_requested';
    if (job.kind === 'renew' && job.selfService) return step === 'pin_verified';
    return step === 'management_challenge';
  }
  // Issue asks for the PUKs with the keys, then writes the certificates and sets the PIN.
  if (job.kind === 'issue' && last === 'keys_generated') return step === 'puk_requested';
  if (job.kind === 'issue' && last === 'puk_requested') return step === 'certificates_written';
  if (last === 'certificates_written')
    return step === (job.kind === 'issue' ? 'pin_set' : 'completed');
  if (last === 'management_authenticated' && step === 'keys_generated') return job.kind === 'renew';
  return next[last]?.includes(step) ?? false;
}

export class JobServerStandIn {
  readonly jobs = new Map<string, StandInJob>();
  readonly cards = new Map<string, StandInCard>();
  /** Every request body as it arrived, to check that no PIN ever reached the server. */
  readonly bodies: string[] = [];
  private readonly master = randomBytes(32);
  private server: Server | undefined;
  private cas: CertificateAuthorities | undefined;
  origin = '';

  derivedKey(serial: string): Buffer {
    return Buffer.from(
      hkdfSync('sha256', this.master, Buffer.from(serial), 'piv management key', 24),
    );
  }

  keyOf(name: KeyName, serial: string) {
    return name === 'transport' ? transportKey : this.derivedKey(serial);
  }

  card(serial: string, change: Partial<StandInCard> = {}): StandInCard {
    const card = {
      serial,
      managementKeys: ['transport'],
      puks: ['12345678'],
      ...change,
    } satisfies StandInCard;
    this.cards.set(serial, card);
    return card;
  }

  job(
    kind: CardJobKind,
    cardSerial: string,
    options: Partial<Pick<StandInJob, 'issuedLocked' | 'selfService'>> = {},
  ) {
    const job: StandInJob = {
      id: randomUUID(),
      nonce: randomBytes(16).toString('base64url'),
      kind,
      cardSerial,
      issuedLocked: options.issuedLocked ?? false,
      selfService: options.selfService ?? false,
      state: 'pending',
      steps: [],
    };
    this.jobs.set(job.id, job);
    return job;
  }

  async start(): Promise<void> {
    this.cas = await createCertificateAuthorities({ organisation: 'Stand-in Trust' });
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        this.bodies.push(body);
        const send = (status: number, answer: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer));
        };
        const refuse = (status: number, code: string, message: string) =>
          send(status, { error: { code, message } });
        if (req.headers.authorization !== `Bearer ${credential}`)
          return refuse(401, 'UNAUTHENTICATED', 'This workstation credential is not valid.');
        const match = /^\/api\/agent\/jobs\/([^/]+)\/(start|steps)$/.exec(req.url ?? '');
        const job = match ? this.jobs.get(decodeURIComponent(match[1] ?? '')) : undefined;
        if (!match || !job || req.method !== 'POST')
          return refuse(404, 'NOT_FOUND', 'No such job.');
        this.answer(job, match[2] as 'start' | 'steps', JSON.parse(body)).then(
          ([status, answer]) => send(status, answer),
          (err: Error) => refuse(500, 'INTERNAL', err.message),
        );
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async answer(
    job: StandInJob,
    what: 'start' | 'steps',
    body: Record<string, unknown>,
  ): Promise<[number, unknown]> {
    const conflict = (code: string, message: string): [number, unknown] => [
      409,
      { error: { code, message } },
    ];
    const jobView = () => ({
      id: job.id,
      kind: job.kind,
      cardSerial: job.cardSerial,
      issuedLocked: job.issuedLocked,
      selfService: job.selfService,
      managementAlgorithm: 'tdes',
      state: job.state,
    });
    if (what === 'start') {
      if (job.state !== 'pending' || body.nonce !== job.nonce)
        return conflict('JOB_NOT_STARTABLE', 'This job cannot be started: wrong or used nonce.');
      const serial = (body.card as { serial?: string } | undefined)?.serial;
      if (serial !== job.cardSerial)
        return conflict(
          'WRONG_CARD',
          `This job is for card ${job.cardSerial}; the reader holds ${serial}`,
        );
      job.state = 'running';
      return [200, { job: jobView() }];
    }
    if (job.state !== 'running') return conflict('CONFLICT', 'This job has ended.');
    // Several steps in one call: all in order, or none recorded; the answer holds each one's.
    const steps = Array.isArray(body.steps) ? (body.steps as StepBody[]) : [body as StepBody];
    const trial = { ...job, steps: [...job.steps] };
    for (const step of steps) {
      if (step.step !== 'failed' && !allowed(trial, step.step))
        return conflict('CONFLICT', `The step ${step.step} is out of order.`);
      trial.steps.push(step);
    }
    let status = 200;
    let answer: Record<string, unknown> = {};
    for (const step of steps) {
      const [s, a] = await this.answerStep(job, step, jobView);
      status = s;
      answer = s === 200 ? { ...answer, ...(a as Record<string, unknown>) } : (a as typeof answer);
    }
    return [status, answer];
  }

  private async answerStep(
    job: StandInJob,
    step: StepBody,
    jobView: () => Record<string, unknown>,
  ): Promise<[number, unknown]> {
    const conflict = (code: string, message: string): [number, unknown] => [
      409,
      { error: { code, message } },
    ];
    const card = this.cards.get(job.cardSerial);
    if (!card) throw new Error(`the stand-in knows no card ${job.cardSerial}`);
    if (step.step === 'failed') {
      job.state = 'failed';
      job.failure = { error: step.error, ...(step.during ? { during: step.during } : {}) };
      job.steps.push(step);
      return [200, { job: jobView() }];
    }
    if (!allowed(job, step.step))
      return conflict('CONFLICT', `The step ${step.step} is out of order.`);
    job.steps.push(step);
    switch (step.step) {
      case 'management_challenge': {
        const challenge = Buffer.from(step.challenge, 'hex');
        const responses = card.managementKeys.map((k) =>
          encrypt(this.keyOf(k, card.serial), challenge).toString('hex'),
        );
        return [200, { responses }];
      }
      case 'management_authenticated':
        card.authenticatedWith = card.managementKeys[step.candidate];
        return [200, {}];
      case 'management_key_apdu': {
        if (card.authenticatedWith === 'derived') {
          // Nothing to change, and (as on the server) nothing recorded.
          job.steps.pop();
          return [200, { apdu: null }];
        }
        const key = this.derivedKey(card.serial);
        const apdu = Buffer.concat([
          Buffer.from([0x00, 0xff, 0xff, 0xff, 3 + key.length, 0x03, 0x9b, key.length]),
          key,
        ]);
        return [200, { apdu: apdu.toString('hex') }];
      }
      case 'management_key_set':
        card.managementKeys = ['derived'];
        return [200, {}];
      case 'keys_generated': {
        const holder = {
          name: 'Nia Okafor',
          uuid: '555086689106',
          upn: '555086689106@nhs.example',
          email: 'nia.okafor@nhs.example',
        };
        const certificates: Record<string, Buffer> = {};
        for (const [slot, profile] of [
          ['9a', 'authentication'],
          ['9c', 'signature'],
        ] as const) {
          const issued = await issueCertificate({
            issuingCa: this.cas?.issuing as CertificateAuthorities['issuing'],
            subjectPublicKeyInfo: Buffer.from(step.publicKeys[slot], 'base64'),
            holder,
            profile,
            baseUrl: 'https://ra.example.test',
          });
          certificates[slot] = issued.certificate;
        }
        job.certificates = certificates;
        return [
          200,
          {
            certificates: {
              '9a': certificates['9a']?.toString('base64'),
              '9c': certificates['9c']?.toString('base64'),
            },
          },
        ];
      }
      case 'puk_requested':
        card.pendingPuk = String(randomInt(0, 100_000_000)).padStart(8, '0');
        return [200, { puks: card.puks, newPuk: card.pendingPuk }];
      case 'puk_changed':
        card.puks = [card.pendingPuk as string];
        card.pendingPuk = undefined;
        return [200, {}];
      case 'completed':
        job.state = 'succeeded';
        return [200, { job: jobView() }];
      default:
        return [200, {}];
    }
  }
}
