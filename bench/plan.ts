// `npm run bench:plan [-- --subscribers 100000 --feedback 0.1 --batch 5000]`: planning alone — one day's digests for N
// readers (1–4 topics, a third with keywords, a share with feedback profiles), timed, with this process's peak RSS.
import { parseArgs } from "node:util";
import { planAllDigests, prepareMatching } from "../src/digest/plan.ts";
import { createHarness, DATE } from "./harness.ts";
import { addFeedback, createSubscribers } from "./subscribers.ts";

const { values } = parseArgs({ options: { subscribers: { type: "string", default: "100000" }, feedback: { type: "string", default: "0.1" }, batch: { type: "string", default: "5000" } } });
const N = Number(values.subscribers);
const h = await createHarness([]);
try {
  let t = performance.now();
  await createSubscribers(h.db, N);
  await addFeedback(h.db, Number(values.feedback));
  const voters = await h.db.feedback.findMany({ distinct: ["subscriberId"], select: { subscriberId: true } });
  console.log(`${N} readers (${voters.length} with feedback) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  t = performance.now();
  // The matcher's refresh (index new papers, topic and keyword matches, profiles) runs at the start of planning; it is
  // timed apart here because it depends on new papers, not on readers.
  await prepareMatching(h.db);
  const prepareSeconds = (performance.now() - t) / 1000;
  console.log(`matcher refresh (268 new papers, keywords, profiles): ${prepareSeconds.toFixed(1)} s`);
  t = performance.now();
  const plan = await planAllDigests(h.db, { now: new Date(`${DATE}T12:00:00Z`), date: DATE, batchSize: Number(values.batch) });
  const seconds = (performance.now() - t) / 1000;
  const items = await h.db.digestItem.count();
  const profileOnly = await h.db.digestItem.count({ where: { matchedTopics: { isEmpty: true }, matchedKeywords: { isEmpty: true } } });
  console.log(
    `planned ${plan.planned.length} digests (${plan.skipped} skipped, ${items} papers, ${profileOnly} of them entered on a profile alone) in ${seconds.toFixed(1)} s; ` +
      `RSS ${rssBefore.toFixed(0)} MB before, peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
} finally {
  await h.close();
}
