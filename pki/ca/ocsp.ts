import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type RevocationReason, reasonCodes } from './crl.ts';
import {
  caHash,
  engine,
  importCaPrivateKey,
  keyIdentifier,
  parseCertificateDer,
  toDer,
  wholeSeconds,
} from './x509-parts.ts';

/**
 * OCSP (RFC 6960) for the issuing CA, as pure functions: read a request, answer it, or refuse it.
 * The responder is the issuing CA itself (no delegated responder certificate), named by key hash.
 */

const hashNames: Record<string, 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512'> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};
const nodeHash = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const basicResponseOid = '1.3.6.1.5.5.7.48.1.1';
const nonceOid = '1.3.6.1.5.5.7.48.1.2';

/** One certificate asked about, as the request named it. */
export interface CertId {
  /** 'SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', or the algorithm's OID when it is none of those. */
  hashAlgorithm: string;
  /** Hex. */
  issuerNameHash: string;
  /** Hex. */
  issuerKeyHash: string;
  /** Hex content octets, as issueCertificate and the CRL name serials. */
  serialNumber: string;
  /**
   * The CertID exactly as the request encoded it. A response repeats it byte for byte: clients
   * (openssl among them) match the algorithm identifier's parameters too, which some send as
   * NULL and some leave out.
   */
  der: Buffer;
}

export interface ParsedOcspRequest {
  certIds: CertId[];
  /** The request's nonce extension value (DER), to be echoed in the response; null if none. */
  nonce: Buffer | null;
}

/** The bytes are not an OCSP request; answer with ocspErrorResponse('malformedRequest'). */
export class OcspRequestError extends Error {
  override name = 'OcspRequestError';
}

/**
 * The most certificates one request may ask about. Clients ask about one (openssl about one
 * per -cert); reading and answering each costs about a millisecond of pkijs, so a 16 KiB
 * request of a thousand tiny CertIDs would hold the server's one thread for seconds.
 */
export const maxCertIdsPerRequest = 20;

/** How many entries the request's requestList holds, counted before pkijs reads any. */
function requestListLength(request: asn1js.AsnType): number {
  const [tbs] = request instanceof asn1js.Constructed ? request.valueBlock.value : [];
  const list =
    tbs instanceof asn1js.Constructed
      ? tbs.valueBlock.value.find((v) => v.idBlock.tagClass === 1 && v.idBlock.tagNumber === 16)
      : undefined;
  return list instanceof asn1js.Constructed ? list.valueBlock.value.length : 0;
}

export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  const bytes = new Uint8Array(der);
  const asn1 = asn1js.fromBER(bytes);
  if (asn1.offset === -1 || asn1.offset !== bytes.byteLength) {
    throw new OcspRequestError('the request is not one whole DER value');
  }
  if (requestListLength(asn1.result) > maxCertIdsPerRequest) {
    throw new OcspRequestError(
      `the request asks about more than ${maxCertIdsPerRequest} certificates`,
    );
  }
  let request: pkijs.OCSPRequest;
  try {
    request = new pkijs.OCSPRequest({ schema: asn1.result });
  } catch {
    throw new OcspRequestError('the request is not an OCSPRequest');
  }
  const list = request.tbsRequest.requestList;
  if (list.length === 0) throw new OcspRequestError('the request asks about no certificate');
  const certIds = list.map(({ reqCert }) => {
    const algorithm = reqCert.hashAlgorithm.algorithmId;
    return {
      hashAlgorithm: hashNames[algorithm] ?? algorithm,
      issuerNameHash: hex(reqCert.issuerNameHash.valueBlock.valueHexView),
      issuerKeyHash: hex(reqCert.issuerKeyHash.valueBlock.valueHexView),
      serialNumber: hex(reqCert.serialNumber.valueBlock.valueHexView),
      der: toDer(reqCert),
    };
  });
  const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === nonceOid);
  return {
    certIds,
    nonce: nonce ? Buffer.from(nonce.extnValue.valueBlock.valueHexView) : null,
  };
}

/**
 * Whether the CertID names this issuing CA: the hash of its subject name (DER) and of its public
 * key (the subjectPublicKey BIT STRING's value), under the request's own hash algorithm. A
 * CertID for another issuer, or with a hash we do not compute, must be answered `unknown`.
 */
