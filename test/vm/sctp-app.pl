#!/usr/bin/perl
# A small SCTP application for test/vm/sctp-kern.test.ts: the guest has perl (perl-base) but no
# python, compiler or Time::HiRes (perl-base only), and neither iperf3 nor lksctp-tools' programs can hold a receive buffer
# full, send non-blocking with a tiny SO_SNDBUF, or count the EAGAINs they get.
#
#   sctp-app.pl recv PORT read|hold      listen (one-to-one socket), accept one association;
#                                        read: read until EOF; hold: never read (the window closes)
#   sctp-app.pl recv PORT poll SECONDS   accept, send one message back, then read non-blocking for
#                                        SECONDS, waiting in select after each EAGAIN; prints
#                                        {"read":BYTES,"eagain":N,"errors":{"ERRNO":N}}
#   sctp-app.pl send ADDR PORT SECONDS SNDBUF SIZE
#                                        connect, then send SIZE-byte messages non-blocking for
#                                        SECONDS (SNDBUF 0: the default buffer), waiting in select
#                                        for space after an EAGAIN; prints one JSON line:
#                                        {"sent":N,"eagain":N,"errors":{"ERRNO":N}}
use strict;
use warnings;
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_SNDBUF SO_REUSEADDR INADDR_ANY pack_sockaddr_in inet_aton);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use POSIX qw(EAGAIN EINTR);

my $IPPROTO_SCTP = 132;
$| = 1;
my $mode = shift // die "usage: sctp-app.pl recv|send ...\n";

if ($mode eq 'recv') {
  my ($port, $how) = @ARGV;
  socket(my $l, PF_INET, SOCK_STREAM, $IPPROTO_SCTP) or die "socket: $!\n";
  setsockopt($l, SOL_SOCKET, SO_REUSEADDR, pack('i', 1)) or die "setsockopt: $!\n";
  bind($l, pack_sockaddr_in($port, INADDR_ANY)) or die "bind: $!\n";
  listen($l, 1) or die "listen: $!\n";
  print "listening\n";
  accept(my $c, $l) or die "accept: $!\n";
  print "accepted\n";
  if ($how eq 'hold') { sleep 3600 while 1; }
  if ($how eq 'poll') {
    my $seconds = $ARGV[2] // die "usage: sctp-app.pl recv PORT poll SECONDS\n";
    # one message back: the kernel tracer records an association at its first SACK, and this
    # side processes one only for DATA it sent
    defined(send($c, 'hello', 0)) or die "send: $!\n";
    my $fl = fcntl($c, F_GETFL, 0) or die "fcntl: $!\n";
    fcntl($c, F_SETFL, $fl | O_NONBLOCK) or die "fcntl: $!\n";
    my ($buf, $read, $eagain, %errors) = ('', 0, 0);
    my $until = time + $seconds;
    while (time < $until) {
      my $n = sysread($c, $buf, 65536);
      if (defined $n) { last if $n == 0; $read += $n; next; }
      if ($! == EAGAIN) {
        $eagain++;
        my $r = '';
        vec($r, fileno($c), 1) = 1;
        select($r, undef, undef, 0.05);
        next;
      }
      $errors{0 + $!}++;
      last;
    }
    my $errs = join(',', map { "\"$_\":$errors{$_}" } sort keys %errors);
    print "{\"read\":$read,\"eagain\":$eagain,\"errors\":{$errs}}\n";
    # no more reads: the test compares the tracer's count with this one
    sleep 3600 while 1;
  }
  my ($buf, $n, $total) = ('', 0, 0);
  while (1) {
    $n = sysread($c, $buf, 65536);
    next if !defined $n && $! == EINTR;
    last if !$n;
    $total += $n;
  }
  print "read $total\n";
  exit 0;
}

die "usage: sctp-app.pl send ADDR PORT SECONDS SNDBUF SIZE\n" unless $mode eq 'send' && @ARGV == 5;
my ($addr, $port, $seconds, $sndbuf, $size) = @ARGV;
# an aborted association's EPIPE is counted, not a reason to die
$SIG{PIPE} = 'IGNORE';
socket(my $s, PF_INET, SOCK_STREAM, $IPPROTO_SCTP) or die "socket: $!\n";
if ($sndbuf) { setsockopt($s, SOL_SOCKET, SO_SNDBUF, pack('i', $sndbuf)) or die "setsockopt SO_SNDBUF: $!\n"; }
connect($s, pack_sockaddr_in($port, inet_aton($addr))) or die "connect: $!\n";
my $flags = fcntl($s, F_GETFL, 0) or die "fcntl: $!\n";
fcntl($s, F_SETFL, $flags | O_NONBLOCK) or die "fcntl: $!\n";
my $msg = 'x' x $size;
my ($sent, $eagain, %errors) = (0, 0);
my $until = time + $seconds;
while (time < $until) {
  my $n = send($s, $msg, 0);
  if (defined $n) { $sent++; next; }
  if ($! == EAGAIN) {
    $eagain++;
    # wait for space, at most 50 ms: the loop ends on time even when none comes
    my $w = '';
    vec($w, fileno($s), 1) = 1;
    select(undef, $w, undef, 0.05);
    next;
  }
  $errors{0 + $!}++;
  last;
}
my $errs = join(',', map { "\"$_\":$errors{$_}" } sort keys %errors);
print "{\"sent\":$sent,\"eagain\":$eagain,\"errors\":{$errs}}\n";
# leave the association up: the test reads the tracer before it ends (it kills this process)
sleep 3600;
