// The SMTP transport on its own thread: what the sender sees must be what it saw with the transport in its thread —
// the email arrives whole, a refusal carries Nodemailer's fields, and a closed mailer lets a process exit.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig, PROJECT_ROOT } from "../../src/config.ts";
import { createMailer, listHeaders } from "../../src/mail/transport.ts";
import { type SmtpSink, startSmtpSink } from "../support/smtp-sink.ts";

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.stop();
});

const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" });

it("delivers the message as built, with its Message-ID, headers and both parts", async () => {
  const mailer = createMailer(config, sink.url);
  try {
    const sent = await mailer.send({
      to: "reader@example.com",
      subject: "5 new papers: “Reasoning” — Tue 24 Nov",
      html: "<p>caf\u00e9 ▲ 12</p>",
      text: "café ▲ 12",
      messageId: "<digest-1@digest.example.com>",
      headers: listHeaders({ unsubscribeUrl: "https://digest.example.com/u/x", listId: "Digest <digest.example.com>" }),
    });
    expect(sent.messageId).toBe("<digest-1@digest.example.com>");
    expect(sent.response).toMatch(/^250/);
    const [mail] = await sink.waitFor(1, "reader@example.com");
    expect(mail!.subject).toBe("5 new papers: “Reasoning” — Tue 24 Nov");
    expect(mail!.html).toContain("café ▲ 12");
    expect(mail!.text.trim()).toBe("café ▲ 12");
    expect(mail!.headers.get("message-id")).toBe("<digest-1@digest.example.com>");
    expect(mail!.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
  } finally {
    mailer.close();
  }
});

it("delivers long bodies exactly: long lines, '=', trailing spaces, dots at line starts, text in other scripts", async () => {
  // The bodies cross to the thread as UTF-8 bytes with quoted-printable said outright: what a reader's client decodes
  // must be what was rendered, character for character.
  const mailer = createMailer(config, sink.url);
  const line = (i: number) => `<a href="https://digest.example.com/feedback/abc.${i}?v=more">more</a> x=${i} “quoted” — 日本語 ▲ ${"w".repeat(90)}  `;
  const html = Array.from({ length: 400 }, (_, i) => (i % 7 === 0 ? `.${line(i)}` : line(i))).join("\n");
  const text = Array.from({ length: 200 }, (_, i) => `${i % 5 === 0 ? "." : ""}Why: matched “x=${i}” · ${"t".repeat(100)} `).join("\n");
  try {
    await mailer.send({ to: "long@example.com", subject: "long", html, text });
    const [mail] = await sink.waitFor(1, "long@example.com");
    expect(mail!.html).toBe(html);
    expect(mail!.text).toBe(text);
    expect(mail!.raw).toMatch(/^Content-Transfer-Encoding: quoted-printable\r?$/m);
  } finally {
    mailer.close();
  }
});

it("fails a refused message with Nodemailer's error fields (what the sender classifies)", async () => {
  const mailer = createMailer(config, sink.url);
  sink.failWith = (to) => (to === "gone@example.com" ? { code: 550, message: "No such user" } : undefined);
  try {
    const err = await mailer.send({ to: "gone@example.com", subject: "x", html: "<p>x</p>", text: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ responseCode: 550, command: "RCPT TO", code: "EENVELOPE" });
    // The thread lives on after a refusal.
    await mailer.send({ to: "still@example.com", subject: "y", html: "<p>y</p>", text: "y" });
    await sink.waitFor(1, "still@example.com");
  } finally {
    sink.failWith = undefined;
    mailer.close();
  }
});

it("does not keep a process alive once its mailer is closed", async () => {
  // A process that sent one email and closed its mailer exits by itself (the thread is not left running).
  const from = (file: string) => JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, file)).href);
  const script = `
    import { loadConfig } from ${from("src/config.ts")};
    import { createMailer } from ${from("src/mail/transport.ts")};
    const mailer = createMailer(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" }), ${JSON.stringify(sink.url)});
    await mailer.send({ to: "exit@example.com", subject: "bye", html: "<p>bye</p>", text: "bye" });
    mailer.close();
    console.log("sent");
  `;
  // Not spawnSync: the SMTP server answering it runs in this process.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tpd-mail-thread-"));
  fs.writeFileSync(path.join(dir, "send-once.mts"), script);
  const child = spawn(process.execPath, ["--import", "tsx", path.join(dir, "send-once.mts")], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(killer);
  fs.rmSync(dir, { recursive: true, force: true });
  expect(stdout.trim(), stderr).toBe("sent");
  expect(code, stderr).toBe(0);
});
