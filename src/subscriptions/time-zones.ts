// Time zones as readers know them: current IANA names (Asia/Kolkata, Europe/Kyiv; not the legacy Asia/Calcutta or
// Europe/Kiev that Node's ICU still reports as canonical), grouped by continent, with their cities for searching.
// The list comes from @vvo/tzdb (the IANA database with GeoNames cities, updated monthly); whether a name works is
// asked of Intl, which does the date arithmetic on the pages (PostgreSQL does the planner's).
import { rawTimeZones, timeZonesNames } from "@vvo/tzdb";

export interface TimeZoneEntry {
  /** Current IANA name, the value stored. */
  name: string;
  region: string;
  /** Lower-case text a search matches: the name, its cities, its country. */
  searchText: string;
  /** The legacy name this runtime's ICU uses for it, if different (a browser may report that one). */
  legacyName?: string;
}

const UTC: TimeZoneEntry = { name: "UTC", region: "UTC", searchText: "utc gmt coordinated universal time z" };

/** ICU's name for a zone (legacy for some: Asia/Kolkata -> Asia/Calcutta on Node 20), or undefined if it knows none. */
function icuName(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function buildCatalog() {
  const groupOf = new Map<string, (typeof rawTimeZones)[number]>();
  for (const group of rawTimeZones) for (const member of group.group) groupOf.set(member, group);
  const entries: TimeZoneEntry[] = [UTC];
  // ICU's name -> the current IANA name: each current name resolves, in ICU, to exactly one name (itself, or the legacy
  // one ICU keeps), so the reverse map turns any spelling Intl accepts ("US/Eastern", "Asia/Calcutta") into a current
  // name. Built from the running ICU, so it stays right on a Node whose ICU already reports current names.
  const current = new Map<string, string>([["UTC", "UTC"], ["Etc/UTC", "UTC"], ["Etc/GMT", "UTC"]]);
  for (const name of timeZonesNames) {
    const icu = icuName(name);
    if (!icu) continue; // a zone newer than this Node's ICU
    current.set(icu, name);
    const group = groupOf.get(name);
    // A group is the zones that keep the same time now; its cities belong to its main zone only (Detroit is not New York).
    const cities = group?.name === name ? group.mainCities : [];
    entries.push({
      name,
      legacyName: icu !== name ? icu : undefined,
      region: group?.continentName ?? name.split("/")[0]!,
      searchText: [name, name.replace(/_/g, " "), ...cities, group?.name === name ? group.countryName : "", group?.alternativeName ?? ""].join(" ").toLowerCase(),
    });
  }
  return { entries, current };
}

const catalog = buildCatalog();

/** Every zone a reader can pick, UTC first. */
export const TIME_ZONES: readonly TimeZoneEntry[] = catalog.entries;

/**
 * The current IANA name of a zone ("US/Eastern" -> "America/New_York", "Asia/Calcutta" -> "Asia/Kolkata", "utc" ->
 * "UTC"), or undefined for a name Intl does not know or one outside the list (PostgreSQL, which computes local hours,
 * knows every current name).
 */
// Building an Intl.DateTimeFormat costs ~0.3 ms, the most expensive step of a subscribe request: remember answers.
// Only spellings of real zones are kept, and at most ZONE_CACHE_SIZE of them (other capitalisations are valid too).
const ZONE_CACHE_SIZE = 2000;
const zoneAnswers = new Map<string, string>();

export function canonicalTimeZone(zone: string): string | undefined {
  const known = zoneAnswers.get(zone);
  if (known) return known;
  if (zone.length > 64) return undefined;
  const icu = icuName(zone);
  const canonical = icu === undefined ? undefined : catalog.current.get(icu);
  if (canonical && zoneAnswers.size < ZONE_CACHE_SIZE) zoneAnswers.set(zone, canonical);
  return canonical;
}

/** "UTC+05:30" at `at` (offsets change with daylight saving time). */
export function utcOffset(zone: string, at: Date): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(at).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  return part === "GMT" ? "UTC+00:00" : part.replace("GMT", "UTC");
}
