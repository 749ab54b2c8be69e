#include "ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "pool.h"

namespace ab {

namespace {

constexpr int64_t GRAIN = 1 << 16;  // elements per task below which a kernel stays on one thread
const float NaN = std::numeric_limits<float>::quiet_NaN();

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

// Math.max / Math.min: NaN if either is NaN
inline float jsmax(float a, float b) { return (a != a || b != b) ? NaN : (a > b ? a : b); }
inline float jsmin(float a, float b) { return (a != a || b != b) ? NaN : (a < b ? a : b); }

template <int OP>
inline float bop(float a, float b) {
  if constexpr (OP == B_ADD) return a + b;
  if constexpr (OP == B_SUB) return a - b;
  if constexpr (OP == B_MUL) return a * b;
  if constexpr (OP == B_DIV) return a / b;
  if constexpr (OP == B_MAX) return jsmax(a, b);
  if constexpr (OP == B_MIN) return jsmin(a, b);
  if constexpr (OP == B_SQDIFF) {
    // in double, as the JS backend, so the result is the same float
    const double d = static_cast<double>(a) - static_cast<double>(b);
    return static_cast<float>(d * d);
  }
  if constexpr (OP == B_POW) return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  if constexpr (OP == B_PRELU) return a < 0.f ? b * a : a;
  // EluGrad(dy = a, y = b)
  if constexpr (OP == B_ELU_GRAD) return b >= 0.f ? a : a * (b + 1.f);
  return 0.f;
}

// one contiguous run: sa, sb ∈ {0, 1}
template <typename TI, typename TO, typename F>
inline void brun(const TI* a, int64_t sa, const TI* b, int64_t sb, TO* o, int64_t L, F f) {
  if (sa && sb)
    for (int64_t i = 0; i < L; i++) o[i] = f(a[i], b[i]);
  else if (sa) {
    const TI bv = *b;
    for (int64_t i = 0; i < L; i++) o[i] = f(a[i], bv);
  } else if (sb) {
    const TI av = *a;
    for (int64_t i = 0; i < L; i++) o[i] = f(av, b[i]);
  } else {
    const TO v = f(*a, *b);
    for (int64_t i = 0; i < L; i++) o[i] = v;
  }
}

struct Broadcast {
  // collapsed dims, outermost first; strides of a and b per dim (0 = broadcast)
  std::vector<int64_t> dims, sa, sb;
};

Broadcast plan(const Shape& sha, const Shape& shb, const Shape& so) {
  const size_t r = so.size();
  std::vector<int64_t> da(r, 1), db(r, 1);
  for (size_t i = 0; i < sha.size(); i++) da[r - sha.size() + i] = sha[i];
  for (size_t i = 0; i < shb.size(); i++) db[r - shb.size() + i] = shb[i];
  std::vector<int64_t> sa(r), sb(r);
  int64_t pa = 1, pb = 1;
  for (size_t k = r; k-- > 0;) {
    sa[k] = da[k] == 1 ? 0 : pa;
    sb[k] = db[k] == 1 ? 0 : pb;
    pa *= da[k];
    pb *= db[k];
  }
  Broadcast p;
  for (size_t k = 0; k < r; k++) {
    if (so[k] == 1) continue;
    if (!p.dims.empty()) {
      const int64_t d = so[k];
      const size_t q = p.dims.size() - 1;
      // merge with the previous dim when both operands stay contiguous (or both broadcast) across it
      if (p.sa[q] == sa[k] * d && p.sb[q] == sb[k] * d) {
        p.dims[q] *= d;
        p.sa[q] = sa[k];
        p.sb[q] = sb[k];
        continue;
      }
    }
    p.dims.push_back(so[k]);
    p.sa.push_back(sa[k]);
    p.sb.push_back(sb[k]);
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    p.sa.push_back(0);
    p.sb.push_back(0);
  }
  return p;
}

// out = f(a, b) with numpy broadcasting (shapes right-aligned), rows split over the pool
template <typename TI, typename TO, typename F>
void broadcast_apply(const TI* a, const Shape& sha, const TI* b, const Shape& shb, TO* out, const Shape& so, F f) {
  Broadcast p = plan(sha, shb, so);
  const size_t R = p.dims.size();
  const int64_t L = p.dims[R - 1];
  const int64_t ia = p.sa[R - 1], ib = p.sb[R - 1];
  // innermost stride other than 0/1 (cannot happen after the merge, but stay general)
  const bool unit = (ia == 0 || ia == 1) && (ib == 0 || ib == 1);
  int64_t rows = 1;
  for (size_t k = 0; k + 1 < R; k++) rows *= p.dims[k];
  parallel_for(rows, std::max<int64_t>(1, GRAIN / std::max<int64_t>(L, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t offa = 0, offb = 0, rest = r;
      for (size_t k = R - 1; k-- > 0;) {
        const int64_t c = rest % p.dims[k];
        rest /= p.dims[k];
        offa += c * p.sa[k];
        offb += c * p.sb[k];
      }
      TO* o = out + r * L;
      if (unit)
        brun(a + offa, ia, b + offb, ib, o, L, f);
      else
        for (int64_t i = 0; i < L; i++) o[i] = f(a[offa + i * ia], b[offb + i * ib]);
    }
  });
}

template <int OP>
void binary_t(const float* a, const Shape& sha, const float* b, const Shape& shb, float* out, const Shape& so) {
  broadcast_apply(a, sha, b, shb, out, so, [](float x, float y) { return bop<OP>(x, y); });
}

template <int OP>
inline float uop(float x, float alpha, float beta) {
  const double d = x;
  if constexpr (OP == U_RELU) return x < 0.f ? 0.f : x;
  if constexpr (OP == U_RELU6) return x < 0.f ? 0.f : (x > 6.f ? 6.f : x);
  if constexpr (OP == U_STEP) return x != x ? x : (x > 0.f ? 1.f : alpha);
  if constexpr (OP == U_ELU) return x >= 0.f ? x : static_cast<float>(std::expm1(d));
  if constexpr (OP == U_SIGMOID) return static_cast<float>(1.0 / (1.0 + std::exp(-d)));
  if constexpr (OP == U_TANH) return static_cast<float>(std::tanh(d));
  if constexpr (OP == U_EXP) return static_cast<float>(std::exp(d));
  if constexpr (OP == U_LOG) return static_cast<float>(std::log(d));
  if constexpr (OP == U_SQRT) return std::sqrt(x);
  if constexpr (OP == U_RSQRT) return static_cast<float>(1.0 / std::sqrt(d));
  if constexpr (OP == U_SQUARE) return x * x;
  if constexpr (OP == U_NEG) return -x;
  if constexpr (OP == U_ABS) return std::fabs(x);
  if constexpr (OP == U_RECIPROCAL) return 1.f / x;
  if constexpr (OP == U_ERF) return static_cast<float>(std::erf(d));
  if constexpr (OP == U_SOFTPLUS) {
    // tfjs's thresholds: log(float epsilon) + 2
    const double th = std::log(1.1920928955078125e-7) + 2.0;
    if (d > -th) return x;
    if (d < th) return static_cast<float>(std::exp(d));
    return static_cast<float>(std::log1p(std::exp(d)));
  }
  if constexpr (OP == U_LEAKY_RELU) return x < 0.f ? alpha * x : x;
  if constexpr (OP == U_SIGN) return x < 0.f ? -1.f : (x > 0.f ? 1.f : 0.f);
  if constexpr (OP == U_SELU) {
    const double scaleAlpha = 1.7580993408473768599402175208123, scale = 1.0507009873554804934193349852946;
    return x >= 0.f ? static_cast<float>(scale * d) : static_cast<float>(scaleAlpha * (std::exp(d) - 1.0));
  }
  if constexpr (OP == U_EXPM1) return static_cast<float>(std::expm1(d));
  if constexpr (OP == U_LOG1P) return static_cast<float>(std::log1p(d));
  if constexpr (OP == U_SIN) return static_cast<float>(std::sin(d));
  if constexpr (OP == U_COS) return static_cast<float>(std::cos(d));
  if constexpr (OP == U_FLOOR) return std::floor(x);
  if constexpr (OP == U_CEIL) return std::ceil(x);
  if constexpr (OP == U_CLIP) return x != x ? x : (x < alpha ? alpha : (x > beta ? beta : x));
  if constexpr (OP == U_ASIN) return static_cast<float>(std::asin(d));
  if constexpr (OP == U_ACOS) return static_cast<float>(std::acos(d));
  if constexpr (OP == U_ATAN) return static_cast<float>(std::atan(d));
  if constexpr (OP == U_SINH) return static_cast<float>(std::sinh(d));
  if constexpr (OP == U_COSH) return static_cast<float>(std::cosh(d));
  if constexpr (OP == U_TAN) return static_cast<float>(std::tan(d));
  if constexpr (OP == U_ASINH) return static_cast<float>(std::asinh(d));
  if constexpr (OP == U_ACOSH) return static_cast<float>(std::acosh(d));
  if constexpr (OP == U_ATANH) return static_cast<float>(std::atanh(d));
  return 0.f;
}

template <int OP>
void unary_t(const float* x, float* out, int64_t n, float alpha, float beta) {
  parallel_for(n, GRAIN, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) out[i] = uop<OP>(x[i], alpha, beta);
  });
}


