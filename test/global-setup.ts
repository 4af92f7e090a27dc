// Builds dist/ once before the tests that run the real `yoda` command line (YODA_SKIP_BUILD=1 skips it).
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  if (process.env.YODA_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
