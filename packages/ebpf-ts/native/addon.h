// ebpf-ts's N-API addon: libbpf and bpf(2), nothing else (nodectl's setns and packet-socket code
// lives in nodectl's own addon). Only mechanism here; every decision is made in TypeScript.
#pragma once
#include <napi.h>
#include <string>

void InitBpf(Napi::Env env, Napi::Object exports);

// Throws a JS Error carrying `errno` (number) and `code` (e.g. "EPERM") like Node's own errors.
Napi::Error ErrnoError(Napi::Env env, const std::string &syscall, int err);
