// The EU Digital COVID Certificate in the browser: HC1: text -> base45 -> zlib ->
// COSE_Sign1 -> CWT -> DCC, then the checks a verifier makes (signature with WebCrypto,
// signer's key usage, validity, revocation) and one verdict with its reasons.
// Reason codes are the Python verifier's (vaxpass.core.dcc.errors).

import { Tagged, decode as decodeCborBytes } from "cborg";
import { unzlibSync } from "fflate";
import { base45Decode } from "./base45.js";
import { concat, revocationHash, toBase64, utf8 } from "./bytes.js";
import { importPublicKey, verifySignature } from "./x509.js";

export const VALID = "valid";
export const NOT_VALID = "invalid";
export const EXPIRED = "expired";
export const REVOKED = "revoked";

const PREFIX = "HC1:";
const TAG_SIGN1 = 18;
const TAG_CWT = 61;
const HEADER_ALG = 1;
const HEADER_KID = 4;
const ALGORITHMS = new Map([[-7, "ES256"], [-37, "PS256"]]);
const CLAIM_ISS = 1;
const CLAIM_EXP = 4;
const CLAIM_IAT = 6;
const CLAIM_HCERT = -260;
const TYPES = ["v", "t", "r"];

// Maps stay Maps (COSE and CWT keys are integers); every tag is kept as a Tagged value,
// for COSE (18, 61) and for whatever date tags an issuer used in the DCC.
const CBOR_OPTIONS = {
  useMaps: true,
  tags: new Proxy({}, { get: (_, tag) => Tagged.decoder(Number(tag)) }),
};

export class DecodeError extends Error {
  constructor(code, detail = "") {
    super(`${code}: ${detail}`);
    this.code = code;
  }
}

async function inflate(bytes) {
  // zlib (RFC 1950) is what DecompressionStream calls "deflate"; it is native since
  // Chrome 80, Firefox 113 and Safari 16.4, and fflate covers older browsers.
  if (typeof DecompressionStream !== "function") return unzlibSync(bytes);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function decodeCbor(bytes, code) {
  try {
    return decodeCborBytes(bytes, CBOR_OPTIONS);
  } catch (error) {
    throw new DecodeError(code, error.message);
  }
}

/** CBOR as JSON would have it: string keys, dates as ISO text, bytes as base64. */
function plain(value) {
  if (value instanceof Map) {
    return Object.fromEntries(Array.from(value, ([key, item]) => [String(key), plain(item)]));
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Uint8Array) return toBase64(value);
  if (value instanceof Tagged) {
    // Tag 1: a date as seconds since 1970 (some issuers' "dt" and "sc"); others as is.
    if (value.tag === 1 && typeof value.value === "number") {
      return new Date(value.value * 1000).toISOString().replace(".000Z", "Z");
    }
    return plain(value.value);
  }
  if (typeof value === "bigint") return Number(value);
  return value;
}

/** Decode the COSE_Sign1 message: tagged 18, untagged, or 61(18(...)). */
function decodeSign1(bytes) {
  let item = decodeCbor(bytes, "cose_invalid");
  if (item instanceof Tagged && item.tag === TAG_CWT) item = item.value;
  if (item instanceof Tagged) {
    if (item.tag !== TAG_SIGN1) throw new DecodeError("cose_invalid", `tag ${item.tag}`);
    item = item.value;
  }
  if (!Array.isArray(item) || item.length !== 4) throw new DecodeError("cose_invalid", "not 4 items");
  const [protectedBytes, unprotected, payload, signature] = item;
  if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map)) {
    throw new DecodeError("cose_invalid", "malformed headers");
  }
  if (!(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new DecodeError("cose_invalid", "payload or signature not bytes");
  }
  const header = protectedBytes.length ? decodeCbor(protectedBytes, "cose_invalid") : new Map();
  if (!(header instanceof Map)) throw new DecodeError("cose_invalid", "protected header not a map");
  // The protected kid wins even when wrong: the unprotected header is not signed.
  const kid = header.has(HEADER_KID) ? header.get(HEADER_KID) : unprotected.get(HEADER_KID);
  const algorithm = header.has(HEADER_ALG) ? header.get(HEADER_ALG) : unprotected.get(HEADER_ALG);
  return {
    protectedBytes,
    payload,
    signature,
    kid: kid instanceof Uint8Array ? kid : null,
    algorithm: ALGORITHMS.get(algorithm) ?? null,
  };
}

