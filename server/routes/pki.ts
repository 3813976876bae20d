import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ocspErrorResponse } from '../../pki/ca/ocsp.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import {
  answerOcsp,
  caCertificate,
  currentCrl,
  type LoadedCertificateAuthority,
} from '../services/pki/certificate-authority.ts';

/**
 * The CA's publication points: public by protocol (relying parties fetch them without any
 * login), outside `/api` so none of the API's JSON, session or CSRF middleware applies.
 * They answer binary DER, and `POST /pki/ocsp` takes a binary body with no CSRF token: it
 * changes nothing, and OCSP clients cannot send one.
 */
const binary = z.string().openapi({ type: 'string', format: 'binary' });
const der = (type: string, description: string) => ({
  description,
  content: { [type]: { schema: binary } },
});
const absent = {
  description: 'No certificate authority has been created yet',
  content: {
    'application/json': {
      schema: z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
    },
  },
};
const published = 'public, max-age=300';

const rootCert = defineRoute({
  method: 'get',
  path: '/pki/root.crt',
  operationId: 'getRootCaCertificate',
  summary: 'The root CA certificate (DER)',
  access: 'public',
  tags: ['PKI'],
  responses: { 200: der('application/pkix-cert', 'The root CA certificate'), 404: absent },
});

const issuingCert = defineRoute({
  method: 'get',
  path: '/pki/issuing.crt',
  operationId: 'getIssuingCaCertificate',
  summary: 'The issuing CA certificate (DER), named by every card certificate',
  access: 'public',
  tags: ['PKI'],
  responses: { 200: der('application/pkix-cert', 'The issuing CA certificate'), 404: absent },
});

const issuingCrl = defineRoute({
  method: 'get',
  path: '/pki/issuing.crl',
  operationId: 'getIssuingCaCrl',
  summary: 'The issuing CA’s current certificate revocation list (DER)',
  access: 'public',
  tags: ['PKI'],
  responses: { 200: der('application/pkix-crl', 'The current CRL'), 404: absent },
});

const ocspAnswer = der(
  'application/ocsp-response',
  'An OCSP response (RFC 6960): signed statuses, or an unsigned malformedRequest',
);

const ocspPost = defineRoute({
  method: 'post',
  path: '/pki/ocsp',
  operationId: 'answerOcspRequest',
  summary: 'OCSP responder (RFC 6960): the status of certificates the issuing CA issued',
  access: 'public',
  tags: ['PKI'],
  request: {
    body: {
      required: true,
      content: { 'application/ocsp-request': { schema: binary } },
    },
  },
  responses: { 200: ocspAnswer, 404: absent },
});

const ocspGet = defineRoute({
  method: 'get',
  path: '/pki/ocsp/{request}',
  operationId: 'answerOcspGetRequest',
  summary: 'OCSP responder by GET (RFC 6960 appendix A): the request as URL-encoded base64 DER',
  access: 'public',
  tags: ['PKI'],
  request: {
    params: z.object({
      request: z.string().openapi({ description: 'The DER OCSP request, base64, URL-encoded' }),
    }),
  },
  responses: { 200: ocspAnswer, 404: absent },
});

async function ocsp(c: Context<AppEnv>, requestDer: Uint8Array) {
  const ctx = serviceContext(c);
  // No CA: the same 404 as the certificates and CRL.
  await caCertificate(ctx, 'issuing');
  let ca: LoadedCertificateAuthority | null;
  try {
    ca = (await ctx.certificateAuthority?.()) ?? null;
  } catch (err) {
    c.get('deps').logger.error({ err }, 'OCSP: the CA key cannot be opened');
    ca = null;
  }
  const answer = ca ? await answerOcsp(ctx, ca, requestDer) : ocspErrorResponse('internalError');
  return c.body(new Uint8Array(answer), 200, {
    'content-type': 'application/ocsp-response',
    'cache-control': 'no-store',
  });
}

function fromBase64(text: string): Uint8Array | null {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length === 0) return null;
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/**
 * RFC 6960 asks a GET's base64 to be URL-encoded, but clients in the field send its '/' as
 * it is, and some put a second '/' after the responder's URL: then the request is the rest
 * of the path, which the one-segment route below cannot match.
 */
const ocspPrefix = '/pki/ocsp/';
async function ocspGetOfSeveralSegments(c: Context<AppEnv>, next: () => Promise<void>) {
  const rest = new URL(c.req.url).pathname.slice(ocspPrefix.length);
  if ((c.req.method !== 'GET' && c.req.method !== 'HEAD') || !rest.includes('/')) {
    return next();
  }
  let text: string | null;
  try {
    text = decodeURIComponent(rest.replace(/^\/+/, ''));
  } catch {
    text = null;
  }
  return ocsp(c, (text && fromBase64(text)) || new Uint8Array());
}

export function registerPki(app: OpenAPIHono<AppEnv>) {
  app.use(`${ocspPrefix}*`, ocspGetOfSeveralSegments);
  app.openapi(rootCert, async (c) => {
    const cert = await caCertificate(serviceContext(c), 'root');
    return c.body(new Uint8Array(cert), 200, {
      'content-type': 'application/pkix-cert',
      'cache-control': published,
    }) as never;
  });
  app.openapi(issuingCert, async (c) => {
    const cert = await caCertificate(serviceContext(c), 'issuing');
    return c.body(new Uint8Array(cert), 200, {
      'content-type': 'application/pkix-cert',
      'cache-control': published,
    }) as never;
  });
  app.openapi(issuingCrl, async (c) => {
    const crl = await currentCrl(serviceContext(c));
    return c.body(new Uint8Array(crl.der), 200, {
      'content-type': 'application/pkix-crl',
      'cache-control': 'no-cache',
    }) as never;
  });
  app.openapi(ocspPost, async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    return (await ocsp(c, body)) as never;
  });
  app.openapi(ocspGet, async (c) => {
    // Hono has already percent-decoded the parameter; what is not base64 is malformed.
    const der = fromBase64(c.req.param('request'));
    return (await ocsp(c, der ?? new Uint8Array())) as never;
  });
}
