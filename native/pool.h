// A fixed thread pool with static work partitioning: parallel_for splits [0, n) into contiguous ranges,
// one per thread, so which thread computes what depends only on n and the thread count, and every kernel
// computes each output element in an order that does not depend on the split (bit-identical results for
// any thread count).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ab {

class Pool {
 public:
  static Pool& get();
  void set_threads(int n);
  int threads() const { return nthreads_; }
  // fn(begin, end) over contiguous ranges of [0, n); ranges of at least `grain` items
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);
  ~Pool();

 private:
  Pool();
  void worker(int id, uint64_t seen);
  void stop_all();
  int nthreads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t n_ = 0;
  int parts_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

inline void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  Pool::get().parallel_for(n, grain, fn);
}

}  // namespace ab
