// The bearer token for remote storage (stage-in, stage-out over https), found the WLCG way.
import { readFileSync } from 'node:fs';

/** The bearer token per the WLCG token discovery rules, or null (the request then goes without Authorization). */
export function bearerToken(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string | null {
  if (env.BEARER_TOKEN?.trim()) return env.BEARER_TOKEN.trim();
  const files = [
    env.BEARER_TOKEN_FILE,
    env.XDG_RUNTIME_DIR ? `${env.XDG_RUNTIME_DIR}/bt_u${uid}` : undefined,
    `/tmp/bt_u${uid}`,
  ];
  for (const f of files) {
    if (!f) continue;
    try {
      const t = readFileSync(f, 'utf8').trim();
      if (t) return t;
    } catch {
      // not there: the next place
    }
  }
  return null;
}
