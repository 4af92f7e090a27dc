#!/usr/bin/env node
// Entry point of `yoda`: a stop signal is held from the first moment (a batch system may signal a job that is still
// loading its modules), then the command line is loaded.
import { holdStopSignals } from '../runtime/signals.js';

if (process.argv[2] === 'run' || process.argv[2] === 'serve') holdStopSignals();
await import('./yoda.js');
