// What a failed send is about, from the errors Nodemailer really raises against real (misbehaving) servers.
import net from "node:net";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifySendFailure } from "../../src/digest/failures.ts";
import { freePort } from "../support/postgres-server.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.stop();
});

async function errorOf(url: string, to: string, timeouts: { greetingTimeout?: number } = {}) {
  const transport = nodemailer.createTransport({ url, ...timeouts });
  try {
    await transport.sendMail({ from: "digest@example.com", to, subject: "s", text: "t" });
  } catch (err) {
    return err;
  } finally {
    transport.close();
  }
  throw new Error("the send did not fail");
}

describe("classifying send failures", () => {
  it("a 5xx to RCPT TO is about the recipient, for good", async () => {
    sink.failWith = () => ({ code: 550, message: "5.1.1 no such user" });
    expect(classifySendFailure(await errorOf(sink.url, "gone@example.com"))).toMatchObject({ scope: "recipient-permanent", failureClass: "5xx", code: 550 });
  });

  it("a 4xx to RCPT TO is about the mailbox for now, but 421 is the server's", async () => {
    sink.failWith = () => ({ code: 452, message: "4.2.2 mailbox full" });
    expect(classifySendFailure(await errorOf(sink.url, "full@example.com"))).toMatchObject({ scope: "recipient-temporary", failureClass: "4xx", code: 452 });
    sink.failWith = () => ({ code: 421, message: "4.7.0 too many connections" });
    expect(classifySendFailure(await errorOf(sink.url, "any@example.com"))).toMatchObject({ scope: "server", failureClass: "4xx", code: 421 });
    sink.failWith = undefined;
  });

  it("a 4xx after the message is the server's; a 5xx after the message is about our message or settings", async () => {
    sink.failDataWith = () => ({ code: 451, message: "4.3.0 local error" });
    expect(classifySendFailure(await errorOf(sink.url, "a@example.com"))).toMatchObject({ scope: "server", failureClass: "4xx", code: 451 });
    sink.failDataWith = () => ({ code: 554, message: "5.7.1 message refused" });
    expect(classifySendFailure(await errorOf(sink.url, "a@example.com"))).toMatchObject({ scope: "sender", failureClass: "5xx", code: 554 });
    sink.failDataWith = undefined;
  });

  it("a refused connection and a silent server are the server's: connection and timeout", async () => {
    const closedPort = await freePort();
    expect(classifySendFailure(await errorOf(`smtp://127.0.0.1:${closedPort}`, "a@example.com"))).toMatchObject({ scope: "server", failureClass: "connection" });

    const silent = net.createServer(() => {}); // accepts, never greets
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      expect(classifySendFailure(await errorOf(`smtp://127.0.0.1:${port}`, "a@example.com", { greetingTimeout: 200 }))).toMatchObject({ scope: "server", failureClass: "timeout" });
    } finally {
      silent.close();
    }
  });

  it("keeps the server's answer in one line for the digest's last error", () => {
    const failure = classifySendFailure(Object.assign(new Error("Message failed: 421 4.7.0 Try again\r\n later"), { responseCode: 421, command: "DATA" }));
    expect(failure.message).toBe("Message failed: 421 4.7.0 Try again later");
  });
});
