#include "pool.h"

#include <algorithm>
#include <cstdlib>

namespace ab {

// set while a thread runs a part of a parallel region: nested regions run inline
static thread_local bool tl_inside = false;

Pool& Pool::get() {
  static Pool pool;
  return pool;
}

Pool::Pool() {
  int n = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* env = std::getenv("ACTBENCH_THREADS")) {
    int v = std::atoi(env);
    if (v > 0) n = v;
  }
  set_threads(n < 1 ? 1 : n);
}

Pool::~Pool() { stop_all(); }

void Pool::stop_all() {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  stop_ = false;
}

void Pool::set_threads(int n) {
  n = std::max(1, std::min(n, 256));
  if (n == nthreads_ && static_cast<int>(workers_.size()) == n - 1) return;
  stop_all();
  nthreads_ = n;
  // a new worker must not mistake the last finished job for a new one
  const uint64_t gen = generation_;
  for (int i = 1; i < n; i++) workers_.emplace_back([this, i, gen] { worker(i, gen); });
}

static inline void range_of(int64_t n, int parts, int id, int64_t* b, int64_t* e) {
  // contiguous, balanced ranges: part id gets [n*id/parts, n*(id+1)/parts)
  *b = n * id / parts;
  *e = n * (id + 1) / parts;
}

void Pool::worker(int id, uint64_t seen) {
  for (;;) {
    const std::function<void(int64_t, int64_t)>* job;
    int64_t n;
    int parts;
    {
      std::unique_lock<std::mutex> lk(m_);
      start_cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      n = n_;
      parts = parts_;
    }
    if (id < parts) {
      int64_t b, e;
      range_of(n, parts, id, &b, &e);
      tl_inside = true;
      if (b < e) (*job)(b, e);
      tl_inside = false;
    }
    {
      std::lock_guard<std::mutex> lk(m_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void Pool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  int64_t maxParts = (n + grain - 1) / grain;
  int parts = static_cast<int>(std::min<int64_t>(nthreads_, maxParts));
  // nested calls (a kernel inside a parallel region) and single parts run inline
  if (parts <= 1 || tl_inside) {
    fn(0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lk(m_);
    job_ = &fn;
    n_ = n;
    parts_ = parts;
    pending_ = static_cast<int>(workers_.size());
    generation_++;
  }
  start_cv_.notify_all();
  int64_t b, e;
  range_of(n, parts, 0, &b, &e);
  tl_inside = true;
  if (b < e) fn(b, e);
  tl_inside = false;
  std::unique_lock<std::mutex> lk(m_);
  done_cv_.wait(lk, [&] { return pending_ == 0; });
}

}  // namespace ab
