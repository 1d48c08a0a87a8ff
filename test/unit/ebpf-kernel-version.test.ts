import test from 'ava';
import { kernelAtLeast } from 'ebpf-ts';

test('kernel version comparison on uname release strings', (t) => {
  t.true(kernelAtLeast('6.6', '6.18.44-fc-v595'));
  t.true(kernelAtLeast('6.6', '6.6.0'));
  t.false(kernelAtLeast('6.6', '6.1.0-28-amd64'));
  t.true(kernelAtLeast('5.17', '6.1.0-28-amd64'));
  t.false(kernelAtLeast('5.9', '5.4.0-150-generic'));
  t.true(kernelAtLeast('4.17', '5.4.0'));
});
