// Logs: pino JSON to logs/<role>-rank<k>.log in the work directory, readable lines on stderr for a person.
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/** Where and how a rank logs. */
export interface LogOptions {
  logsDir: string;
  rank: number;
  node: string;
  level: string;
  /** Also print to stderr (pretty, coloured on a terminal). */
  console: boolean;
  /** Level of the stderr lines (default: the file's level); other ranks print only warnings. */
  consoleLevel?: string;
  /** Where console lines go instead of stderr (a LiveLine on a terminal). */
  consoleStream?: NodeJS.WritableStream;
}

/** A logger writing JSON lines to the rank's log file and, optionally, readable lines to stderr. */
export function createLogger(o: LogOptions): Logger {
  const file = pino.destination({ dest: join(o.logsDir, `yoda-rank${o.rank}.log`), mkdir: true, sync: true });
  const streams: pino.StreamEntry[] = [{ level: o.level as pino.Level, stream: file }];
  if (o.console) {
    const tty = process.stderr.isTTY === true;
    streams.push({
      level: (o.consoleLevel ?? o.level) as pino.Level,
      stream: pretty({
        destination: o.consoleStream ?? 2,
        sync: true,
        colorize: tty,
        ignore: 'pid,hostname,rank,node,role,progress',
        messageFormat: '{if role}{role}: {end}{msg}',
        translateTime: 'SYS:HH:MM:ss',
        singleLine: true,
      }),
    });
  }
  return pino({ level: o.level, base: { rank: o.rank, node: o.node } }, pino.multistream(streams));
}

/** A logger that discards everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