template <int OP>
void binary_dispatch(int op, const float* a, const Shape& sa, const float* b, const Shape& sb, float* out, const Shape& so) {
  if constexpr (OP < B_COUNT) {
    if (op == OP) return binary_t<OP>(a, sa, b, sb, out, so);
    binary_dispatch<OP + 1>(op, a, sa, b, sb, out, so);
  }
}

template <int OP>
void unary_dispatch(int op, const float* x, float* out, int64_t n, float alpha, float beta) {
  if constexpr (OP < U_COUNT) {
    if (op == OP) return unary_t<OP>(x, out, n, alpha, beta);
    unary_dispatch<OP + 1>(op, x, out, n, alpha, beta);
  }
}

// one output column block: Σ / max / min / Π over red for out[o, i0..i1)
void reduce_block(int op, const float* x, float* out, int64_t o, int64_t red, int64_t inner, int64_t i0, int64_t i1, int64_t r0, int64_t r1,
                  double* acc) {
  const int64_t w = i1 - i0;
  const float* base = x + o * red * inner;
  if (op == R_SUM || op == R_MEAN || op == R_PROD) {
    const double init = op == R_PROD ? 1.0 : 0.0;
    for (int64_t i = 0; i < w; i++) acc[i] = init;
    for (int64_t r = r0; r < r1; r++) {
      const float* row = base + r * inner + i0;
      if (op == R_PROD)
        for (int64_t i = 0; i < w; i++) acc[i] *= row[i];
      else
        for (int64_t i = 0; i < w; i++) acc[i] += row[i];
    }
  } else {
    const bool mx = op == R_MAX;
    for (int64_t i = 0; i < w; i++) acc[i] = base[r0 * inner + i0 + i];
    for (int64_t r = r0 + 1; r < r1; r++) {
      const float* row = base + r * inner + i0;
      for (int64_t i = 0; i < w; i++) {
        const double v = row[i];
        if (v != v || (mx ? v > acc[i] : v < acc[i])) acc[i] = v;
      }
    }
  }
  (void)out;
}

}  // namespace

