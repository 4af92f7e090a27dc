// Whether a Droid that held ranges when a new Yoda took over is known to be gone (the one check that needs the OS).
import { droidKeyPlace } from '../protocol/droid-key.js';
import { pidAlive } from '../util/pid-alive.js';

/**
 * A test of `droid` from a Yoda on `node`: gone when it ran on this same node and its process has ended (its workers
 * died with it: they get a parent-death signal). A Droid on another node cannot be judged from here: not gone.
 */
export function holderGoneOn(node: string): (droid: string) => boolean {
  return (droid) => {
    const place = droidKeyPlace(droid);
    return place !== null && place.node === node && !pidAlive(place.pid);
  };
}
