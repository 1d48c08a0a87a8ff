// The fast dispatcher takes only command lines oclif would accept the same way; everything else
// (help, unknown or repeated flags, bad option values, wrong argument counts) goes to oclif.
import test from 'ava';
import { parseFast } from '../../src/cli/fast-read.js';

test('recognises the read commands with their flags in every spelling oclif accepts', (t) => {
  t.like(parseFast(['link', 'list']), { json: false, flags: {}, args: [] });
  t.like(parseFast(['link', 'list', '--json', '--netns', 'blue']), { json: true, flags: { netns: 'blue' } });
  t.like(parseFast(['link', 'list', '--netns=blue']), { flags: { netns: 'blue' } });
  t.like(parseFast(['link', 'list', '-n', 'blue']), { flags: { netns: 'blue' } });
  t.like(parseFast(['link', 'list', '-nblue']), { flags: { netns: 'blue' } });
  t.like(parseFast(['link', 'show', 'eth0', '-n', 'x']), { args: ['eth0'], flags: { netns: 'x' } });
  t.like(parseFast(['link', 'tree', '--format', 'dot']), { flags: { format: 'dot' } });
  t.like(parseFast(['addr', 'list', '--dev', 'eth0', '-f', 'inet6', '--json']), { json: true, flags: { dev: 'eth0', family: 'inet6' } });
  t.like(parseFast(['neigh', 'list', '-d', 'eth0']), { flags: { dev: 'eth0' } });
});

test('leaves everything else to oclif', (t) => {
  for (const argv of [
    [], ['link'], ['link', 'list', '--help'], ['link', 'list', '-h'], ['link', 'list', '--bogus'],
    ['link', 'list', '--netns'], ['link', 'list', '--netns', 'a', '--netns', 'b'], ['link', 'list', '--json', '--json'],
    ['link', 'show'], ['link', 'show', 'a', 'b'], ['link', 'list', 'extra'], ['link', 'tree', '--format', 'svg'],
    ['addr', 'list', '--family', 'inet4'], ['link', 'list', '-n', '--json'], ['monitor'], ['lab', 'up'], ['link:list'],
    ['addr', 'add', '10.0.0.1/24'],
  ]) {
    t.is(parseFast(argv), null, argv.join(' '));
  }
});
