// The control socket: how `mgmt status` and `mgmt move` talk to a running daemon. One JSON line
// in, one JSON line out, then the daemon closes. The server here knows nothing of failover: the
// daemon passes the handler. What it does know is who may connect (access.ts: the kernel's
// SO_PEERCRED, not file modes, issue 19) and how to take the socket path over from a daemon
// that was killed without removing it, while refusing to steal it from a live one.
import { chmodSync, chownSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { PermissionError, StateError } from '../errors.js';
import { peerCred, type PeerCred } from '../netlink/peercred.js';
import { refusal } from './access.js';

export const DEFAULT_CONTROL_SOCKET = '/run/nodectl/mgmt.sock';
/** A request line longer than this is not ours: drop the connection. */
const MAX_REQUEST = 4096;

export type ControlHandler = (line: string) => Promise<Record<string, unknown>>;

export interface ControlOptions {
  path: string;
  /** Group allowed besides root and the daemon's user (null: nobody else). */
  gid: number | null;
  handler: ControlHandler;
  onRefused: (peer: PeerCred | null, why: string) => void;
  onError: (err: Error) => void;
}

export class ControlServer {
  readonly path: string;
  private readonly server: Server;

  private constructor(path: string, server: Server) {
    this.path = path;
    this.server = server;
  }

  /**
   * Listen on o.path. Throws StateError when a live daemon already answers there; a socket file
   * left by a killed one is replaced.
   */
  static async claim(o: ControlOptions): Promise<ControlServer> {
    // Modes set explicitly, whatever the umask: rwx for the owner, x for the group (to reach the
    // socket), nothing for others. A directory that already exists (systemd's RuntimeDirectory,
    // a test's temporary one) is left as its owner made it.
    mkdirSync(dirname(o.path), { recursive: true, mode: 0o750 });
    const alive = await new Promise<boolean>((resolve) => {
      const c = createConnection(o.path);
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (alive) throw new StateError(`another failover daemon is already listening on ${o.path}; stop it first or pass a different --socket`);
    try {
      unlinkSync(o.path);
    } catch {
      // nothing left over from a killed daemon
    }
    const server = createServer((sock) => onClient(sock, o));
    // bind() makes the socket file with the umask's modes; a tight umask for that instant means
    // it never exists wider than 0600, then it gets its group.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.path, () => resolve());
      });
    } finally {
      process.umask(umask);
    }
    if (o.gid !== null) {
      chownSync(o.path, process.getuid?.() ?? 0, o.gid);
      chmodSync(o.path, 0o660);
    }
    server.on('error', o.onError);
    return new ControlServer(o.path, server);
  }

  /** Stop listening and remove the socket file. */
  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

function onClient(sock: Socket, o: ControlOptions): void {
  // The kernel's word on who connected, not the socket file's modes (issue 19).
  const peer = peerCred(sock);
  const denied = refusal(peer, o.gid);
  if (denied) {
    o.onRefused(peer, denied);
    sock.on('error', () => sock.destroy());
    sock.end(`${JSON.stringify({ ok: false, denied: true, error: `not allowed: ${denied}` })}\n`);
    return;
  }
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: string) => {
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl < 0) {
      if (buf.length > MAX_REQUEST) sock.destroy();
      return;
    }
    const line = buf.slice(0, nl);
    void o.handler(line).then((reply) => sock.end(`${JSON.stringify(reply)}\n`));
  });
}

/** Ask a running daemon (over its control socket). */
export async function controlRequest(socketPath: string, req: Record<string, unknown>, timeoutMs = 5000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new StateError(`the failover daemon on ${socketPath} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(`${JSON.stringify(req)}\n`));
    c.on('data', (d: string) => (buf += d));
    c.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf) as Record<string, unknown>);
      } catch {
        reject(new StateError(`garbled answer from the failover daemon on ${socketPath}`));
      }
    });
    c.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(Object.assign(new StateError(`no failover daemon is running (nothing listens on ${socketPath}); start it with: nodectl mgmt run --config FILE`), { notRunning: true }));
      }
      else if (err.code === 'EACCES') reject(new PermissionError('root', `talking to the failover daemon on ${socketPath}`));
      else reject(err);
    });
  });
}
