// `yoda outputs <workdir>`: each done range's outputs in input-file and event order (the job's order, not ls order),
// for scripts and for merging by hand.
import { replayJournalFile } from '../journal/read.js';
import { RangeState } from '../journal/replay.js';
import { currentOutputPath, planOf, requireJobDescription } from '../job/workdir.js';
import { doneOutputs } from '../job/integrity.js';
import { workdirPaths } from '../workdir/paths.js';
import { defineCommand } from './command.js';

/** One done range and its outputs. */
export interface RangeOutputs {
  range: string;
  file: string;
  first: number;
  last: number;
  outputs: string[];
}

/** The done ranges of the job in `workdir`, in input-file and event order, with the outputs the journal honoured. */
export function listOutputs(workdir: string): RangeOutputs[] {
  const d = requireJobDescription(workdir);
  const plan = planOf(d);
  const { parsed, state } = replayJournalFile(workdirPaths(workdir).journal, d.totalRanges, true);
  const outs = doneOutputs(parsed.records);
  const list: RangeOutputs[] = [];
  for (let i = 0; i < d.totalRanges; i++) {
    const done = outs.get(i);
    if (state.state[i] !== RangeState.done || !done) continue;
    const g = plan.range(i);
    // Where the outputs are now (a work directory moved since they were recorded).
    const outputs = done.out.map((o) => currentOutputPath(d, o));
    list.push({ range: g.id, file: d.files[g.file].path, first: g.first, last: g.last, outputs });
  }
  return list;
}

/** One merged group (job file `merge`): its name, ranges, merged file and where it was staged (null: not yet). */
export interface MergedOutput {
  group: string;
  first: number;
  last: number;
  output: string;
  bytes: number;
  adler32: string;
  staged: string | null;
}

/** The merged groups of the job in `workdir`, in group order, from the merged and staged records the journal honoured. */
export function listMerged(workdir: string): MergedOutput[] {
  const d = requireJobDescription(workdir);
  const { parsed } = replayJournalFile(workdirPaths(workdir).journal, d.totalRanges, true);
  const merged = new Map<number, MergedOutput>();
  for (const r of parsed.records) {
    if (r.t === 'merged' && !merged.has(r.g)) {
      const [first, last] = r.r;
      const output = currentOutputPath(d, r.out);
      merged.set(r.g, { group: r.id, first, last, output, bytes: r.bytes, adler32: r.adler32, staged: null });
    } else if (r.t === 'staged' && r.g !== undefined) {
      const m = merged.get(r.g);
      if (m && m.staged === null) m.staged = r.out[0] ?? null;
    }
  }
  return [...merged].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
}

/** Prints the outputs: one path per line; --by-file groups them under each input file; --merged lists merged files; --json for scripts. */
export function outputsCommand(o: { workdir: string; json: boolean; byFile: boolean; merged: boolean }): number {
  if (o.merged) {
    const merged = listMerged(o.workdir);
    const text = o.json ? JSON.stringify(merged, null, 1) : merged.map((m) => m.output).join('\n');
    if (text !== '') process.stdout.write(`${text}\n`);
    return 0;
  }
  const list = listOutputs(o.workdir);
  let text: string;
  if (o.byFile) {
    const files = new Map<string, string[]>();
    for (const r of list) {
      const outputs = files.get(r.file) ?? [];
      outputs.push(...r.outputs);
      files.set(r.file, outputs);
    }
    text = o.json
      ? JSON.stringify(
          [...files].map(([file, outputs]) => ({ file, outputs })),
          null,
          1,
        )
      : [...files].map(([file, outputs]) => `${file}\n${outputs.map((p) => `  ${p}`).join('\n')}`).join('\n');
  } else {
    text = o.json ? JSON.stringify(list, null, 1) : list.flatMap((r) => r.outputs).join('\n');
  }
  if (text !== '') process.stdout.write(`${text}\n`);
  return 0;
}

/** `yoda outputs <workdir> [--json] [--by-file | --merged]`. */
export const outputsCli = defineCommand({
  command: 'outputs <workdir>',
  describe: "list each done range's outputs in input-file and event order (for scripts and merging)",
  builder: (y) =>
    y
      .positional('workdir', { type: 'string', demandOption: true, describe: 'the work directory of the job' })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print JSON: [{range, file, first, last, outputs}]',
      })
      .option('by-file', { type: 'boolean', describe: 'group the outputs under their input file' })
      .option('merged', {
        type: 'boolean',
        conflicts: 'by-file',
        describe:
          'list the merged files instead (job file merge), in group order; --json: [{group, first, last, output, bytes, adler32, staged}]',
      }),
  handler: (a) =>
    outputsCommand({ workdir: a.workdir, json: a.json, byFile: a['by-file'] ?? false, merged: a.merged ?? false }),
});
