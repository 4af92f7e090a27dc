// One file delivered to the destination, whatever its kind (src/job/destination.ts): the transfer module for it.
import type { Destination } from '../job/destination.js';
import { stat } from 'node:fs/promises';
import { deliverHttp } from './http-transfer.js';
import { type DeliverOptions, type Delivered, deliverLocal, deliverXrootd } from './transfer.js';

/** Delivers `src` as `name` (a relative path) under the destination; throws an Error saying what went wrong. */
export async function deliverFile(src: string, name: string, dest: Destination, o: DeliverOptions): Promise<Delivered> {
  const bytes = (await stat(src)).size;
  if (dest.kind === 'local') return deliverLocal(src, name, dest.dir, bytes, o);
  if (dest.kind === 'http') return deliverHttp(src, name, dest, bytes, o);
  return deliverXrootd(src, name, dest, bytes, o);
}
