// Verifies a received message's DKIM-Signature (rsa-sha256, relaxed/relaxed, RFC 6376 §3.4) against a public key:
// what a receiving server checks. Returns why it fails, or undefined when the signature holds.
import { createHash, type KeyObject, verify } from "node:crypto";

const relaxedHeader = (name: string, value: string) => `${name.toLowerCase()}:${value.replace(/\r\n(?=[ \t])/g, "").replace(/[ \t]+/g, " ").trim()}`;

function relaxedBody(body: string): string {
  const lines = body.split("\r\n").map((line) => line.replace(/[ \t]+/g, " ").replace(/ $/, ""));
  while (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines.length ? `${lines.join("\r\n")}\r\n` : "";
}

export function dkimFailure(raw: string, publicKey: KeyObject): string | undefined {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split + 2);
  const body = raw.slice(split + 4);
  // Header fields with their folded continuation lines, in order.
  const fields = [...head.matchAll(/^([^:\r\n]+):((?:[^\r\n]*\r\n[ \t])*[^\r\n]*)\r\n/gm)].map((m) => ({ name: m[1]!, value: m[2]! }));
  const signature = fields.find((f) => f.name.toLowerCase() === "dkim-signature");
  if (!signature) return "no DKIM-Signature header";
  const tags = new Map(
    signature.value
      .replace(/\s+/g, "")
      .split(";")
      .filter(Boolean)
      .map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)] as const),
  );
  if (tags.get("a") !== "rsa-sha256" || tags.get("c") !== "relaxed/relaxed") return `unexpected a=${tags.get("a")} c=${tags.get("c")}`;
  const bodyHash = createHash("sha256").update(relaxedBody(body)).digest("base64");
  if (bodyHash !== tags.get("bh")) return `body hash ${bodyHash} does not match bh=${tags.get("bh")}`;
  // Each signed name takes the lowest instance not taken yet (§5.4.2).
  const used = new Set<number>();
  const signedLines = tags
    .get("h")!
    .split(":")
    .map((name) => {
      for (let i = fields.length - 1; i >= 0; i--) {
        if (!used.has(i) && fields[i]!.name.toLowerCase() === name.toLowerCase()) {
          used.add(i);
          return `${relaxedHeader(fields[i]!.name, fields[i]!.value)}\r\n`;
        }
      }
      return ""; // a name signed but absent contributes nothing
    });
  const unsigned = relaxedHeader(signature.name, signature.value.replace(/(\bb=)[^;]*/, "$1"));
  const ok = verify("sha256", Buffer.from(signedLines.join("") + unsigned), publicKey, Buffer.from(tags.get("b")!, "base64"));
  return ok ? undefined : "the signature does not verify";
}
