// The reader profile, Rocchio style, in one statement: the centroid of the tf-idf vectors of the papers a reader
// liked minus a share of the centroid of those they disliked, strongest terms kept, scaled to unit length so a paper's
// affinity (profile · paper vector) is a cosine however many votes there are. Raw SQL: it runs for one reader after
// a click, and for every reader with feedback when the paper index is rebuilt.
import type { Prisma } from "../generated/prisma/client.ts";
import { RANKING } from "../topics/ranking.ts";

type Tx = Prisma.TransactionClient;

/** Rebuilds the profiles of these readers (all readers with feedback when `subscriberIds` is null). */
export async function rebuildProfiles(tx: Tx, subscriberIds: string[] | null) {
  const f = RANKING.feedback;
  await tx.$executeRaw`DELETE FROM reader_profile_terms WHERE ${subscriberIds}::uuid[] IS NULL OR subscriber_id = ANY(${subscriberIds}::uuid[])`;
  await tx.$executeRaw`
    WITH votes AS (
      SELECT subscriber_id, value, count(*) OVER (PARTITION BY subscriber_id, value > 0) AS same_side, paper_id
      FROM feedback WHERE ${subscriberIds}::uuid[] IS NULL OR subscriber_id = ANY(${subscriberIds}::uuid[])
    ),
    summed AS (
      SELECT v.subscriber_id, pt.term,
             sum(CASE WHEN v.value > 0 THEN pt.weight ELSE -${f.dislikedWeight}::float8 * pt.weight END / v.same_side) AS weight
      FROM votes v JOIN paper_terms pt ON pt.paper_id = v.paper_id
      GROUP BY v.subscriber_id, pt.term
    ),
    strongest AS (
      SELECT subscriber_id, term, weight, row_number() OVER (PARTITION BY subscriber_id ORDER BY abs(weight) DESC, term) AS rn
      FROM summed WHERE weight <> 0
    )
    INSERT INTO reader_profile_terms (subscriber_id, term, weight)
    SELECT subscriber_id, term, weight / sqrt(sum(weight * weight) OVER (PARTITION BY subscriber_id))
    FROM strongest WHERE rn <= ${f.profileTerms}`;
}
