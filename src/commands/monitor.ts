import { Flags } from '@oclif/core';
import { NodectlCommand } from '../cli/base-command.js';
import type { MonitorEvent, MonitorGroup } from '../interfaces/model.js';
import { MONITOR_GROUPS, openMonitorViews } from '../interfaces/query.js';
import { linkJson } from '../interfaces/link-json.js';

export interface MonitorSummary {
  events: number;
  overruns: number;
}

export default class MonitorCommand extends NodectlCommand {
  static override summary = 'Stream link, address and neighbour changes as NDJSON (like ip monitor, machine-readable).';

  static override description = `Prints one JSON object per line for every rtnetlink notification, until Ctrl-C or --count events. "new" is also sent for every change of an existing object (state, flags, master, address).

  {"time":"…","type":"link","action":"new","link":{…}}
  {"time":"…","type":"addr","action":"del","addr":{…}}
  {"time":"…","type":"overrun","lost":N}

link, addr, neigh and route objects have the same fields as link list, addr list, neigh list and route list --json: names as well as ifindexes (master, parent, peer, ports of a link; ifname of an address or neighbour; dev of a route), from the links read when the monitor starts, kept current by link events and read again for an index they lack (as ip monitor does; "if3", ip's word, for a link already gone). The bridge layer's own messages about a port (family AF_BRIDGE, which ip monitor prints as bridge lines) are not events here. "overrun" means the kernel dropped N notifications because the socket buffer was full: re-read the state (link list, addr list) before trusting it.

A line on stderr says when the socket is subscribed; events before it are not seen. Output is always NDJSON; --json is accepted for symmetry with the other commands.`;

  static override examples = [
    '<%= config.bin %> monitor',
    { description: 'Only links, in a namespace', command: '<%= config.bin %> monitor --netns blue --groups link' },
    { description: 'Wait for the next 3 events in a script', command: '<%= config.bin %> monitor --count 3 | jq -c "[.type,.action]"' },
  ];

  static override flags = {
    groups: Flags.string({
      char: 'g', summary: 'Comma-separated event groups: link, addr, neigh, route.', default: 'link,addr,neigh',
    }),
    count: Flags.integer({ char: 'c', summary: 'Exit after this many events.', min: 1 }),
  };

  protected override logJson(json: unknown): void {
    // Events were already streamed; only errors print a final JSON object.
    if (json !== undefined) super.logJson(json);
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(MonitorCommand);
    const groups = flags.groups.split(',').map((g) => g.trim()).filter(Boolean);
    const bad = groups.filter((g) => !MONITOR_GROUPS.includes(g as MonitorGroup));
    if (bad.length || !groups.length) this.error(`--groups takes ${MONITOR_GROUPS.join(', ')}; got "${flags.groups}"`, { exit: 2 });
    const { mon, views } = await openMonitorViews({ netns: flags.netns }, groups as MonitorGroup[]);
    process.stderr.write(`nodectl: monitoring ${groups.join(', ')}${flags.netns ? ` in netns ${flags.netns}` : ''} (Ctrl-C to stop)\n`);
    let events = 0;
    await new Promise<void>((resolve, reject) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        mon.close();
        resolve();
      };
      const write = (obj: unknown): void => {
        process.stdout.write(JSON.stringify(obj) + '\n');
      };
      mon.on('event', (e: MonitorEvent) => {
        if (flags.count !== undefined && events >= flags.count) return;
        const v = views.view(e);
        if (!v) return;
        events++;
        // a link as link list --json prints it (iproute2's keys)
        write({ time: new Date().toISOString(), ...v, link: v.link && linkJson(v.link) });
        if (flags.count !== undefined && events >= flags.count) stop();
      });
      mon.on('overrun', (lost: number) => write({ time: new Date().toISOString(), type: 'overrun', lost }));
      mon.on('error', (err: Error) => {
        mon.close();
        reject(err);
      });
      // A closed reader (| head) ends the stream quietly, like ip monitor.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? stop() : reject(err)));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  }
}