void binary(int op, const float* a, const Shape& sa, const float* b, const Shape& sb, float* out, const Shape& so) {
  binary_dispatch<0>(op, a, sa, b, sb, out, so);
}

void unary(int op, const float* x, float* out, int64_t n, float alpha, float beta) { unary_dispatch<0>(op, x, out, n, alpha, beta); }

// comparisons compare the float values (NaN compares false, != true), as the JS backend's
void compare(int op, const float* a, const Shape& sa, const float* b, const Shape& sb, uint8_t* out, const Shape& so) {
  switch (op) {
    case C_GREATER: return broadcast_apply(a, sa, b, sb, out, so, [](float x, float y) -> uint8_t { return x > y; });
    case C_GREATER_EQUAL: return broadcast_apply(a, sa, b, sb, out, so, [](float x, float y) -> uint8_t { return x >= y; });
    case C_LESS: return broadcast_apply(a, sa, b, sb, out, so, [](float x, float y) -> uint8_t { return x < y; });
    case C_LESS_EQUAL: return broadcast_apply(a, sa, b, sb, out, so, [](float x, float y) -> uint8_t { return x <= y; });
    case C_EQUAL: return broadcast_apply(a, sa, b, sb, out, so, [](float x, float y) -> uint8_t { return x == y; });
    case C_NOT_EQUAL: return broadcast_apply(a, sa, b, sb, out, so, [](float x, float y) -> uint8_t { return x != y; });
  }
}

