// What a bench built (namespaces, pinned objects, files) is removed however the bench ends:
// normally, by ^C or SIGTERM, or by SIGPIPE, which `bench/X 2>&1 | head` sends once head has
// read enough (it killed bench/apply before its exit handler ran, leaving its namespace behind).
export function onExit(cleanup: () => void): void {
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGPIPE'] as const) process.on(sig, () => process.exit(130));
}
