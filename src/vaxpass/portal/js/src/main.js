// The verifier page: wires the camera, the photo upload and the text field to the DCC
// verifier, shows the verdict, and keeps the trust and revocation lists fresh.

import { EXPIRED, NOT_VALID, REVOKED, VALID, verifyHc1 } from "./dcc.js";
import { loadList } from "./lists.js";
import { readImageFile, startCamera } from "./scanner.js";
import { fromBase64 } from "./bytes.js";
import { parseCertificate } from "./x509.js";

// The verifier as a library, for other pages and for the conformance test in Chromium.
export { verifyHc1, decodeHc1 } from "./dcc.js";
export { parseCertificate } from "./x509.js";
export { verifySignedList, trustListIndex, revocationIndex } from "./lists.js";
export { readImageFile } from "./scanner.js";
export { fromBase64 } from "./bytes.js";

const REFRESH_MS = 15 * 60 * 1000;
const STALE_MS = 7 * 24 * 3600 * 1000;
const SYMBOLS = { [VALID]: "✓", [NOT_VALID]: "✗", [EXPIRED]: "◷", [REVOKED]: "⊘" };

function start() {
  const root = document.getElementById("verifier");
  const configElement = document.getElementById("verifier-config");
  if (!root || !configElement) return;
  const config = JSON.parse(configElement.textContent);
  const ui = new VerifierPage(root, config);
  ui.init();
}

const $ = (root, selector) => root.querySelector(selector);

function fill(template, params = {}) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => (name in params ? String(params[name]) : ""));
}