void logical(int op, const uint8_t* a, const Shape& sa, const uint8_t* b, const Shape& sb, uint8_t* out, const Shape& so) {
  if (op == L_AND) return broadcast_apply(a, sa, b, sb, out, so, [](uint8_t x, uint8_t y) -> uint8_t { return x && y; });
  broadcast_apply(a, sa, b, sb, out, so, [](uint8_t x, uint8_t y) -> uint8_t { return x || y; });
}

// Sums accumulate in double (as the JS backend's do). The reduction is cut into chunks fixed by the shape
// alone and combined in chunk order, so the result does not depend on the thread count.
void reduce(int op, const float* x, float* out, int64_t outer, int64_t red, int64_t inner) {
  auto finish = [&](double v) -> float {
    if (op == R_MEAN) return static_cast<float>(v) / static_cast<float>(red);
    return static_cast<float>(v);
  };
  if (red == 0) {
    for (int64_t i = 0; i < outer * inner; i++) out[i] = op == R_PROD ? 1.f : (op == R_SUM ? 0.f : NaN);
    return;
  }
  const int64_t total = outer * red * inner;
  if (outer * inner >= 256 || total < 4 * GRAIN) {
    // enough independent outputs: one task per (outer, inner-block)
    const int64_t IB = 256;
    const int64_t iblocks = (inner + IB - 1) / IB;
    parallel_for(outer * iblocks, std::max<int64_t>(1, GRAIN / std::max<int64_t>(1, red * std::min(inner, IB))), [&](int64_t b, int64_t e) {
      double acc[IB];
      for (int64_t t = b; t < e; t++) {
        const int64_t o = t / iblocks, i0 = (t % iblocks) * IB, i1 = std::min(inner, i0 + IB);
        reduce_block(op, x, out, o, red, inner, i0, i1, 0, red, acc);
        for (int64_t i = i0; i < i1; i++) out[o * inner + i] = finish(acc[i - i0]);
      }
    });
    return;
  }
  // few outputs, long reductions (batch-norm statistics): chunk the reduced axis
  const int64_t nchunks = std::min<int64_t>(64, std::max<int64_t>(1, total / GRAIN));
  const int64_t width = outer * inner;
  std::vector<double> part(static_cast<size_t>(nchunks * width));
  parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; c++) {
      const int64_t r0 = red * c / nchunks, r1 = red * (c + 1) / nchunks;
      for (int64_t o = 0; o < outer; o++) {
        if (r0 == r1) {
          for (int64_t i = 0; i < inner; i++) part[c * width + o * inner + i] = op == R_PROD ? 1.0 : (op == R_SUM || op == R_MEAN ? 0.0 : NaN);
          continue;
        }
        reduce_block(op, x, out, o, red, inner, 0, inner, r0, r1, part.data() + c * width + o * inner);
      }
    }
  });
  for (int64_t i = 0; i < width; i++) {
    double v = part[i];
    for (int64_t c = 1; c < nchunks; c++) {
      const double w = part[c * width + i];
      if (op == R_SUM || op == R_MEAN)
        v += w;
      else if (op == R_PROD)
        v *= w;
      else if (w != w || v != v)
        v = NaN;
      else
        v = op == R_MAX ? std::max(v, w) : std::min(v, w);
    }
    out[i] = finish(v);
  }
}

