// One error hierarchy: the eBPF layer's errors (ebpf-ts, self-contained) are nodectl errors as
// they are thrown, so they reach the exit status of their code and print their whole --json
// form (the verifier's log, libbpf's own log) instead of being copied field by field into
// look-alike classes (which lost the libbpf log) or ending as INTERNAL (exit 70).
import test from 'ava';
import { errorJson } from '../../src/cli/output.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { BpfError, BpfNotFoundError, NetlinkError, NodectlError, RehearsalRefusal, UnsupportedFeatureError, VerifierError } from '../../src/errors.js';
import * as ebpf from 'ebpf-ts';
import { fromBpf } from '../../src/sctp/tracer.js';

test('ebpf-ts errors are nodectl errors, each with the exit status of its code', (t) => {
  const errors = [
    new ebpf.BpfError('cannot create map: bpf EINVAL', { op: 'BPF_MAP_CREATE', errno: 'EINVAL', errnoValue: 22, libbpfLog: 'libbpf: map "x": bad size' }),
    new ebpf.VerifierError('prog_x', 'EACCES', 13, ['0: (b7) r0 = 0', 'R1 invalid mem access']),
    new ebpf.UnsupportedFeatureError('tcx', 'bpf_link_create refused tcx_ingress: EINVAL', { minKernel: '6.6' }),
    new ebpf.BpfNotFoundError('program', 'nope', 'in test.bpf.o'),
  ];
  t.deepEqual(errors.map((e) => [e instanceof NodectlError, EXIT[(e as NodectlError).code]]), [[true, 1], [true, 1], [true, 6], [true, 4]]);
  // the same classes under both names: no look-alikes to translate between
  t.is(BpfError, ebpf.BpfError);
  t.is(VerifierError, ebpf.VerifierError);
  t.is(UnsupportedFeatureError, ebpf.UnsupportedFeatureError);
  t.is(BpfNotFoundError, ebpf.BpfNotFoundError);
  t.true(new NetlinkError({ op: 'RTM_NEWLINK', errno: 'EEXIST', errnoValue: 17 }) instanceof ebpf.CodedError);
});

test('--json keeps what the eBPF layer knew: the verifier log, libbpf\'s log, errno', (t) => {
  const v = new ebpf.VerifierError('prog_x', 'EACCES', 13, ['0: (b7) r0 = 0', 'R1 invalid mem access'], 'libbpf: prog "prog_x": failed to load');
  t.like(errorJson(v), { error: { code: 'VERIFIER', program: 'prog_x', errno: 'EACCES', log: ['0: (b7) r0 = 0', 'R1 invalid mem access'], libbpfLog: 'libbpf: prog "prog_x": failed to load' } });
  const b = fromBpf(new ebpf.BpfError('bpf EINVAL', { op: 'BPF_MAP_CREATE', errno: 'EINVAL', errnoValue: 22, libbpfLog: 'libbpf: bad map' }), 'loading the SCTP wire tracer');
  t.like(errorJson(b), { error: { code: 'BPF', message: 'loading the SCTP wire tracer: bpf EINVAL', op: 'BPF_MAP_CREATE', errno: 'EINVAL', libbpfLog: 'libbpf: bad map' } });
  t.like(errorJson(fromBpf(new ebpf.BpfError('bpf EPERM', { op: 'BPF_PROG_LOAD', errno: 'EPERM', errnoValue: 1 }), 'loading')), { error: { code: 'PERMISSION', needs: 'CAP_BPF', errno: 'EPERM' } });
});

test.serial('a netlink EPERM for a non-root user is PERMISSION and still says EPERM, with the kernel refusal as its cause', async (t) => {
  const { refusal } = await import('../../src/netlink/handle.js');
  const { parseAck } = await import('../../src/netlink/ack.js');
  const ack = Buffer.alloc(20);
  ack.writeInt32LE(-1, 0);
  const geteuid = process.geteuid;
  process.geteuid = () => 1000;
  try {
    const err = refusal(16 /* RTM_NEWLINK */, parseAck(ack, 0), { action: 'create bridge br0', target: 'br0' });
    t.like(errorJson(err), { error: { code: 'PERMISSION', needs: 'CAP_NET_ADMIN', errno: 'EPERM' } });
    t.like((err as Error).cause, { op: 'RTM_NEWLINK', errno: 'EPERM' });
  } finally {
    process.geteuid = geteuid;
  }
});

test('a refusal found in the rehearsal is a NETLINK error (exit 1) that keeps errno and extack and names the step', (t) => {
  const k = new NetlinkError({ op: 'RTM_NEWLINK', errno: 'ELOOP', errnoValue: 40, extack: 'Can not enslave a bridge to a bridge', action: 'set master on br1', target: 'br1' });
  const r = new RehearsalRefusal(k, 2, 4, 'link set br1 master br0');
  t.true(r instanceof NetlinkError);
  t.is(EXIT[r.code], 1);
  t.is(r.message, 'the kernel refused step 2/4 (link set br1 master br0) in a rehearsal, so nothing on the node was changed: cannot set master on br1: RTM_NEWLINK ELOOP: Can not enslave a bridge to a bridge');
  t.like(errorJson(r), { error: { code: 'NETLINK', op: 'RTM_NEWLINK', errno: 'ELOOP', extack: 'Can not enslave a bridge to a bridge', target: 'br1', rehearsal: true, step: 2, steps: 4, operation: 'link set br1 master br0' } });
});
