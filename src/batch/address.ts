// Which address Yoda binds on a node with several interfaces: named by the user, or the hostname's.
import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { YodaError } from '../util/errors.js';

/** The IPv4 addresses of each interface of this node. */
function interfaceAddresses(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    out.set(
      name,
      (addrs ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address),
    );
  }
  return out;
}

/**
 * The address to bind and publish. `choice` is an interface name (ib0, hsn0), an IP address, or
 * undefined: then the address this node's hostname resolves to, unless that is loopback, in which
 * case the first non-loopback IPv4 address (or loopback when the node has nothing else).
 */
export async function chooseAddress(choice: string | undefined): Promise<string> {
  const interfaces = interfaceAddresses();
  if (choice) {
    if (isIP(choice)) {
      const mine = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((x) => x.address));
      if (mine.includes(choice)) return choice;
      throw new YodaError(
        'BAD_ADDRESS',
        `--interface ${choice}: not an address of this node (it has ${mine.join(', ')}); Yoda can only listen on its own addresses`,
        { address: choice },
      );
    }
    const addrs = interfaces.get(choice);
    if (!addrs || addrs.length === 0) {
      const known = [...interfaces].map(([n, a]) => `${n} (${a.join(', ') || 'no IPv4'})`).join(', ');
      throw new YodaError(
        'BAD_ADDRESS',
        `--interface ${choice}: no such interface with an IPv4 address on this node; it has: ${known}`,
        {},
      );
    }
    return addrs[0];
  }
  try {
    const { address } = await lookup(hostname(), { family: 4 });
    if (!address.startsWith('127.')) return address;
  } catch {
    /* the hostname does not resolve: fall back to the interfaces */
  }
  const external = [...interfaces.values()].flat().find((a) => !a.startsWith('127.'));
  return external ?? '127.0.0.1';
}
