// Checks "who has looked" proofs in the browser: the entry's leaf hash, its audit path to the
// signed tree head's root (RFC 9162 section 2.1.3.2) and the head's Ed25519 signature with the
// partnership's public key. WebCrypto does the SHA-256 and, where the browser has it, Ed25519.
// A file, not an inline script, so the page's CSP forbids inline scripts. See docs/portal.md.

const encoder = new TextEncoder();

function fromHex(hex) {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error("a hash is not hexadecimal");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function sha256(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

async function rootFromPath(index, size, leaf, path) {
  if (index >= size) throw new Error("the entry is not under this tree head");
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const hex of path) {
    const p = fromHex(hex);
    if (sn === 0) throw new Error("the audit path is too long");
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error("the audit path is too short");
  return r;
}

let publicKey = null;

async function loadKey() {
  if (publicKey) return publicKey;
  const pem = await (await fetch("/my/audit-public-key", { credentials: "same-origin" })).text();
  const body = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  publicKey = await crypto.subtle.importKey("spki", fromBase64(body), { name: "Ed25519" }, false, [
    "verify",
  ]);
  return publicKey;
}

async function signatureValid(head) {
  const message = encoder.encode(
    `sharewell-audit-tree-head/v1\n${head.tree_size}\n${head.root_hash}\n${head.timestamp_ms}\n`,
  );
  const key = await loadKey();
  return crypto.subtle.verify({ name: "Ed25519" }, key, fromBase64(head.signature), message);
}

export async function checkProof(proof) {
  const leaf = await sha256(Uint8Array.of(0), encoder.encode(proof.entry));
  if (toHex(leaf) !== proof.leaf_hash) throw new Error("the entry does not match its leaf hash");
  const head = proof.tree_head;
  const root = await rootFromPath(proof.index, head.tree_size, leaf, proof.audit_path);
  if (toHex(root) !== head.root_hash) {
    throw new Error("the audit path does not lead to the signed root");
  }
  let signed;
  try {
    signed = await signatureValid(head);
  } catch (error) {
    return {
      ok: true,
      message:
        "The entry is in the log: its audit path leads to the tree head's root. This browser " +
        "cannot check Ed25519 signatures: download the proof and check the signature with " +
        "the command below.",
    };
  }
  if (!signed) throw new Error("the tree head's signature is not the partnership's");
  return {
    ok: true,
    message:
      `Proof checked: entry ${proof.index} is in the log of ${head.tree_size} entries signed ` +
      "with the partnership's key.",
  };
}

async function onClick(event) {
  const button = event.currentTarget;
  const result = document.getElementById(button.dataset.result);
  result.textContent = "Checking…";
  try {
    const response = await fetch(button.dataset.proofUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error("the proof could not be fetched");
    const outcome = await checkProof(await response.json());
    result.textContent = outcome.message;
    result.classList.add("proof-valid");
  } catch (error) {
    result.textContent = `The proof failed: ${error.message}.`;
    result.classList.add("proof-invalid");
  }
}

if (window.crypto && window.crypto.subtle) {
  for (const button of document.querySelectorAll("button.check-proof")) {
    button.hidden = false;
    button.addEventListener("click", onClick);
  }
}
window.sharewellCheckProof = checkProof;
