// The signed trust and revocation lists: fetched from the server, checked against the
// national CA certificate the page carries, and kept in Cache Storage with the time they
// were fetched, so the page verifies offline with the last lists it could check.
//
// A file is a flattened JWS (vaxpass.core.trustlist): {protected, payload, signature},
// ES256 raw r||s or PS256, the signer's certificate in the header's x5c. The signer is
// the CA itself or a list signer the CA issued (extended key usage trusted-list signing).

import { fromBase64, fromBase64Url, toBase64, utf8 } from "./bytes.js";
import { importPublicKey, isIssuedBy, parseCertificate, sameBytes, verifySignature } from "./x509.js";

export const TRUST_LIST_TYPE = "vaxpass-trustlist+json";
export const REVOCATION_LIST_TYPE = "vaxpass-revocationlist+json";
const EKU_TRUST_LIST_SIGNING = "0.4.0.2231.3.0";
const STORE = "vaxpass-verifier-lists";

export class ListError extends Error {
  constructor(code, detail = "") {
    super(`${code}: ${detail}`);
    this.code = code;
  }
}

function base64UrlKid(der) {
  return crypto.subtle.digest("SHA-256", der).then((digest) =>
    toBase64(new Uint8Array(digest).subarray(0, 8)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
  );
}

const validAt = (certificate, now) => certificate.notBefore <= now && now <= certificate.notAfter;

/** The payload of a signed list file, or a ListError saying why it cannot be trusted. */
export async function verifySignedList(text, caCertificate, expectedType, now = new Date()) {
  let document, header, payloadBytes, signature;
  try {
    document = JSON.parse(text);
    header = JSON.parse(new TextDecoder().decode(fromBase64Url(document.protected)));
    payloadBytes = fromBase64Url(document.payload);
    signature = fromBase64Url(document.signature);
  } catch (error) {
    throw new ListError("list_malformed", error.message);
  }
  if (!header || header.typ !== expectedType) throw new ListError("list_malformed", `type ${header?.typ}`);
  if ("crit" in header) throw new ListError("list_malformed", "critical header");
  if (header.alg !== "ES256" && header.alg !== "PS256") throw new ListError("list_malformed", `alg ${header.alg}`);
  const chain = header.x5c ?? [];
  if (!Array.isArray(chain) || chain.length > 1) throw new ListError("list_malformed", "x5c");
  let signer;
  try {
    signer = chain.length ? parseCertificate(fromBase64(chain[0])) : caCertificate;
  } catch (error) {
    throw new ListError("list_malformed", error.message);
  }
  if ("kid" in header && header.kid !== (await base64UrlKid(signer.der))) {
    throw new ListError("list_malformed", "kid is not the certificate's");
  }
  if (!sameBytes(signer.der, caCertificate.der)) {
    const mayIssue = await isIssuedBy(signer, caCertificate);
    const mayUsage = (signer.extendedKeyUsages ?? []).includes(EKU_TRUST_LIST_SIGNING) && signer.digitalSignature === true;
    if (!mayIssue || !mayUsage) throw new ListError("list_untrusted");
  }
  if (!validAt(caCertificate, now) || !validAt(signer, now)) throw new ListError("list_signer_expired");
  const signingInput = utf8(`${document.protected}.${document.payload}`);
  const key = await importPublicKey(signer, header.alg).catch(() => null);
  if (!key || !(await verifySignature(key, header.alg, signature, signingInput))) {
    throw new ListError("list_signature_invalid");
  }
  try {
    const payload = JSON.parse(new TextDecoder().decode(payloadBytes));
    if (payload.version !== 1) throw new Error(`version ${payload.version}`);
    return payload;
  } catch (error) {
    throw new ListError("list_malformed", error.message);
  }
}

/** kid (base64) -> {certificate, keyUsage, country} from a trust list payload. */
export function trustListIndex(payload) {
  const index = new Map();
  for (const item of payload.certificates ?? []) {
    try {
      index.set(item.kid, {
        kid: item.kid,
        certificate: parseCertificate(fromBase64(item.rawData)),
        keyUsage: Array.isArray(item.keyUsage) ? item.keyUsage : [],
        country: item.country,
      });
    } catch {
      // An entry this reader cannot parse cannot verify anything; skip it.
    }
  }
  return index;
}

/** kid (base64) -> Set of revoked 16-byte hashes (base64) from a revocation list payload. */
export function revocationIndex(payload) {
  const index = new Map();
  for (const batch of payload.batches ?? []) {
    const hashes = index.get(batch.kid) ?? new Set();
    for (const hash of batch.hashes ?? []) hashes.add(hash);
    index.set(batch.kid, hashes);
  }
  return index;
}

// A border post's connection may hang rather than fail; the stored list serves meanwhile.
const FETCH_TIMEOUT_MS = 10000;

async function fetchWithTimeout(url) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    return await fetch(url, { cache: "no-cache", credentials: "omit", signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

const KINDS = {
  trustList: { type: TRUST_LIST_TYPE, index: trustListIndex, size: (p) => (p.certificates ?? []).length },
  revocations: { type: REVOCATION_LIST_TYPE, index: revocationIndex, size: (p) => (p.batches ?? []).reduce((n, b) => n + (b.hashes ?? []).length, 0) },
};

async function stored(url) {
  const response = await (await caches.open(STORE)).match(url);
  if (!response) return null;
  return { text: await response.text(), fetchedAt: new Date(response.headers.get("x-fetched-at")) };
}

async function store(url, text, fetchedAt) {
  const headers = { "content-type": "application/json", "x-fetched-at": fetchedAt.toISOString() };
  await (await caches.open(STORE)).put(url, new Response(text, { headers }));
}

function loaded(kind, payload, fetchedAt) {
  return {
    index: KINDS[kind].index(payload),
    size: KINDS[kind].size(payload),
    issuedAt: new Date(payload.issuedAt),
    fetchedAt,
    error: null,
  };
}

/**
 * The list of `kind` ("trustList" or "revocations") at `url`: the server's if it can be
 * fetched and verifies and is not older than the stored one (a replayed old list would
 * bring revoked certificates back), else the stored one, checked again.
 * Returns {index, size, issuedAt, fetchedAt, error} with index null when there is none.
 */
export async function loadList(kind, url, caCertificate, { online = true, now = new Date() } = {}) {
  const { type } = KINDS[kind];
  let current = null;
  let error = null;
  const previous = await stored(url).catch(() => null);
  if (previous) {
    try {
      current = loaded(kind, await verifySignedList(previous.text, caCertificate, type, now), previous.fetchedAt);
    } catch (failure) {
      error = failure.code ?? "list_malformed";
    }
  }
  if (online) {
    try {
      const response = await fetchWithTimeout(url);
      if (response.status === 404) {
        error = error ?? "list_not_published";
      } else if (!response.ok) {
        error = "list_unreachable";
      } else {
        const text = await response.text();
        const payload = await verifySignedList(text, caCertificate, type, now);
        const fetchedAt = new Date();
        if (!current || new Date(payload.issuedAt) >= current.issuedAt) {
          await store(url, text, fetchedAt);
          current = loaded(kind, payload, fetchedAt);
          error = null;
        } else {
          error = "list_older";
        }
      }
    } catch (failure) {
      error = failure instanceof ListError ? failure.code : "list_unreachable";
    }
  }
  return current ? { ...current, error } : { index: null, size: 0, issuedAt: null, fetchedAt: null, error: error ?? "list_unreachable" };
}