class VerifierPage {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.messages = config.messages;
    this.language = config.language;
    this.lists = { trustList: null, revocations: null };
    this.stopCamera = null;
    this.ca = null;
  }

  t(key, params) {
    return fill(this.messages[key] ?? key, params);
  }

  init() {
    if (!window.isSecureContext || !crypto.subtle) {
      this.fatal(this.t("insecure_context"));
      return;
    }
    try {
      this.ca = this.config.caCertificate ? parseCertificate(fromBase64(this.config.caCertificate)) : null;
    } catch {
      this.ca = null;
    }
    $(this.root, "#scan-start").addEventListener("click", () => this.scanCamera());
    $(this.root, "#scan-stop").addEventListener("click", () => this.endCamera());
    $(this.root, "#scan-file").addEventListener("change", (event) => this.scanFile(event.target));
    $(this.root, "#scan-text-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $(this.root, "#scan-text").value;
      this.lastSource = "text";
      if (text.trim()) this.verify(text);
    });
    // A border officer checks one passport after another: the camera comes back if it
    // was what read the last one.
    $(this.root, "#scan-again").addEventListener("click", () => (this.lastSource === "camera" ? this.scanCamera() : this.reset()));
    this.root.dataset.ready = "1";
    this.refreshLists();
    setInterval(() => this.refreshLists(), REFRESH_MS);
    window.addEventListener("online", () => this.refreshLists());
    this.registerServiceWorker();
  }

  fatal(message) {
    const box = $(this.root, "#verifier-problem");
    box.textContent = message;
    box.hidden = false;
  }

  async registerServiceWorker() {
    if (!("serviceWorker" in navigator)) return;
    try {
      await navigator.serviceWorker.register(this.config.serviceWorkerUrl, { scope: this.config.scope });
    } catch {
      // Works online without it; the page says when the lists cannot be cached.
    }
  }

  async refreshLists() {
    if (!this.ca) {
      this.fatal(this.t("no_ca"));
      this.showListStatus();
      return;
    }
    const load = (online) =>
      Promise.all([
        loadList("trustList", this.config.trustListUrl, this.ca, { online }),
        loadList("revocations", this.config.revocationsUrl, this.ca, { online }),
      ]).then(([trustList, revocations]) => {
        this.lists = { trustList, revocations };
        this.showListStatus();
      });
    // The stored lists first, so a slow network never holds up a check.
    if (!this.lists.trustList) {
      this.listsLoading = load(false);
      await this.listsLoading;
    }
    if (navigator.onLine) {
      this.listsLoading = load(true);
      await this.listsLoading;
    }
  }

  showListStatus() {
    const box = $(this.root, "#lists-status");
    box.replaceChildren();
    for (const kind of ["trustList", "revocations"]) {
      const list = this.lists[kind];
      const line = document.createElement("li");
      line.dataset.list = kind;
      if (list && list.index) {
        const age = Date.now() - list.fetchedAt.getTime();
        line.textContent = this.t(`${kind}_status`, {
          count: list.size,
          issued: this.dateTime(list.issuedAt),
          fetched: this.dateTime(list.fetchedAt),
          age: this.relative(list.fetchedAt),
        });
        if (age > STALE_MS) line.classList.add("stale");
        if (list.error) line.append(" ", this.t(list.error));
        line.dataset.state = "ready";
      } else {
        line.textContent = `${this.t(`${kind}_missing`)} ${list ? this.t(list.error) : ""}`;
        line.classList.add("stale");
        line.dataset.state = "missing";
      }
      box.append(line);
    }
    box.dataset.ready = this.lists.trustList?.index ? "1" : "0";
  }

  async scanCamera() {
    this.reset();
    const video = $(this.root, "#scan-video");
    video.hidden = false;
    $(this.root, "#scan-stop").hidden = false;
    $(this.root, "#scan-start").hidden = true;
    this.setBusy(this.t("camera_looking"));
    try {
      this.stopCamera = await startCamera(video, (text) => {
        this.endCamera();
        this.lastSource = "camera";
        this.verify(text);
      });
    } catch (error) {
      this.endCamera();
      this.setBusy(this.t(error && error.name === "NotAllowedError" ? "camera_denied" : "camera_unavailable"));
    }
  }

  endCamera() {
    if (this.stopCamera) this.stopCamera();
    this.stopCamera = null;
    $(this.root, "#scan-video").hidden = true;
    $(this.root, "#scan-stop").hidden = true;
    $(this.root, "#scan-start").hidden = false;
  }

  async scanFile(input) {
    const file = input.files && input.files[0];
    if (!file) return;
    this.endCamera();
    this.reset();
    this.lastSource = "file";
    this.setBusy(this.t("reading_image"));
    let text = null;
    try {
      text = await readImageFile(file);
    } catch {
      text = null;
    }
    input.value = "";
    if (!text) {
      this.show({ verdict: NOT_VALID, reasons: [{ code: "image_unreadable" }], decoded: null });
      return;
    }
    await this.verify(text);
  }

  setBusy(message) {
    $(this.root, "#scan-busy").textContent = message;
  }

  reset() {
    const box = $(this.root, "#verdict");
    box.hidden = true;
    box.dataset.verdict = "";
    this.setBusy("");
  }

  async verify(text) {
    this.setBusy(this.t("checking"));
    // Wait for the network only when this device has no list of its own yet.
    if (!this.lists.trustList?.index && this.listsLoading) await this.listsLoading;
    const trustList = this.lists.trustList?.index;
    if (!trustList) {
      this.show({ verdict: NOT_VALID, reasons: [{ code: "no_trust_list" }], decoded: null });
      return;
    }
    let result;
    try {
      result = await verifyHc1(text, {
        trustList,
        revocations: this.lists.revocations?.index ?? new Map(),
        now: new Date(),
      });
    } catch {
      // Whatever the decoder did not foresee is still a certificate that cannot be read.
      result = { verdict: NOT_VALID, reasons: [{ code: "cwt_invalid" }], decoded: null };
    }
    if (!this.lists.revocations?.index && result.verdict === VALID) {
      result.reasons.push({ code: "no_revocation_list", params: {} });
    }
    this.show(result);
  }

  show(result) {
    this.setBusy("");
    const box = $(this.root, "#verdict");
    box.dataset.verdict = result.verdict;
    $(box, ".verdict-symbol").textContent = SYMBOLS[result.verdict];
    $(box, ".verdict-word").textContent = this.t(`verdict_${result.verdict}`);
    const reasons = $(box, ".verdict-reasons");
    reasons.replaceChildren(
      ...result.reasons.map(({ code, params = {} }) => {
        const item = document.createElement("li");
        item.dataset.reason = code;
        const shown = {};
        for (const [key, value] of Object.entries(params)) {
          shown[key] = value instanceof Date ? this.date(value) : key === "type" ? this.t(`type_${value}`) : value;
        }
        item.textContent = this.t(`reason_${code}`, shown);
        return item;
      }),
    );
    // Details only when the signature holds: a forged certificate's name means nothing.
    const details = $(box, ".verdict-details");
    details.replaceChildren();
    if (result.decoded && result.verdict !== NOT_VALID) this.showDetails(details, result);
    details.hidden = !details.children.length;
    box.hidden = false;
    box.focus();
  }

  showDetails(list, { decoded, type, signer }) {
    const { dcc } = decoded;
    const name = dcc.nam ?? {};
    const add = (label, value) => {
      if (value === undefined || value === null || value === "") return;
      const term = document.createElement("dt");
      term.textContent = this.t(label);
      const detail = document.createElement("dd");
      detail.textContent = value;
      detail.dataset.field = label;
      list.append(term, detail);
    };
    const fullName = [name.fn, name.gn].filter(Boolean).join(" ");
    const transliterated = [name.fnt, name.gnt].filter(Boolean).join("<<");
    add("field_name", fullName || transliterated);
    if (fullName && transliterated) add("field_name_icao", transliterated);
    add("field_birth_date", this.birthDate(dcc.dob));
    add("field_type", this.t(`type_${type}`));
    const entries = dcc[type] ?? [];
    if (type === "v") {
      for (const dose of entries) {
        add("field_doses", this.t("dose_line", {
          number: dose.dn,
          total: dose.sd,
          product: this.config.products[dose.mp] ?? dose.mp,
          date: this.birthDate(dose.dt),
          country: dose.co,
        }));
      }
    } else {
      for (const entry of entries) add("field_date", this.birthDate((entry.sc ?? entry.fr ?? "").slice(0, 10)));
    }
    const first = entries[0] ?? {};
    add("field_issuer", [first.is, decoded.issuer].filter(Boolean).join(" · "));
    add("field_valid_until", decoded.expiresAt ? this.date(decoded.expiresAt) : "");
    add("field_certificate_id", first.ci);
    add("field_signer", signer ? `${signer.country ?? ""} · ${signer.kid ?? ""}`.replace(/ · $/, "") : "");
  }

  locale() {
    return this.language === "vi" ? "vi-VN" : "en-GB";
  }

  date(moment) {
    return new Intl.DateTimeFormat(this.locale(), { day: "2-digit", month: "2-digit", year: "numeric" }).format(moment);
  }

  dateTime(moment) {
    return new Intl.DateTimeFormat(this.locale(), { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" }).format(moment);
  }

  relative(moment) {
    const seconds = Math.round((moment.getTime() - Date.now()) / 1000);
    const format = new Intl.RelativeTimeFormat(this.locale(), { numeric: "auto" });
    for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
      if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
    }
    return format.format(0, "minute");
  }

  /** YYYY-MM-DD, YYYY-MM or YYYY as the reader writes dates, without time zones. */
  birthDate(text) {
    const match = /^(\d{4})(?:-(\d\d))?(?:-(\d\d))?/.exec(text ?? "");
    if (!match) return text ?? "";
    return [match[3], match[2], match[1]].filter(Boolean).join("/");
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
