import type { IngestReport } from "./ingest.ts";

/** Human-readable lines for an ingest: the summary first, then each warning as file:line. */
export function formatIngestReport(report: IngestReport): string[] {
  return [
    `${report.files} file(s), ${report.papers} paper(s): ${report.added} added, ${report.updated} updated, ${report.unchanged} unchanged, ${report.warnings.length} warning(s)`,
    ...report.warnings.map((w) => `warning: ${w.file}:${w.line}: ${w.message}`),
  ];
}