function bstrHead(length) {
  if (length < 24) return Uint8Array.of(0x40 | length);
  if (length < 0x100) return Uint8Array.of(0x58, length);
  if (length < 0x10000) return Uint8Array.of(0x59, length >> 8, length & 0xff);
  return Uint8Array.of(0x5a, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

/** ["Signature1", protected, h'', payload]: the bytes a COSE_Sign1 signature covers. */
export function sigStructure(protectedBytes, payload) {
  return concat(
    Uint8Array.of(0x84, 0x6a),
    utf8("Signature1"),
    bstrHead(protectedBytes.length),
    protectedBytes,
    Uint8Array.of(0x40),
    bstrHead(payload.length),
    payload,
  );
}

function numericDate(value) {
  return typeof value === "number" && Number.isFinite(value) ? new Date(value * 1000) : null;
}

/** Every decoding stage of an HC1: text; throws DecodeError with the failing stage. */
export async function decodeHc1(text) {
  const trimmed = String(text).trim();
  if (!trimmed.startsWith(PREFIX)) throw new DecodeError("wrong_prefix");
  let compressed;
  try {
    compressed = base45Decode(trimmed.slice(PREFIX.length));
  } catch (error) {
    throw new DecodeError("base45_invalid", error.message);
  }
  let coseBytes;
  try {
    coseBytes = await inflate(compressed);
  } catch (error) {
    throw new DecodeError("compression_invalid", error.message);
  }
  const cose = decodeSign1(coseBytes);
  const claims = decodeCbor(cose.payload, "cwt_invalid");
  if (!(claims instanceof Map)) throw new DecodeError("cwt_invalid", "claims not a map");
  const hcert = claims.get(CLAIM_HCERT);
  const dcc = hcert instanceof Map ? hcert.get(1) : undefined;
  if (!(dcc instanceof Map)) throw new DecodeError("dcc_missing");
  return {
    cose,
    issuer: typeof claims.get(CLAIM_ISS) === "string" ? claims.get(CLAIM_ISS) : null,
    issuedAt: numericDate(claims.get(CLAIM_IAT)),
    expiresAt: numericDate(claims.get(CLAIM_EXP)),
    dcc: plain(dcc),
  };
}

function certificateType(dcc) {
  return TYPES.find((type) => Array.isArray(dcc[type]) && dcc[type].length > 0) ?? null;
}

/** The three EU revocation hashes of a certificate (UCI, COUNTRYCODEUCI, SIGNATURE). */
export async function revocationHashes({ uci, country, signature, algorithm }) {
  const signed = algorithm === "ES256" ? signature.subarray(0, signature.length / 2) : signature;
  const hashes = [revocationHash(signed)];
  if (uci !== null) hashes.push(revocationHash(utf8(uci)), revocationHash(utf8((country ?? "") + uci)));
  return Promise.all(hashes);
}

// Which stage a decoding error stops at; every stage before it succeeded.
const STAGES = ["unprefix", "b45decode", "compression", "decode"];
const FAILED_STAGE = {
  wrong_prefix: "unprefix",
  base45_invalid: "b45decode",
  compression_invalid: "compression",
  cose_invalid: "decode",
  cwt_invalid: "decode",
  dcc_missing: "decode",
};

async function signatureHolds(signer, cose) {
  try {
    const key = await importPublicKey(signer.certificate, cose.algorithm);
    return await verifySignature(key, cose.algorithm, cose.signature, sigStructure(cose.protectedBytes, cose.payload));
  } catch {
    return false;
  }
}

/**
 * Verify an HC1: text.
 *
 * trustList: Map of base64 kid -> {certificate (parsed), keyUsage: ["v", ...], country}
 * revocations: Map of base64 kid -> Set of base64 16-byte hashes
 * now: Date
 *
 * Returns {verdict, reasons: [{code, params}], checks, decoded, type, signer}. `checks`
 * has one boolean per check, named as the Python verifier's (null: not reached):
 * unprefix, b45decode, compression, decode, verify, keyusage, expiration, revoked.
 */
export async function verifyHc1(text, { trustList, revocations, now = new Date() }) {
  const checks = Object.fromEntries([...STAGES, "verify", "keyusage", "expiration", "revoked"].map((k) => [k, null]));
  let decoded;
  try {
    decoded = await decodeHc1(text);
    for (const stage of STAGES) checks[stage] = true;
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const failed = STAGES.indexOf(FAILED_STAGE[error.code]);
    STAGES.forEach((stage, index) => (checks[stage] = index < failed ? true : index === failed ? false : null));
    return { verdict: NOT_VALID, reasons: [{ code: error.code, params: {} }], checks, decoded: null, type: null, signer: null };
  }
  const { cose, dcc } = decoded;
  const type = certificateType(dcc);
  const kid = cose.kid ? toBase64(cose.kid) : null;
  const signer = (kid && trustList.get(kid)) || null;
  const reasons = [];
  const fail = (code, params = {}) => reasons.push({ code, params });
  const result = (verdict) => ({ verdict, reasons, checks, decoded, type, signer });

  // Signature first: without it nothing else the certificate says can be believed.
  if (!kid) fail("kid_missing");
  else if (!signer) fail("kid_unknown", { kid });
  else if (!cose.algorithm) fail("algorithm_unsupported");
  else if (!(await signatureHolds(signer, cose))) fail("signature_invalid");
  checks.verify = reasons.length === 0;

  const { issuedAt, expiresAt } = decoded;
  checks.expiration = Boolean(issuedAt && expiresAt && issuedAt <= now && now <= expiresAt);
  if (signer) {
    const usages = signer.keyUsage ?? [];
    checks.keyusage = usages.length === 0 || (type !== null && usages.includes(type));
  }
  if (!checks.verify) return result(NOT_VALID);

  if (!type) fail("dcc_missing");
  if (!checks.keyusage) fail("key_usage", { type });
  if (!issuedAt || !expiresAt) fail("validity_missing");
  else if (now < issuedAt) fail("not_yet_valid", { date: issuedAt });
  const certificate = signer.certificate;
  if (issuedAt && (issuedAt < certificate.notBefore || issuedAt > certificate.notAfter)) {
    fail("signer_not_valid", { date: issuedAt });
  }
  if (reasons.length) return result(NOT_VALID);

  const uci = dcc[type][0]?.ci;
  const hashes = await revocationHashes({
    uci: typeof uci === "string" ? uci : null,
    country: decoded.issuer,
    signature: cose.signature,
    algorithm: cose.algorithm,
  });
  const revoked = revocations.get(kid);
  checks.revoked = Boolean(revoked && hashes.some((hash) => revoked.has(hash)));
  if (checks.revoked) {
    fail("revoked");
    return result(REVOKED);
  }
  if (now > expiresAt) {
    fail("expired", { date: expiresAt });
    return result(EXPIRED);
  }
  if (now > certificate.notAfter) {
    fail("signer_expired", { date: certificate.notAfter });
    return result(EXPIRED);
  }
  return result(VALID);
}
