#include "clock.h"

#include <algorithm>
#include <time.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace ab {

namespace {

#if defined(__x86_64__)
// This thread's CPU time in seconds: time it was descheduled (a loaded machine, a test runner beside it)
// does not count, so the reading is the clock the core ran at while it ran the chain.
double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Cycles per second of one thread: 16 dependent adds per iteration, the loop counter on its own chain.
double chain_ghz(int trials) {
  constexpr uint64_t kIters = 4'000'000;  // 64 M adds: ~20 ms at 3 GHz
  double best = 0;
  for (int t = 0; t < trials; t++) {
    uint64_t x = 0, n = kIters;
    const double t0 = thread_seconds();
    asm volatile(
        "1:\n\t"
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        "dec %1\n\t"
        "jnz 1b\n\t"
        : "+r"(x), "+r"(n)
        :
        : "cc");
    const double s = thread_seconds() - t0;
    best = std::max(best, 16.0 * static_cast<double>(kIters) / s / 1e9);
  }
  return best;
}
#endif

}  // namespace

double measure_clock_ghz(int threads, int trials) {
#if defined(__x86_64__)
  std::vector<double> ghz(std::max(1, threads), 0.0);
  std::vector<std::thread> pool;
  for (size_t i = 1; i < ghz.size(); i++) pool.emplace_back([&ghz, i, trials] { ghz[i] = chain_ghz(trials); });
  ghz[0] = chain_ghz(trials);
  for (auto& t : pool) t.join();
  std::sort(ghz.begin(), ghz.end());
  return ghz[ghz.size() / 2];
#else
  (void)threads;
  (void)trials;
  return 0;
#endif
}

}  // namespace ab
