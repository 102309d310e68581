// Just enough DER and X.509 to verify signatures in the browser: the public key, the
// validity, the extended key usage and the issuer's signature of a certificate.
// WebCrypto imports public keys but not certificates, and a full X.509 library would be
// most of the bundle; this reads only the fields the verifier needs.

export class CertificateError extends Error {}

const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_P256 = "1.2.840.10045.3.1.7";
const OID_RSA = "1.2.840.113549.1.1.1";
const OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2";
const OID_RSA_PSS = "1.2.840.113549.1.1.10";
const OID_RSA_SHA256 = "1.2.840.113549.1.1.11";
const OID_SHA256 = "2.16.840.1.101.3.4.2.1";
const OID_EXTENDED_KEY_USAGE = "2.5.29.37";
const OID_KEY_USAGE = "2.5.29.15";

/** One DER element: its tag and where its header and content lie in `bytes`. */
function element(bytes, offset) {
  if (offset + 2 > bytes.length) throw new CertificateError("truncated DER");
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new CertificateError("DER tag numbers above 30 are not used here");
  let length = bytes[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const size = length & 0x7f;
    if (size === 0 || size > 4) throw new CertificateError("bad DER length");
    length = 0;
    for (let i = 0; i < size; i++) length = length * 256 + bytes[contentStart + i];
    contentStart += size;
  }
  const end = contentStart + length;
  if (end > bytes.length) throw new CertificateError("DER element runs past its end");
  return { tag, start: offset, contentStart, end, bytes };
}

const content = (el) => el.bytes.subarray(el.contentStart, el.end);
const whole = (el) => el.bytes.subarray(el.start, el.end);

