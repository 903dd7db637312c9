import { describe, expect, it } from "vitest";
import { escapeXml, lineChart, niceScale, rankedBarChart, stackedBarChart } from "../../src/admin/charts.ts";
import { describeRun, formatDuration } from "../../src/admin/dashboard.ts";
import { dayRange } from "../../src/admin/queries.ts";

const days = ["2026-11-22", "2026-11-23", "2026-11-24"];

describe("charts", () => {
  it("rounds the scale up to a readable top with at most about four steps", () => {
    expect(niceScale(0)).toEqual({ top: 4, step: 1 });
    expect(niceScale(3)).toEqual({ top: 3, step: 1 });
    expect(niceScale(7)).toEqual({ top: 8, step: 2 });
    expect(niceScale(130)).toEqual({ top: 150, step: 50 });
    expect(niceScale(1000)).toEqual({ top: 1000, step: 250 });
  });

  it("draws a mark per non-zero figure, each carrying its figure, and nothing for zeros", () => {
    const svg = stackedBarChart({ id: "c", title: "Emails", days, series: [{ name: "sent", color: "#0a0", values: [2, 0, 5] }, { name: "failed", color: "#a00", values: [0, 0, 1] }] });
    const marks = [...svg.matchAll(/data-series="(\w+)" data-day="([\d-]+)" data-value="(\d+)"/g)].map((m) => `${m[2]} ${m[1]} ${m[3]}`);
    expect(marks).toEqual(["2026-11-22 sent 2", "2026-11-24 sent 5", "2026-11-24 failed 1"]);
    expect(svg).toContain('role="img"');
    expect(svg).toContain("<desc id=\"c-desc\">2026-11-22 to 2026-11-24; in total sent 7, failed 1</desc>");
  });

  it("draws one dot per day and series on a line chart, and says the last day's figures", () => {
    const svg = lineChart({ id: "l", title: "Readers", days, series: [{ name: "active", color: "#00f", values: [1, 2, 3] }] });
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain("active 3");
  });

  it("escapes every label: keywords are typed by readers", () => {
    const svg = rankedBarChart({ id: "k", title: "Top <keywords>", items: [{ label: `<script>"x"&'y'</script>`, value: 2 }], color: "#000" });
    expect(svg).not.toContain("<script>");
    expect(svg).toContain(escapeXml(`<script>"x"&'y'</script>`));
    expect(svg).toContain("Top &lt;keywords&gt;");
  });
});

describe("dashboard figures", () => {
  it("counts UTC days back from now", () => {
    expect(dayRange(new Date("2026-11-24T23:59:00Z"), 3)).toEqual(days);
    expect(dayRange(new Date("2026-03-01T00:00:00Z"), 2)).toEqual(["2026-02-28", "2026-03-01"]);
  });

  it("describes the last run: still open, finished, or finished with failures, and how long it took", () => {
    const plannedAt = new Date("2026-11-24T07:00:00Z");
    const base = { plannedAt, finishedAt: new Date("2026-11-24T07:02:05Z"), planned: 0, sending: 0, sent: 10, skipped: 2, failed: 0 };
    expect(describeRun(base, new Date("2026-11-24T08:00:00Z"))).toMatchObject({ result: "finished", ok: true, duration: "2 min 5 s", counts: { total: 12 } });
    expect(describeRun({ ...base, failed: 1 }, new Date("2026-11-24T08:00:00Z"))).toMatchObject({ result: "finished with failures", ok: false });
    expect(describeRun({ ...base, planned: 3 }, new Date("2026-11-24T09:30:00Z"))).toMatchObject({ result: "in progress", duration: "2 h 30 min", finishedAt: null, counts: { open: 3, total: 15 } });
    expect(describeRun(null, new Date())).toBeNull();
    expect(formatDuration(59)).toBe("59 s");
  });
});