void transpose(const float* x, float* out, const Shape& shape, const std::vector<int64_t>& perm) {
  const size_t r = shape.size();
  std::vector<int64_t> istr(r);
  int64_t p = 1;
  for (size_t k = r; k-- > 0;) {
    istr[k] = p;
    p *= shape[k];
  }
  // output dims and the input stride of each, then merge output dims contiguous in the input
  std::vector<int64_t> od, os;
  for (size_t k = 0; k < r; k++) {
    const int64_t d = shape[perm[k]], s = istr[perm[k]];
    if (d == 1) continue;
    if (!od.empty() && os.back() == s * d) {
      od.back() *= d;
      os.back() = s;
      continue;
    }
    od.push_back(d);
    os.push_back(s);
  }
  const int64_t n = p;
  if (od.empty()) {
    if (n) out[0] = x[0];
    return;
  }
  const size_t R = od.size();
  const int64_t L = od[R - 1], ls = os[R - 1];
  int64_t rows = n / L;
  if (R >= 2 && ls != 1) {
    // 2-D tiles over the last two output dims so both sides touch cache lines in runs
    const int64_t A = od[R - 2], as = os[R - 2];
    const int64_t outerRows = rows / A;
    constexpr int64_t TB = 32;
    const int64_t ta = (A + TB - 1) / TB, tl = (L + TB - 1) / TB;
    parallel_for(outerRows * ta * tl, std::max<int64_t>(1, GRAIN / (TB * TB)), [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; t++) {
        const int64_t q = t / (ta * tl), rem = t % (ta * tl), bi = rem / tl, bj = rem % tl;
        int64_t off = 0, rest = q;
        for (size_t k = R - 2; k-- > 0;) {
          off += (rest % od[k]) * os[k];
          rest /= od[k];
        }
        const int64_t i0 = bi * TB, i1 = std::min(A, i0 + TB), j0 = bj * TB, j1 = std::min(L, j0 + TB);
        float* o = out + q * A * L;
        for (int64_t i = i0; i < i1; i++)
          for (int64_t j = j0; j < j1; j++) o[i * L + j] = x[off + i * as + j * ls];
      }
    });
    return;
  }
  parallel_for(rows, std::max<int64_t>(1, GRAIN / L), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; row++) {
      int64_t off = 0, rest = row;
      for (size_t k = R - 1; k-- > 0;) {
        off += (rest % od[k]) * os[k];
        rest /= od[k];
      }
      float* o = out + row * L;
      if (ls == 1)
        std::memcpy(o, x + off, sizeof(float) * L);
      else
        for (int64_t j = 0; j < L; j++) o[j] = x[off + j * ls];
    }
  });
}

void tile(const float* x, float* out, const Shape& shape, const std::vector<int64_t>& reps) {
  const size_t r = shape.size();
  if (r == 0) {
    out[0] = x[0];
    return;
  }
  Shape os(r);
  for (size_t k = 0; k < r; k++) os[k] = shape[k] * reps[k];
  const int64_t L = shape[r - 1], OL = os[r - 1];
  const int64_t rows = numel(os) / std::max<int64_t>(OL, 1);
  parallel_for(rows, std::max<int64_t>(1, GRAIN / std::max<int64_t>(OL, 1)), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; row++) {
      int64_t off = 0, rest = row, stride = L;
      for (size_t k = r - 1; k-- > 0;) {
        const int64_t c = rest % os[k];
        rest /= os[k];
        off += (c % shape[k]) * stride;
        stride *= shape[k];
      }
      float* o = out + row * OL;
      for (int64_t q = 0; q < reps[r - 1]; q++) std::memcpy(o + q * L, x + off, sizeof(float) * L);
    }
  });
}

