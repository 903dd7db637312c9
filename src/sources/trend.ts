// The trend factor of a paper: how much it is trending now, from the upvotes and comments sources observed over
// time. The planner multiplies each reader's relevance by it (src/topics/ranking.ts, README "The daily digest").
//
//   trend      = freshness × popularity
//   freshness  = 0.5 ^ (days since first seen / 3)                      age gravity: halves every 3 days
//   popularity = 1 + ln(1 + velocity)                                   when the paper has signals
//              = 1 / (1 + (rank - 1) / 300)                             otherwise: its position on a saved page
//   velocity   = points gained per hour = max(0, P_now - P_base) / (hours from base to now + 2)
//   points     = upvotes + 0.5 × comments (the latest observation, per source; the best source counts)
//   base       = the newest observation at least 24 h older than the latest, else (first seen, 0 points)
//
// Like Hacker News, votes are divided by (age + 2) hours, so a paper an hour old is not a hundred times hotter than
// one two hours old; unlike it, only the last 24 hours of votes count once they are known (momentum, not fame),
// and the logarithm keeps 500 upvotes from drowning topic relevance. Any signal gives popularity ≥ 1, so a paper
// people upvote ranks above one nobody has rated at equal relevance. This file holds the constants, the SQL the
// planner runs, and a TypeScript twin of it that tests compare with the SQL.
import { RANKING } from "../topics/ranking.ts";

export const TREND = {
  /** Default of TRENDING_WINDOW_DAYS: papers first seen longer ago are not candidates. */
  windowDays: 7,
  freshnessHalfLifeDays: RANKING.freshnessHalfLifeDays,
  rankScale: RANKING.rankScale,
  /** Votes gained within this many hours before the latest observation make the velocity. */
  velocityWindowHours: 24,
  /** Hacker News' "+2" hours. */
  ageOffsetHours: 2,
  /** A comment counts as half an upvote. */
  commentWeight: 0.5,
} as const;

export interface SignalObservation {
  source: string;
  observedAt: Date;
  upvotes: number;
  comments: number;
}

export interface TrendInput {
  now: Date;
  firstSeenAt: Date;
  rank: number;
  signals: SignalObservation[];
}

const HOUR = 3_600_000;

/** Pure twin of trendQuery: the same formula for one paper. */
export function trendOf(input: TrendInput): number {
  const now = input.now.getTime();
  const ageDays = Math.max(0, now - input.firstSeenAt.getTime()) / (24 * HOUR);
  const freshness = 0.5 ** (ageDays / TREND.freshnessHalfLifeDays);
  const velocity = velocityOf(input);
  const popularity = velocity === undefined ? 1 / (1 + (input.rank - 1) / TREND.rankScale) : 1 + Math.log1p(velocity);
  return freshness * popularity;
}

/** Points gained per hour, the best over sources; undefined when no signal was observed by `now`. */
export function velocityOf(input: TrendInput): number | undefined {
  const points = (s: SignalObservation) => s.upvotes + TREND.commentWeight * s.comments;
  const known = input.signals.filter((s) => s.observedAt.getTime() <= input.now.getTime());
  let best: number | undefined;
  for (const source of new Set(known.map((s) => s.source))) {
    const series = known.filter((s) => s.source === source).sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime());
    const latest = series.at(-1)!;
    const cutoff = latest.observedAt.getTime() - TREND.velocityWindowHours * HOUR;
    const base = series.filter((s) => s.observedAt.getTime() <= cutoff).at(-1);
    const baseAt = base ? base.observedAt.getTime() : input.firstSeenAt.getTime();
    const hours = Math.max(0, latest.observedAt.getTime() - baseAt) / HOUR;
    const v = Math.max(0, points(latest) - (base ? points(base) : 0)) / (hours + TREND.ageOffsetHours);
    best = best === undefined ? v : Math.max(best, v);
  }
  return best;
}

/**
 * SELECT paper_id, trend for the papers `filter` (SQL over `p`, the papers) admits that were first seen within
 * `windowDays` of `now`, as text and parameters for pg. Raw SQL: the planner ranks from it. float8 throughout (numeric
 * was slow there). Plain pg, no Prisma: the lean planning process runs it (src/digest/planner-process.ts).
 */
export function trendQuery(now: Date, windowDays: number, filter = "true"): { text: string; values: unknown[] } {
  const points = (t: string) => `(${t}.upvotes + ${TREND.commentWeight}::float8 * ${t}.comments)::float8`;
  // Only the two parameters vary; the constants are this file's numbers.
  const text = `
    SELECT p.id AS paper_id,
           power(0.5, greatest(0, extract(epoch FROM (n.now - p.first_seen_at))::float8 / 86400.0) / ${TREND.freshnessHalfLifeDays}::float8)
           * CASE WHEN v.velocity IS NULL THEN 1 / (1 + (p.rank - 1) / ${TREND.rankScale}::float8)
                  ELSE 1 + ln(1 + v.velocity) END AS trend
    FROM papers p
    CROSS JOIN (SELECT ($1::timestamptz AT TIME ZONE 'UTC') AS now) n
    LEFT JOIN LATERAL (
      SELECT max(greatest(0, l.points - coalesce(b.points, 0))
                 / (greatest(0, extract(epoch FROM (l.observed_at - coalesce(b.observed_at, p.first_seen_at)))::float8) / 3600.0 + ${TREND.ageOffsetHours}::float8)) AS velocity
      FROM (SELECT DISTINCT ON (s.source) s.source, s.observed_at, ${points("s")} AS points
            FROM paper_signals s
            WHERE s.paper_id = p.id AND s.observed_at <= n.now
            ORDER BY s.source, s.observed_at DESC) l
      LEFT JOIN LATERAL (
        SELECT b.observed_at, ${points("b")} AS points
        FROM paper_signals b
        WHERE b.paper_id = p.id AND b.source = l.source AND b.observed_at <= l.observed_at - make_interval(hours => ${TREND.velocityWindowHours}::int)
        ORDER BY b.observed_at DESC
        LIMIT 1) b ON true
    ) v ON true
    WHERE p.first_seen_at >= n.now - make_interval(secs => $2::float8)
      AND ${filter}`;
  return { text, values: [now.toISOString(), windowDays * 86400] };
}
