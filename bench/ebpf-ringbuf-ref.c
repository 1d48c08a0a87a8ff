// The reference for bench/ebpf-maps's ring-buffer rows: the same work in C with libbpf, so the
// JavaScript figures are read beside what libbpf itself costs on this machine. Compiled by the
// bench at run time (cc, libbpf-dev); never shipped.
//
//   ebpf-ringbuf-ref produce PROG_PIN FRAME_HEX RATE SECONDS
//       run the pinned program on FRAME (BPF_PROG_TEST_RUN) RATE times a second, in batches
//       every millisecond, for SECONDS; prints the records it asked for
//   ebpf-ringbuf-ref drain MAP_PIN
//       consume what is in the pinned ring buffer now; prints "records ns"
//   ebpf-ringbuf-ref stream MAP_PIN COUNT
//       poll the ring until COUNT records came; prints "records cpu_ns" (user+system CPU time)
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long long records;
static volatile unsigned long long sink;

static int on_record(void *ctx, void *data, size_t size) {
  records++;
  sink += ((unsigned char *)data)[0]; /* touch the record, as a real consumer would */
  return 0;
}

static long long now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static int die(const char *what) {
  fprintf(stderr, "ebpf-ringbuf-ref: %s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc >= 6 && !strcmp(argv[1], "produce")) {
    int fd = bpf_obj_get(argv[2]);
    if (fd < 0) return die("bpf_obj_get(prog)");
    size_t n = strlen(argv[3]) / 2;
    unsigned char frame[256];
    if (n > sizeof frame) return 2;
    for (size_t i = 0; i < n; i++) sscanf(argv[3] + 2 * i, "%2hhx", &frame[i]);
    long rate = atol(argv[4]);
    double seconds = atof(argv[5]);
    long per_ms = rate / 1000 > 0 ? rate / 1000 : 1;
    long long start = now_ns(CLOCK_MONOTONIC), asked = 0;
    for (long tick = 0; tick < (long)(seconds * 1000); tick++) {
      LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (unsigned)n, .repeat = (int)per_ms);
      if (bpf_prog_test_run_opts(fd, &o)) return die("bpf_prog_test_run_opts");
      asked += per_ms;
      long long due = start + (tick + 1) * 1000000LL;
      struct timespec ts = {due / 1000000000LL, due % 1000000000LL};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
    printf("%lld\n", asked);
    return 0;
  }
  if (argc >= 3 && (!strcmp(argv[1], "drain") || !strcmp(argv[1], "stream"))) {
    int fd = bpf_obj_get(argv[2]);
    if (fd < 0) return die("bpf_obj_get(map)");
    struct ring_buffer *rb = ring_buffer__new(fd, on_record, NULL, NULL);
    if (!rb) return die("ring_buffer__new");
    if (!strcmp(argv[1], "drain")) {
      long long t0 = now_ns(CLOCK_MONOTONIC);
      if (ring_buffer__consume(rb) < 0) return die("ring_buffer__consume");
      printf("%lld %lld\n", records, now_ns(CLOCK_MONOTONIC) - t0);
    } else {
      long long want = argc > 3 ? atoll(argv[3]) : 0, c0 = cpu_ns();
      /* tell the bench we are polling, then block in epoll like the JS reader's uv_poll does */
      printf("ready\n");
      fflush(stdout);
      while (records < want) {
        int r = ring_buffer__poll(rb, 2000);
        if (r < 0 && errno != EINTR) return die("ring_buffer__poll");
        if (r == 0) break; /* the producer stopped short: report what came */
      }
      printf("%lld %lld\n", records, cpu_ns() - c0);
    }
    ring_buffer__free(rb);
    return 0;
  }
  fprintf(stderr, "usage: ebpf-ringbuf-ref produce PROG_PIN FRAME_HEX RATE SECONDS | drain MAP_PIN | stream MAP_PIN COUNT\n");
  return 2;
}
