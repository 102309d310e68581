// Base45 (RFC 9285), the text encoding of the EU DCC QR code.

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const VALUES = new Map(Array.from(ALPHABET, (char, index) => [char, index]));

export class Base45Error extends Error {}

export function base45Decode(text) {
  if (text.length % 3 === 1) throw new Base45Error("base45 text of impossible length");
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let written = 0;
  for (let i = 0; i < text.length; i += 3) {
    const group = text.slice(i, i + 3);
    let value = 0;
    for (let j = group.length - 1; j >= 0; j--) {
      const digit = VALUES.get(group[j]);
      if (digit === undefined) throw new Base45Error(`not a base45 character: ${group[j]}`);
      value = value * 45 + digit;
    }
    if (group.length === 3) {
      if (value > 0xffff) throw new Base45Error("base45 group out of range");
      out[written++] = value >> 8;
      out[written++] = value & 0xff;
    } else {
      if (value > 0xff) throw new Base45Error("base45 group out of range");
      out[written++] = value;
    }
  }
  return out;
}
