import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { accuracyPerEpochSpec, privacyUtilitySpec, renderSvg, svgToPng } from './plots';
import { reportMarkdown, type TableReport } from './table-report';

/** Paths of the files {@link writeReport} wrote. */
export interface WrittenReport {
  /** `<profile>.json`. */
  readonly json: string;
  /** `<profile>.md`. */
  readonly markdown: string;
  /** SVG and PNG plots. */
  readonly plots: string[];
}

/**
 * Writes `<profile>.json`, `<profile>.md` and the two plots (`<profile>-accuracy.{svg,png}`,
 * `<profile>-privacy-utility.{svg,png}`) into `directory`.
 */
export async function writeReport(report: TableReport, directory: string): Promise<WrittenReport> {
  await mkdir(directory, { recursive: true });
  const base = join(directory, report.profile);
  const json = `${base}.json`;
  const markdown = `${base}.md`;
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(markdown, reportMarkdown(report));
  const plots: string[] = [];
  for (const [suffix, spec] of [
    ['accuracy', accuracyPerEpochSpec(report)],
    ['privacy-utility', privacyUtilitySpec(report)],
  ] as const) {
    const svg = await renderSvg(spec);
    await writeFile(`${base}-${suffix}.svg`, svg);
    await writeFile(`${base}-${suffix}.png`, svgToPng(svg));
    plots.push(`${base}-${suffix}.svg`, `${base}-${suffix}.png`);
  }
  return { json, markdown, plots };
}
