// The shell side of delivery: runs the merge and stage-out effects of Yoda's state machine (child processes and
// transfers beside the socket loop) and feeds their outcomes back as events.
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { MergeSpec, StageOutSpec } from '../job/schema.js';
import { Merger } from '../merge/merger.js';
import { Stager } from '../stageout/stager.js';
import type { YodaEffect, YodaEvent } from './effects.js';

/** What a job delivers: its stageOut with the output directory (outputs keep their path inside it), its merge with where it runs. */
export interface DeliverySpec {
  stage: { spec: StageOutSpec; outputDir: string } | null;
  merge: { spec: MergeSpec; cwd: string } | null;
}

/** Runs merges and transfers for one Yoda; `afterJournal` resolves once every record asked for so far is written. */
export class DeliveryShell {
  private readonly stager: Stager | null;
  private readonly merger: Merger | null;

  constructor(
    d: DeliverySpec,
    private readonly log: Logger,
    dispatch: (e: YodaEvent) => void,
    private readonly afterJournal: () => Promise<void>,
  ) {
    this.stager = d.stage ? new Stager(d.stage.spec, d.stage.outputDir, log, dispatch) : null;
    this.merger = d.merge ? new Merger(d.merge.spec, d.merge.cwd, log, dispatch) : null;
  }

  /** Carries out a merge or stage-out effect (any other effect is not its business). */
  run(e: YodaEffect): void {
    switch (e.type) {
      case 'stage':
        this.stager?.start(e.i, e.id, e.outputs);
        return;
      case 'stopStage':
        this.stager?.stop(e.r);
        return;
      case 'merge':
        this.merger?.start(e.g, e.id, e.inputs, e.output);
        return;
      case 'stopMerge':
        this.merger?.stop(e.g);
        return;
      case 'deleteFiles':
        // Only once the merged record is on disk: a crash before leaves the inputs for the merge the next run redoes.
        void this.afterJournal()
          .then(() => Promise.all(e.files.map((f) => rm(f, { force: true }))))
          .catch((err: Error) => this.log.warn(`could not delete merged range outputs: ${err.message}`));
        return;
    }
  }

  /** Stops every merge and transfer (what is left running is redone by the next run). */
  stop(): void {
    this.merger?.stop();
    this.stager?.stop();
  }
}
