import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxCertIdsPerRequest, ocspErrorResponse } from '../../pki/ca/ocsp.ts';
import { parseCertificateDer } from '../../pki/ca/x509-parts.ts';
import { initCertificateAuthority } from '../../server/services/pki/certificate-authority.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Defects an attack on the OCSP responder found, kept so they stay fixed: a GET whose base64
 * holds a '/' as it is (as clients in the field send it) was a 404, and a 16 KiB request of
 * hundreds of CertIDs held the server's one thread for a second or more.
 */
const passphrase = 'attack test CA passphrase, long enough to pass';

/** An OCSPRequest for these serials of `issuer`, built as a client builds one. */
function ocspRequest(issuer: Uint8Array, serials: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const cert = parseCertificateDer(issuer);
  const sha1 = (bytes: ArrayBuffer | Uint8Array) =>
    createHash('sha1').update(new Uint8Array(bytes)).digest();
  const request = new pkijs.OCSPRequest();
  request.tbsRequest.requestList = serials.map(
    (serial) =>
      new pkijs.Request({
        reqCert: new pkijs.CertID({
          hashAlgorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: '1.3.14.3.2.26',
            algorithmParams: new asn1js.Null(),
          }),
          issuerNameHash: new asn1js.OctetString({
            valueHex: sha1(cert.subject.toSchema().toBER(false)),
          }),
          issuerKeyHash: new asn1js.OctetString({
            valueHex: sha1(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
          }),
          serialNumber: new asn1js.Integer({ valueHex: serial }),
        }),
      }),
  );
  return new Uint8Array(request.toSchema(true).toBER(false));
}

/** The response's status and how many certificates it answers. */
function read(der: Buffer): { status: number; answers: number } {
  const response = new pkijs.OCSPResponse({ schema: asn1js.fromBER(new Uint8Array(der)).result });
  const status = response.responseStatus.valueBlock.valueDec;
  if (!response.responseBytes) return { status, answers: 0 };
  const basic = new pkijs.BasicOCSPResponse({
    schema: asn1js.fromBER(response.responseBytes.response.valueBlock.valueHexView).result,
  });
  return { status, answers: basic.tbsResponseData.responses.length };
}

const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

describe.each(testDrivers)('the OCSP responder under attack (%s)', (driver) => {
  let t: TestApp;
  let issuing: Buffer;
  beforeAll(async () => {
    t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: passphrase } });
    await initCertificateAuthority(t.ctx, { passphrase, organisation: 'Attack Trust' });
    issuing = await bytes(await t.app.request('/pki/issuing.crt'));
  });
  afterAll(() => t.close());

  it("answers a GET whose base64 holds a raw '/', after one slash or two", async () => {
    // A serial whose request's base64 has a '/' in it.
    let base64 = '';
    for (let i = 0; !base64.includes('/'); i++) {
      base64 = Buffer.from(ocspRequest(issuing, [new Uint8Array([1, i, 0xff])])).toString('base64');
    }
    for (const path of [`/pki/ocsp/${base64}`, `/pki/ocsp//${base64}`]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/ocsp-response');
      expect(read(await bytes(res)), path).toEqual({ status: 0, answers: 1 });
    }
    // Not base64 once decoded, over several segments: still malformedRequest, not a 404.
    const bad = await t.app.request('/pki/ocsp/abc/%ZZ/def');
    expect(bad.status).toBe(200);
    expect(await bytes(bad)).toEqual(ocspErrorResponse('malformedRequest'));
    // Other methods on such paths are not answered.
    expect((await t.app.request(`/pki/ocsp/${base64}`, { method: 'PUT' })).status).toBe(404);
  });

  it(`answers up to ${maxCertIdsPerRequest} CertIDs, and refuses more as malformedRequest`, async () => {
    const serials = (n: number) => Array.from({ length: n }, (_, i) => new Uint8Array([1, i]));
    const most = await t.app.request('/pki/ocsp', {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: ocspRequest(issuing, serials(maxCertIdsPerRequest)),
    });
    expect(read(await bytes(most))).toEqual({ status: 0, answers: maxCertIdsPerRequest });
    const many = ocspRequest(issuing, serials(180));
    expect(many.length).toBeLessThan(16 * 1024);
    const refused = await t.app.request('/pki/ocsp', {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: many,
    });
    expect(refused.status).toBe(200);
    // Answering all 180 took over a second of pkijs here; refusing them is one DER read.
    expect(await bytes(refused)).toEqual(ocspErrorResponse('malformedRequest'));
  });
});
