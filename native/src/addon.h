// nodectl's N-API addon: syscalls Node cannot make (setns, packet sockets, netlink dumps).
// libbpf is not here: it is the ebpf-ts package's own addon (packages/ebpf-ts/native).
// No policy lives here; each part registers its functions on the exports object.
#pragma once
#include <napi.h>
#include <string>

void InitNetns(Napi::Env env, Napi::Object exports);
void InitPacket(Napi::Env env, Napi::Object exports);
void InitNetlinkDump(Napi::Env env, Napi::Object exports);

// Throws a JS Error carrying `errno` (number) and `code` (e.g. "EPERM") like Node's own errors.
Napi::Error ErrnoError(Napi::Env env, const std::string &syscall, int err);