function children(el) {
  const out = [];
  for (let offset = el.contentStart; offset < el.end; ) {
    const child = element(el.bytes, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

function oid(el) {
  if (el.tag !== 0x06) throw new CertificateError("expected an OID");
  const data = content(el);
  const parts = [];
  let value = 0;
  for (const byte of data) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift();
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join(".");
}

function time(el) {
  const text = new TextDecoder().decode(content(el));
  let match;
  if (el.tag === 0x17 && (match = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    const year = Number(match[1]) < 50 ? 2000 + Number(match[1]) : 1900 + Number(match[1]);
    return new Date(Date.UTC(year, match[2] - 1, match[3], match[4], match[5], match[6]));
  }
  if (el.tag === 0x18 && (match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    return new Date(Date.UTC(match[1], match[2] - 1, match[3], match[4], match[5], match[6]));
  }
  throw new CertificateError("unreadable certificate time");
}

function bitString(el) {
  if (el.tag !== 0x03) throw new CertificateError("expected a BIT STRING");
  return content(el).subarray(1); // the first byte counts unused bits
}

function algorithm(el) {
  const [identifier, parameters] = children(el);
  return { oid: oid(identifier), parameters };
}

/** The public key's type, as WebCrypto needs it to import the SubjectPublicKeyInfo. */
function keyType(spki) {
  const { oid: keyOid, parameters } = algorithm(children(spki)[0]);
  if (keyOid === OID_EC_PUBLIC_KEY) {
    return { kind: "EC", curve: parameters && parameters.tag === 0x06 ? oid(parameters) : null };
  }
  if (keyOid === OID_RSA) return { kind: "RSA" };
  return { kind: "other", oid: keyOid };
}

/** What a certificate's issuer signed it with, as a WebCrypto algorithm, or null. */
function signatureScheme({ oid: algorithmOid, parameters }) {
  if (algorithmOid === OID_ECDSA_SHA256) return { name: "ECDSA", hash: "SHA-256" };
  if (algorithmOid === OID_RSA_SHA256) return { name: "RSASSA-PKCS1-v1_5" };
  if (algorithmOid === OID_RSA_PSS && parameters) {
    // RSASSA-PSS-params: [0] hash (default SHA-1), [1] MGF, [2] salt length (default 20).
    let hash = null;
    let saltLength = 20;
    for (const field of children(parameters)) {
      const inner = children(field)[0];
      if (field.tag === 0xa0) hash = oid(children(inner)[0]);
      if (field.tag === 0xa2) saltLength = content(inner).reduce((v, b) => v * 256 + b, 0);
    }
    return hash === OID_SHA256 ? { name: "RSA-PSS", saltLength } : null;
  }
  return null;
}

function extensions(tbsFields) {
  const found = { extendedKeyUsages: null, digitalSignature: null };
  const holder = tbsFields.find((el) => el.tag === 0xa3);
  if (!holder) return found;
  for (const extension of children(children(holder)[0])) {
    try {
      const parts = children(extension);
      const id = oid(parts[0]);
      const value = element(content(parts[parts.length - 1]), 0);
      if (id === OID_EXTENDED_KEY_USAGE) found.extendedKeyUsages = children(value).map(oid);
      if (id === OID_KEY_USAGE) found.digitalSignature = (bitString(value)[0] & 0x80) !== 0;
    } catch {
      // Some countries' certificates are not strict DER: leave the field unknown.
    }
  }
  return found;
}

/** Parse a DER certificate into the fields the verifier uses. */
export function parseCertificate(der) {
  try {
    const certificate = element(der, 0);
    if (certificate.end !== der.length) throw new CertificateError("bytes after the certificate");
    const [tbs, signatureAlgorithm, signatureValue] = children(certificate);
    const fields = children(tbs);
    const rest = fields[0].tag === 0xa0 ? fields.slice(1) : fields; // skip [0] version
    const [, , issuer, validity, subject, spki] = rest;
    const [notBefore, notAfter] = children(validity).map(time);
    return {
      der,
      tbs: whole(tbs),
      issuer: whole(issuer),
      subject: whole(subject),
      notBefore,
      notAfter,
      spki: whole(spki),
      key: keyType(spki),
      signatureScheme: signatureScheme(algorithm(signatureAlgorithm)),
      signature: bitString(signatureValue),
      ...extensions(rest),
    };
  } catch (error) {
    if (error instanceof CertificateError) throw error;
    throw new CertificateError(`not a certificate: ${error.message}`);
  }
}

/** Import a certificate's public key for a COSE or JWS algorithm ("ES256", "PS256"). */
export async function importPublicKey(certificate, algorithmName) {
  if (algorithmName === "ES256") {
    if (certificate.key.kind !== "EC" || certificate.key.curve !== OID_P256) {
      throw new CertificateError("ES256 needs a P-256 key");
    }
    return crypto.subtle.importKey("spki", certificate.spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  }
  if (algorithmName === "PS256") {
    if (certificate.key.kind !== "RSA") throw new CertificateError("PS256 needs an RSA key");
    return crypto.subtle.importKey("spki", certificate.spki, { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
  }
  throw new CertificateError(`unsupported algorithm ${algorithmName}`);
}

/** Verify a raw r||s (ES256) or PSS (PS256) signature, as COSE and JWS write them. */
export async function verifySignature(key, algorithmName, signature, data) {
  const params = algorithmName === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSA-PSS", saltLength: 32 };
  if (algorithmName === "ES256" && signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify(params, key, signature, data);
  } catch {
    return false;
  }
}

/** An X.509 ECDSA signature (DER SEQUENCE of r and s) as raw r||s for WebCrypto. */
function rawEcdsa(derSignature) {
  const halves = children(element(derSignature, 0)).map((el) => {
    let value = content(el);
    while (value.length > 32 && value[0] === 0) value = value.subarray(1);
    if (value.length > 32) throw new CertificateError("ECDSA integer too long for P-256");
    const padded = new Uint8Array(32);
    padded.set(value, 32 - value.length);
    return padded;
  });
  const raw = new Uint8Array(64);
  raw.set(halves[0], 0);
  raw.set(halves[1], 32);
  return raw;
}

/** Whether `issuer` signed `certificate` (names match and the signature verifies). */
export async function isIssuedBy(certificate, issuer) {
  if (!sameBytes(certificate.issuer, issuer.subject) || !certificate.signatureScheme) return false;
  const scheme = certificate.signatureScheme;
  try {
    if (scheme.name === "ECDSA") {
      if (issuer.key.kind !== "EC" || issuer.key.curve !== OID_P256) return false;
      const key = await crypto.subtle.importKey("spki", issuer.spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      return await crypto.subtle.verify(scheme, key, rawEcdsa(certificate.signature), certificate.tbs);
    }
    if (issuer.key.kind !== "RSA") return false;
    const key = await crypto.subtle.importKey("spki", issuer.spki, { name: scheme.name, hash: "SHA-256" }, false, ["verify"]);
    return await crypto.subtle.verify(scheme, key, certificate.signature, certificate.tbs);
  } catch {
    return false;
  }
}

export function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
