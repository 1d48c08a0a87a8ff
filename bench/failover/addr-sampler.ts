// The absence bench's second witness (bench/failover/absence.ts): a process of its own that
// dumps the addresses of a namespace (RTM_GETADDR) back to back and counts, per management
// address, the dumps in which no interface held it and those in which two did; then it dumps
// the routes and counts the samples in which the address had no local route (table local,
// type local): listed on an interface but not yet receiving. That is not the same thing for
// IPv6: a nodad address is listed at once, but its local route (and its RTM_NEWADDR) come
// from the kernel's addrconf work item, which a busy machine can hold back. A dump is one
// instant of a table (an interrupted one is asked again: Handle.dump), so this is a sampled
// view, independent of the daemon and of the notification stream. On SIGTERM it prints one
// JSON line with its counts and exits.
//
//   node --import tsx bench/failover/addr-sampler.ts NETNS ADDRESS...
import { listAddrs } from '../../src/netlink/addr.js';
import { Handle } from '../../src/netlink/handle.js';
import { listRoutes } from '../../src/netlink/route.js';

const [netns, ...watch] = process.argv.slice(2);
if (!netns || !watch.length) {
  console.error('usage: addr-sampler.ts NETNS ADDRESS...');
  process.exit(2);
}
const h = Handle.open({ netns });
const counts = Object.fromEntries(watch.map((a) => [a, { absent: 0, double: 0, noLocalRoute: 0 }]));
let samples = 0;
let stop = false;
process.on('SIGTERM', () => (stop = true));

async function main(): Promise<void> {
  process.stdout.write('ready\n');
  while (!stop) {
    const addrs = await listAddrs(h);
    samples++;
    for (const a of watch) {
      const n = addrs.filter((x) => x.address === a).length;
      if (n === 0) counts[a]!.absent++;
      else if (n > 1) counts[a]!.double++;
    }
    const routes = await listRoutes(h, { table: 'all' });
    for (const a of watch) {
      const host = `${a}/${a.includes(':') ? 128 : 32}`;
      if (!routes.some((r) => r.type === 'local' && (r.dst === host || r.dst === a))) counts[a]!.noLocalRoute++;
    }
    // let the SIGTERM handler run between dumps
    if (samples % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  h.close();
  process.stdout.write(`${JSON.stringify({ samples, counts })}\n`);
}

main().catch((err: Error) => {
  console.error(`addr-sampler: ${err.message}`);
  process.exit(1);
});
