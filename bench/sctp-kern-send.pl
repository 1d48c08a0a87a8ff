#!/usr/bin/perl
# The sender of bench/sctp-kern.ts: connect to ADDR:PORT (SCTP, one-to-one), then time N
# blocking sends of SIZE bytes with CLOCK_MONOTONIC read by the clock_gettime system call (the
# guest has perl-base only: no Time::HiRes), and N turns of the same loop without the send
# (the interpreter's share). Prints {"n":N,"send_ns":T,"loop_ns":T} and closes.
use strict;
use warnings;
use Socket qw(PF_INET SOCK_STREAM pack_sockaddr_in inet_aton);

my ($addr, $port, $n, $size) = @ARGV;
die "usage: sctp-kern-send.pl ADDR PORT N SIZE\n" unless defined $size;
# x86_64's clock_gettime: the guest (and every VM this project boots) is x86_64
my ($SYS_clock_gettime, $CLOCK_MONOTONIC) = (228, 1);
sub now_ns {
  my $ts = "\0" x 16;
  syscall($SYS_clock_gettime, $CLOCK_MONOTONIC, $ts) == 0 or die "clock_gettime: $!\n";
  my ($s, $ns) = unpack('q q', $ts);
  return $s * 1_000_000_000 + $ns;
}
socket(my $s, PF_INET, SOCK_STREAM, 132) or die "socket: $!\n";
connect($s, pack_sockaddr_in($port, inet_aton($addr))) or die "connect: $!\n";
my $msg = 'x' x $size;
my $ok = 0;
my $t0 = now_ns();
for (1 .. $n) { $ok++ if defined($msg); }
my $loop = now_ns() - $t0;
$t0 = now_ns();
for (1 .. $n) { defined(send($s, $msg, 0)) or die "send: $!\n"; }
my $send = now_ns() - $t0;
print "{\"n\":$n,\"send_ns\":$send,\"loop_ns\":$loop}\n";
close($s);