void pad(const float* x, float* out, const Shape& shape, const std::vector<int64_t>& before, const Shape& os, float value) {
  const size_t r = shape.size();
  const int64_t n = numel(os);
  parallel_for(n, GRAIN, [&](int64_t b, int64_t e) { std::fill(out + b, out + e, value); });
  if (r == 0 || numel(shape) == 0) return;
  const int64_t L = shape[r - 1];
  const int64_t rows = numel(shape) / L;
  std::vector<int64_t> ostr(r);
  int64_t p = 1;
  for (size_t k = r; k-- > 0;) {
    ostr[k] = p;
    p *= os[k];
  }
  parallel_for(rows, std::max<int64_t>(1, GRAIN / L), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; row++) {
      int64_t off = before[r - 1], rest = row;
      for (size_t k = r - 1; k-- > 0;) {
        off += (rest % shape[k] + before[k]) * ostr[k];
        rest /= shape[k];
      }
      std::memcpy(out + off, x + row * L, sizeof(float) * L);
    }
  });
}

void slice(const float* x, float* out, const Shape& shape, const std::vector<int64_t>& begin, const Shape& size) {
  const size_t r = shape.size();
  const int64_t n = numel(size);
  if (n == 0) return;
  if (r == 0) {
    out[0] = x[0];
    return;
  }
  const int64_t L = size[r - 1];
  const int64_t rows = n / L;
  std::vector<int64_t> istr(r);
  int64_t p = 1;
  for (size_t k = r; k-- > 0;) {
    istr[k] = p;
    p *= shape[k];
  }
  parallel_for(rows, std::max<int64_t>(1, GRAIN / L), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; row++) {
      int64_t off = begin[r - 1], rest = row;
      for (size_t k = r - 1; k-- > 0;) {
        off += (rest % size[k] + begin[k]) * istr[k];
        rest /= size[k];
      }
      std::memcpy(out + row * L, x + off, sizeof(float) * L);
    }
  });
}

void batchnorm(const float* x, const float* mean, const float* var, const float* offset, const float* scale, float* y, int64_t n, int64_t C,
               float eps) {
  std::vector<float> k(static_cast<size_t>(C)), m(static_cast<size_t>(C)), o(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; c++) {
    const double s = scale ? scale[c] : 1.0;
    k[c] = static_cast<float>(s / std::sqrt(static_cast<double>(var[c]) + static_cast<double>(eps)));
    m[c] = mean[c];
    o[c] = offset ? offset[c] : 0.f;
  }
  const int64_t rows = n / C;
  parallel_for(rows, std::max<int64_t>(1, GRAIN / C), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; row++) {
      const float* xi = x + row * C;
      float* yi = y + row * C;
      for (int64_t c = 0; c < C; c++) yi[c] = o[c] + (xi[c] - m[c]) * k[c];
    }
  });
}

void batchnorm_grad(const float* x, const float* dy, const float* mean, const float* var, const float* scale, float eps, int64_t n, int64_t C,
                    float* dx, float* dmean, float* dvar, float* dscale, float* doffset) {
  std::vector<float> rs(static_cast<size_t>(C)), nrs(static_cast<size_t>(C)), mh(static_cast<size_t>(C)), s(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; c++) {
    // as the JS graph: rsqrt(var + ε) in double rounded to float; −½·rs³ as three float products
    const float ve = var[c] + eps;
    rs[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(ve)));
    nrs[c] = rs[c] * -1.f;
    mh[c] = ((rs[c] * rs[c]) * rs[c]) * -0.5f;
    s[c] = scale ? scale[c] : 1.f;
  }
  const int64_t rows = n / C;
  const int64_t nchunks = std::min<int64_t>(64, std::max<int64_t>(1, n / GRAIN));
  std::vector<double> part(static_cast<size_t>(nchunks * 4 * C), 0.0);
  parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ch++) {
      double* sdy = part.data() + ch * 4 * C;
      double *sm = sdy + C, *sv = sdy + 2 * C, *ss = sdy + 3 * C;
      for (int64_t r = rows * ch / nchunks; r < rows * (ch + 1) / nchunks; r++) {
        const float* xi = x + r * C;
        const float* gi = dy + r * C;
        float* di = dx + r * C;
        for (int64_t c = 0; c < C; c++) {
          const float g = gi[c], xm = xi[c] - mean[c], gs = g * s[c];
          di[c] = (g * rs[c]) * s[c];
          sdy[c] += g;
          sm[c] += nrs[c] * gs;
          sv[c] += (mh[c] * xm) * gs;
          ss[c] += g * (xm * rs[c]);
        }
      }
    }
  });
  for (int64_t c = 0; c < C; c++) {
    double a = 0, m = 0, v = 0, q = 0;
    for (int64_t ch = 0; ch < nchunks; ch++) {
      const double* p = part.data() + ch * 4 * C;
      a += p[c];
      m += p[C + c];
      v += p[2 * C + c];
      q += p[3 * C + c];
    }
    doffset[c] = static_cast<float>(a);
    dmean[c] = static_cast<float>(m);
    dvar[c] = static_cast<float>(v);
    dscale[c] = static_cast<float>(q);
  }
}