export function certIdMatchesIssuer(
  certId: CertId,
  issuingCa: { certificate: Uint8Array },
): boolean {
  const algorithm = nodeHash[certId.hashAlgorithm as keyof typeof nodeHash];
  if (algorithm === undefined) return false;
  const issuer = parseCertificateDer(issuingCa.certificate);
  const nameHash = createHash(algorithm).update(
    Buffer.from(issuer.subject.toSchema().toBER(false)),
  );
  const keyHash = createHash(algorithm).update(
    issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
  );
  return (
    nameHash.digest('hex') === certId.issuerNameHash.toLowerCase() &&
    keyHash.digest('hex') === certId.issuerKeyHash.toLowerCase()
  );
}

export type CertStatus =
  | { kind: 'good' }
  | { kind: 'revoked'; revokedAt: Date; reason: RevocationReason }
  | { kind: 'unknown' };

export interface CreateOcspResponseInput {
  issuingCa: { certificate: Uint8Array; privateKey: Uint8Array };
  responses: { certId: CertId; status: CertStatus }[];
  producedAt: Date;
  thisUpdate: Date;
  nextUpdate: Date;
  /** The request's nonce, from parseOcspRequest, echoed so the client can bind the answer. */
  nonce?: Buffer | null;
}

/**
 * A successful OCSPResponse carrying a BasicOCSPResponse signed by the issuing CA (ECDSA
 * SHA-384), responderID byKey, with the issuing CA's certificate attached so a client that
 * trusts only the root can check the signature.
 */
export async function createOcspResponse(input: CreateOcspResponseInput): Promise<Buffer> {
  if (input.responses.length === 0)
    throw new RangeError('an OCSP response answers at least one CertID');
  const thisUpdate = wholeSeconds(input.thisUpdate);
  const nextUpdate = wholeSeconds(input.nextUpdate);
  if (nextUpdate <= thisUpdate) throw new RangeError('nextUpdate must be after thisUpdate');
  const issuer = parseCertificateDer(input.issuingCa.certificate);
  const signingKey = await importCaPrivateKey(input.issuingCa.privateKey);

  const responseData = new pkijs.ResponseData({
    responderID: new asn1js.OctetString({ valueHex: keyIdentifier(issuer.subjectPublicKeyInfo) }),
    producedAt: wholeSeconds(input.producedAt),
    responses: input.responses.map(
      ({ certId, status }) =>
        new pkijs.SingleResponse({
          certID: new pkijs.CertID({ schema: asn1js.fromBER(new Uint8Array(certId.der)).result }),
          certStatus: certStatus(status),
          thisUpdate,
          nextUpdate,
        }),
    ),
  });
  if (input.nonce) {
    responseData.responseExtensions = [
      new pkijs.Extension({
        extnID: nonceOid,
        critical: false,
        extnValue: new Uint8Array(input.nonce).buffer,
      }),
    ];
  }
  const basic = new pkijs.BasicOCSPResponse({ tbsResponseData: responseData, certs: [issuer] });
  await basic.sign(signingKey, caHash, engine);

  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({
      responseType: basicResponseOid,
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
    }),
  });
  return toDer(response);
}

/** RFC 6960 §4.2.1 OCSPResponseStatus values for the refusals this responder makes. */
const errorStatuses = { malformedRequest: 1, internalError: 2, unauthorized: 6 } as const;

/** An unsigned OCSPResponse with only a status, as RFC 6960 requires for errors. */
export function ocspErrorResponse(status: keyof typeof errorStatuses): Buffer {
  return toDer(
    new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: errorStatuses[status] }),
    }),
  );
}

/** CertStatus CHOICE: good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL. */
function certStatus(status: CertStatus): asn1js.AsnType {
  if (status.kind === 'revoked') {
    return new asn1js.Constructed({
      idBlock: { tagClass: 3, tagNumber: 1 },
      value: [
        new asn1js.GeneralizedTime({ valueDate: wholeSeconds(status.revokedAt) }),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [new asn1js.Enumerated({ value: reasonCodes[status.reason] })],
        }),
      ],
    });
  }
  return new asn1js.Primitive({
    idBlock: { tagClass: 3, tagNumber: status.kind === 'good' ? 0 : 2 },
  });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
