// Before a resume: say what no longer matches the journal (outputs gone, inputs changed), and redo lost outputs on request.
import { replayJournalFile } from '../journal/read.js';
import { workdirPaths } from '../workdir/paths.js';
import { checkIntegrity, integrityAdvice, markMissingForRerun } from './integrity.js';
import type { JobDescription } from './workdir.js';

const say = (line: string) => process.stderr.write(`yoda: ${line}\n`);

/** Warns about missing outputs and changed inputs; with `rerunMissing`, journals that the ranges concerned run again. */
export async function checkBeforeResume(workdir: string, d: JobDescription, rerunMissing: boolean): Promise<void> {
  if (rerunMissing) {
    const redone = await markMissingForRerun(workdir, d);
    if (redone.length > 0)
      say(
        `--rerun-missing: ${redone.length} done range(s) lost their output and will run again (${redone.slice(0, 5).join(', ')}${redone.length > 5 ? ', ...' : ''})`,
      );
    else say('--rerun-missing: every done range still has its output');
  }
  const { parsed, state } = replayJournalFile(workdirPaths(workdir).journal, d.totalRanges);
  for (const line of integrityAdvice(checkIntegrity(d, state, parsed), workdirPaths(workdir).root))
    say(`warning: ${line}`);
}
