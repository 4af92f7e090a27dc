#!/usr/bin/env node
// Builds the optional native affinity addon (native/ -> native/build/Release/yoda_affinity.node) and the exec
// helper (native/exec-helper.c -> native/build/Release/yoda-exec, with `cc`: no Node headers needed).
// Never fails an install: on any problem it prints one line and exits 0 (Yoda then uses taskset, and starts
// payloads without the parent-death signal, saying so in the log).
// Set YODA_SKIP_NATIVE=1 to skip, YODA_NATIVE_VERBOSE=1 to see node-gyp's full output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const nativeDir = join(root, 'native');
const verbose = process.env.YODA_NATIVE_VERBOSE === '1';

// The exec helper: a plain C program, built after node-gyp (whose rebuild empties native/build).
function buildExecHelper() {
  if (process.env.YODA_SKIP_NATIVE === '1' || process.platform !== 'linux') return;
  const out = join(nativeDir, 'build', 'Release', 'yoda-exec');
  mkdirSync(dirname(out), { recursive: true });
  const cc = process.env.CC || 'cc';
  const run = spawnSync(cc, ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-o', out, join(nativeDir, 'exec-helper.c')], {
    encoding: 'utf8',
    stdio: verbose ? 'inherit' : 'pipe',
  });
  if (run.error || run.status !== 0) {
    const why = run.error
      ? run.error.message
      : (`${run.stderr ?? ''}`.split('\n').find((l) => /error/.test(l)) ?? `${cc} exited ${run.status}`);
    console.log(
      `yoda: exec helper not built (${why.trim().slice(0, 200)}); payloads start without a parent-death signal`,
    );
    return;
  }
  console.log('yoda: exec helper built (payload processes die with their Droid)');
}

function giveUp(reason) {
  console.log(`yoda: native affinity addon not built (${reason}); falling back to taskset`);
  buildExecHelper();
  process.exit(0);
}

// node-gyp's CLI: our devDependency first, else the copy npm ships (npm exports its path).
function findNodeGyp() {
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('node-gyp/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['node-gyp'];
    if (bin) return join(dirname(pkgPath), bin);
  } catch {
    // fall through
  }
  const npmGyp = process.env.npm_config_node_gyp;
  return npmGyp && existsSync(npmGyp) ? npmGyp : undefined;
}

// The most useful single line of node-gyp's output: a compiler error, else the gyp error.
function firstError(output) {
  const fetch = /headers\.tar\.gz attempt \d+ failed with (\w+)/.exec(output);
  if (fetch) return `cannot download Node headers (${fetch[1]}); set npm_config_nodedir to a Node with include/node`;
  const lines = output.split('\n').map((l) => l.trim());
  const pick =
    lines.find((l) => /\berror:/.test(l) && !l.startsWith('gyp')) ??
    lines.find((l) => l.startsWith('gyp: ')) ??
    lines.find((l) => l.startsWith('gyp ERR! stack Error:')) ??
    lines.find((l) => l.startsWith('gyp ERR!') && !/gyp ERR! (cwd|node -v|node-gyp -v|command|System|not ok)/.test(l));
  return (pick ?? 'node-gyp failed').replace(/^gyp(:| ERR! (stack )?)\s*/, '').slice(0, 200);
}

if (process.env.YODA_SKIP_NATIVE === '1') giveUp('YODA_SKIP_NATIVE=1');
if (process.platform !== 'linux') giveUp(`platform ${process.platform} is not Linux`);
const nodeGyp = findNodeGyp();
if (!nodeGyp) giveUp('node-gyp not found');

const args = [nodeGyp, 'rebuild'];
// Without nodedir node-gyp downloads headers, which fails offline; use the system's when present.
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) {
  args.push('--nodedir=/usr');
}
const started = Date.now();
const run = spawnSync(process.execPath, args, {
  cwd: nativeDir,
  encoding: 'utf8',
  stdio: verbose ? 'inherit' : 'pipe',
  timeout: 300_000,
});
if (run.error) giveUp(run.error.message);
if (run.status !== 0) giveUp(verbose ? `node-gyp exited ${run.status}` : firstError(`${run.stdout}\n${run.stderr}`));
const addon = join(nativeDir, 'build', 'Release', 'yoda_affinity.node');
if (!existsSync(addon)) giveUp(`node-gyp succeeded but ${addon} is missing`);
console.log(`yoda: native affinity addon built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
buildExecHelper();
