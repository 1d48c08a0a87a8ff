// Interface names as the kernel sees them (net/core/dev.c dev_valid_name, __dev_alloc_name):
// one place, used where the config file is validated and where a link is created or renamed.
// A name the kernel would take differently from how it is written must be refused before any
// step: "x%d" is a TEMPLATE (the kernel creates x0, x1, …), so a plan naming it can neither
// verify nor undo what it made.

/** IFNAMSIZ - 1: the longest name, in bytes (UTF-8), not characters. */
export const IFNAME_MAX_BYTES = 15;

/** Why the kernel would not create a link called `name` as written; null when it would. */
export function linkNameProblem(name: string): string | null {
  const what = JSON.stringify(name);
  if (name.length === 0) return 'an interface name cannot be empty';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > IFNAME_MAX_BYTES) return `${what} is ${bytes} bytes long in UTF-8; the kernel allows at most ${IFNAME_MAX_BYTES}`;
  if (name === '.' || name === '..') return `${what} is not a valid interface name (the kernel refuses "." and "..")`;
  if (name === 'all' || name === 'default') return `${what} is not a valid interface name (the kernel refuses it: /proc/sys/net/*/conf/${name} is the namespace-wide setting)`;
  if (name.includes('%')) return `${what} is not a valid interface name: "%" makes it a template the kernel fills in (x%d becomes x0, x1, …)`;
  if (name.includes('\0')) return `${what} is not a valid interface name: it contains a NUL byte`;
  if (name.includes('/')) return `${what} is not a valid interface name: it contains "/"`;
  if (name.includes(':')) return `${what} is not a valid interface name: it contains ":" (an IPv4 address label, not an interface)`;
  // the kernel's isspace(): space, \t \n \v \f \r
  if (/[ \t\n\v\f\r]/.test(name)) return `${what} is not a valid interface name: it contains whitespace`;
  return null;
}

/**
 * A link by an ifindex nodectl cannot name, as iproute2 writes it (ll_index_to_name): "if4".
 * The one word for it in every text and view: `ip link` after the "@" of a link whose other end
 * is in another namespace, `ip addr`/`ip neigh`/`ip route`/`ip monitor` for a device gone by
 * the time the row is printed (their `-j` prints the same word as "dev").
 */
export function ifIndexWord(index: number): string {
  return `if${index}`;
}