void select(const uint8_t* cond, const float* a, const float* b, float* out, int64_t n) {
  parallel_for(n, GRAIN, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; i++) out[i] = cond[i] ? a[i] : b[i];
  });
}

void max_pool(const PoolShape& s, const float* x, float* y) {
  parallel_for(s.N * s.Ho, std::max<int64_t>(1, GRAIN / std::max<int64_t>(1, s.Wo * s.C * s.KH * s.KW)), [&](int64_t b, int64_t e) {
    std::vector<float> best(static_cast<size_t>(s.C));
    for (int64_t row = b; row < e; row++) {
      const int64_t n = row / s.Ho, oy = row % s.Ho;
      for (int64_t ox = 0; ox < s.Wo; ox++) {
        std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
        for (int64_t a = 0; a < s.KH; a++) {
          const int64_t iy = oy * s.sh - s.pt + a * s.dh;
          if (iy < 0 || iy >= s.H) continue;
          for (int64_t q = 0; q < s.KW; q++) {
            const int64_t ix = ox * s.sw - s.pl + q * s.dw;
            if (ix < 0 || ix >= s.W) continue;
            const float* xi = x + ((n * s.H + iy) * s.W + ix) * s.C;
            for (int64_t c = 0; c < s.C; c++) best[c] = xi[c] > best[c] ? xi[c] : best[c];
          }
        }
        std::memcpy(y + ((n * s.Ho + oy) * s.Wo + ox) * s.C, best.data(), sizeof(float) * s.C);
      }
    }
  });
}

// dy goes to the first strict maximum of each window (the JS backend's choice); images run in parallel,
// windows of one image in order
void max_pool_grad(const PoolShape& s, const float* x, const float* dy, float* dx) {
  parallel_for(s.N, std::max<int64_t>(1, GRAIN / std::max<int64_t>(1, s.Ho * s.Wo * s.C * s.KH * s.KW)), [&](int64_t b, int64_t e) {
    std::vector<float> best(static_cast<size_t>(s.C));
    std::vector<int64_t> pos(static_cast<size_t>(s.C));
    for (int64_t n = b; n < e; n++) {
      float* dxn = dx + n * s.H * s.W * s.C;
      std::memset(dxn, 0, sizeof(float) * s.H * s.W * s.C);
      for (int64_t oy = 0; oy < s.Ho; oy++)
        for (int64_t ox = 0; ox < s.Wo; ox++) {
          std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
          std::fill(pos.begin(), pos.end(), -1);
          for (int64_t a = 0; a < s.KH; a++) {
            const int64_t iy = oy * s.sh - s.pt + a * s.dh;
            if (iy < 0 || iy >= s.H) continue;
            for (int64_t q = 0; q < s.KW; q++) {
              const int64_t ix = ox * s.sw - s.pl + q * s.dw;
              if (ix < 0 || ix >= s.W) continue;
              const int64_t p = (iy * s.W + ix) * s.C;
              const float* xi = x + n * s.H * s.W * s.C + p;
              for (int64_t c = 0; c < s.C; c++)
                if (xi[c] > best[c]) {
                  best[c] = xi[c];
                  pos[c] = p + c;
                }
            }
          }
          const float* g = dy + ((n * s.Ho + oy) * s.Wo + ox) * s.C;
          for (int64_t c = 0; c < s.C; c++)
            if (pos[c] >= 0) dxn[pos[c]] += g[c];
        }
    }
  });
}

}  // namespace ab
