// systemd's service notification protocol (sd_notify(3)), the part the failover daemon needs:
//   READY=1     after the first decision round: the addresses are placed (or there is honestly
//               nowhere to place them, which STATUS says). With Type=notify, units ordered
//               After=nodectl-mgmt start only then, with the management address in place.
//   STATUS=     one line: where the addresses are and why; `systemctl status` shows it.
//   WATCHDOG=1  every WATCHDOG_USEC / 2, from the event loop: a wedged loop stops pinging, and
//               systemd (WatchdogSec=) kills and restarts the daemon, which continues from the
//               kernel state without a gap.
//   STOPPING=1  when it is asked to stop.
// Nothing happens unless systemd set NOTIFY_SOCKET. The variables are then removed from the
// environment, as sd_notify's unset_environment does, so that no child process the daemon
// starts can talk to systemd in its name (with NotifyAccess=main systemd would ignore it anyway).

export interface NotifyEnv {
  /** A path, or '@name' for an abstract socket. */
  socket: string;
  /** WATCHDOG_USEC in ms when the watchdog is meant for this process, else null. */
  watchdogMs: number | null;
}

/** What systemd asked for in ENV, or null when it did not (not under systemd, or Type=simple). */
export function notifyEnv(env: NodeJS.ProcessEnv = process.env, pid = process.pid): NotifyEnv | null {
  const socket = env.NOTIFY_SOCKET;
  if (!socket || !(socket.startsWith('/') || socket.startsWith('@'))) return null;
  let watchdogMs: number | null = null;
  const usec = env.WATCHDOG_USEC;
  // WATCHDOG_PID, when set, names the process the watchdog is for (sd_watchdog_enabled(3)).
  const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === String(pid);
  if (usec && /^\d+$/.test(usec) && Number(usec) > 0 && forUs) watchdogMs = Number(usec) / 1000;
  return { socket, watchdogMs };
}

/** Forget the variables once read (see the top of this file). */
export function unsetNotifyEnv(env: NodeJS.ProcessEnv = process.env): void {
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
}

/** STATUS= is one line of text: newlines would start a new assignment. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 1024);
}

export class SystemdNotifier {
  private readonly env: NotifyEnv;
  private readonly send: (path: string, text: string) => void;
  private readonly onError: (err: Error) => void;
  private lastStatus = '';
  private lastError = '';
  private timer: NodeJS.Timeout | null = null;
  private isReady = false;
  /** WATCHDOG=1 datagrams sent (the daemon's state shows them). */
  pings = 0;

  constructor(env: NotifyEnv, send: (path: string, text: string) => void, onError: (err: Error) => void) {
    this.env = env;
    this.send = send;
    this.onError = onError;
  }

  get watchdogMs(): number | null {
    return this.env.watchdogMs;
  }

  /** Start the watchdog pings (half the interval systemd gave, as sd_watchdog_enabled(3) advises). */
  startWatchdog(): void {
    const ms = this.env.watchdogMs;
    if (ms === null || this.timer) return;
    this.timer = setInterval(() => {
      if (this.notify('WATCHDOG=1')) this.pings++;
    }, Math.max(1, Math.floor(ms / 2)));
    // The daemon's sockets keep it alive; the pings alone must not keep a stopped one running.
    this.timer.unref();
  }

  ready(status: string): void {
    if (this.isReady) return this.status(status);
    this.isReady = true;
    this.lastStatus = oneLine(status);
    this.notify(`READY=1\nSTATUS=${this.lastStatus}`);
  }

  /** Tell systemd a new status line (only when it changed). */
  status(text: string): void {
    const line = oneLine(text);
    if (line === this.lastStatus) return;
    this.lastStatus = line;
    this.notify(`STATUS=${line}`);
  }

  stopping(status: string): void {
    this.close();
    this.notify(`STOPPING=1\nSTATUS=${oneLine(status)}`);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private notify(text: string): boolean {
    try {
      this.send(this.env.socket, text);
      this.lastError = '';
      return true;
    } catch (err) {
      // Said once per kind of failure, not at every ping.
      const msg = (err as Error).message;
      if (msg !== this.lastError) {
        this.lastError = msg;
        this.onError(err as Error);
      }
      return false;
    }
  }
}
