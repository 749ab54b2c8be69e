// The corruptions' hot loops for src/corrupt (exported by corrupt.cc): numpy's legacy Gaussian and Poisson
// draws over MT19937 (the noise corruptions), scipy's separable Gaussian filter, clipped zoom (scipy zoom
// order 1), cv2.filter2D, ImageMagick's motion blur, fog's plasma fractal, glass_blur's pixel walk, the
// HSV corruptions (brightness, saturate), uniform fills, elastic_transform's warpAffine and
// map_coordinates, contrast and Pillow's BOX resize (pixelate). Each mirrors its TypeScript fallback in
// src/corrupt/{rng,ops,corruptions}.ts operation for operation (same order of additions, the same float32
// roundings; kernels and weights are computed by the caller), so the bytes are the same either way. Built
// without -march=native and with -ffp-contract=off: no FMA, no reassociation. Scratch buffers are
// thread_local (worker threads call in parallel); nothing is allocated per call once they have grown.
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

void TwistBlock(uint32_t* mt, uint32_t* out);

namespace {

struct Arr {
  void* data = nullptr;
  size_t len = 0;
  napi_typedarray_type type = napi_int8_array;
};

bool GetArr(napi_env env, napi_value v, Arr* a) {
  bool ok = false;
  if (napi_is_typedarray(env, v, &ok) != napi_ok || !ok) return false;
  napi_value ab;
  size_t offset;
  return napi_get_typedarray_info(env, v, &a->type, &a->len, &a->data, &ab, &offset) == napi_ok;
}

double Num(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

napi_value Fail(napi_env env, const char* msg) {
  napi_throw_error(env, nullptr, msg);
  return nullptr;
}

// v / 255 for the byte values (a table read is the same double as the division, and much cheaper)
struct UnitTable {
  double v[256];
  UnitTable() {
    for (int i = 0; i < 256; i++) v[i] = i / 255.0;
  }
};
const UnitTable kUnit;
inline double Unit(uint8_t b) { return kUnit.v[b]; }

template <typename T>
std::vector<T>& Scratch(int slot, size_t n) {
  thread_local std::vector<T> bufs[4];
  if (bufs[slot].size() < n) bufs[slot].resize(n);
  return bufs[slot];
}

template <int N>
bool Args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return argc == N;
}

// ---------------------------------------------------------------- numpy's legacy RandomState

// The generator's state lives in JS (NumpyRandomState): mt and the tempered words of the current block
// (Int32Array(624) each) and st = Float64Array [mti, hasGauss, gaussCache], read here and written back.
struct Rng {
  uint32_t* mt;
  uint32_t* words;
  double* st;
  int mti;
  bool hasGauss;
  double gauss;
  Rng(uint32_t* m, uint32_t* w, double* s) : mt(m), words(w), st(s), mti(static_cast<int>(s[0])), hasGauss(s[1] != 0), gauss(s[2]) {}
  void Save() {
    st[0] = mti;
    st[1] = hasGauss ? 1 : 0;
    st[2] = gauss;
  }
  uint32_t Next() {
    if (mti >= 624) {
      TwistBlock(mt, words);
      mti = 0;
    }
    return words[mti++];
  }
  // random_sample: 53 bits from two words (× 2⁻⁵³ is exact)
  double Random() {
    const uint32_t a = Next() >> 5;
    const uint32_t b = Next() >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }
  // n legacy_gauss() values into out: the polar attempts of a block's remaining words (4 each) computed
  // together, then ln/sqrt only for the accepted ones (independent, so they overlap); the words consumed
  // and the cached value are exactly those of n Gauss() calls
  void GaussFill(double* out, size_t n) {
    size_t k = 0;
    if (n > 0 && hasGauss) {
      hasGauss = false;
      out[k++] = gauss;
    }
    double X1[156], X2[156], R2[156], F[156];
    int idx[156];
    while (k < n) {
      if (mti >= 624) {
        TwistBlock(mt, words);
        mti = 0;
      }
      if (mti > 620) {
        // fewer than 4 words left: one pair the scalar way (its draws straddle the twist)
        out[k++] = Gauss();
        if (k < n) {
          hasGauss = false;
          out[k++] = gauss;
        }
        continue;
      }
      const int A = (624 - mti) >> 2;
      const uint32_t* w = words + mti;
      int na = 0;
      for (int a = 0; a < A; a++, w += 4) {
        const double x1 = ((w[0] >> 5) * 67108864.0 + (w[1] >> 6)) * (2.0 / 9007199254740992.0) - 1.0;
        const double x2 = ((w[2] >> 5) * 67108864.0 + (w[3] >> 6)) * (2.0 / 9007199254740992.0) - 1.0;
        const double r2 = x1 * x1 + x2 * x2;
        X1[na] = x1;
        X2[na] = x2;
        R2[na] = r2;
        idx[na] = a;
        na += (r2 < 1.0 && r2 != 0.0) ? 1 : 0;
      }
      const size_t need = (n - k + 1) / 2;
      const int use = static_cast<int>(std::min<size_t>(na, need));
      for (int j = 0; j < use; j++) F[j] = std::log(R2[j]);
      for (int j = 0; j < use; j++) F[j] = std::sqrt((-2.0 * F[j]) / R2[j]);
      for (int j = 0; j < use; j++) {
        out[k++] = F[j] * X2[j];
        if (k < n) out[k++] = F[j] * X1[j];
        else {
          gauss = F[j] * X1[j];
          hasGauss = true;
        }
      }
      mti += static_cast<size_t>(use) == need ? 4 * (idx[use - 1] + 1) : 4 * A;
    }
  }
  // legacy_gauss: Marsaglia polar, the second value cached
  double Gauss() {
    if (hasGauss) {
      hasGauss = false;
      return gauss;
    }
    double x1, x2, r2;
    do {
      x1 = 2.0 * Random() - 1.0;
      x2 = 2.0 * Random() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = std::sqrt((-2.0 * std::log(r2)) / r2);
    gauss = f * x1;
    hasGauss = true;
    return f * x2;
  }
};

bool GetRng(napi_env env, napi_value* argv, uint32_t** mt, uint32_t** words, double** st) {
  Arr a, b, c;
  if (!GetArr(env, argv[0], &a) || !GetArr(env, argv[1], &b) || !GetArr(env, argv[2], &c)) return false;
  if (a.type != napi_int32_array || a.len < 624 || b.type != napi_int32_array || b.len < 624 || c.type != napi_float64_array || c.len < 3) return false;
  *mt = static_cast<uint32_t*>(a.data);
  *words = static_cast<uint32_t*>(b.data);
  *st = static_cast<double*>(c.data);
  return true;
}

// numpy's legacy log-gamma (random_loggam)
double Loggam(double x) {
  static const double A[10] = {8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04, -5.952380952380952e-04, 8.417508417508418e-04,
                               -1.917526917526918e-03, 6.410256410256410e-03, -2.955065359477124e-02, 1.796443723688307e-01, -1.39243221690590e+00};
  if (x == 1.0 || x == 2.0) return 0.0;
  double x0 = x;
  int n = 0;
  if (x <= 7.0) {
    n = static_cast<int>(7 - x);
    x0 = x + n;
  }
  const double x2 = 1.0 / (x0 * x0);
  double gl0 = A[9];
  for (int k = 8; k >= 0; k--) gl0 = gl0 * x2 + A[k];
  double gl = gl0 / x0 + 0.5 * std::log(2 * M_PI) + (x0 - 0.5) * std::log(x0) - x0;
  if (x <= 7.0) {
    for (int k = 1; k <= n; k++) {
      gl -= std::log(x0 - 1.0);
      x0 -= 1.0;
    }
  }
  return gl;
}

// loggam(k) for integers k ≥ 1, memoised (PTRS asks for small k again and again)
double LoggamInt(long k) {
  thread_local std::vector<double> memo(4096, NAN);
  if (k >= static_cast<long>(memo.size())) return Loggam(static_cast<double>(k));
  double& v = memo[k];
  if (std::isnan(v)) v = Loggam(static_cast<double>(k));
  return v;
}

// PTRS's λ-only constants (as numpy computes them per call)
struct PtrsConst {
  double b, a, invalpha, vr, logInvalpha;
  void For(double slam) {
    b = 0.931 + 2.53 * slam;
    a = -0.059 + 0.02483 * b;
    invalpha = 1.1239 + 1.1328 / (b - 3.4);
    vr = 0.9277 - 3.6224 / (b - 2);
    logInvalpha = std::log(invalpha);
  }
};

// Hörmann's PTRS as numpy's legacy random_poisson_ptrs
long Ptrs(Rng& r, double lam, double loglam, const PtrsConst& q) {
  const double b = q.b, a = q.a, vr = q.vr;
  for (;;) {
    const double u = r.Random() - 0.5;
    const double v = r.Random();
    const double us = 0.5 - std::fabs(u);
    const long k = static_cast<long>(std::floor(((2 * a) / us + b) * u + lam + 0.43));
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + q.logInvalpha - std::log(a / (us * us) + b) <= -lam + k * loglam - LoggamInt(k + 1)) return k;
  }
}

struct PoissonTable {
  double c = -1;
  double lam[256], enlam[256], slam[256], loglam[256];
  PtrsConst ptrs[256];
  void For(double cc) {
    if (cc == c) return;
    c = cc;
    for (int v = 0; v < 256; v++) {
      lam[v] = (v / 255.0) * cc;
      enlam[v] = std::exp(-lam[v]);
      slam[v] = std::sqrt(lam[v]);
      loglam[v] = std::log(lam[v]);
      ptrs[v].For(slam[v]);
    }
  }
};

template <typename Out>
void NoiseLoop(Rng& r, const uint8_t* d, Out* out, size_t n, double c, int kind) {
  if (kind == 2) {
    thread_local PoissonTable t;
    t.For(c);
    for (size_t k = 0; k < n; k++) {
      const int byte = d[k];
      const double lam = t.lam[byte];
      long x = 0;
      if (lam == 0) {
        x = 0;
      } else if (lam >= 10) {
        x = Ptrs(r, lam, t.loglam[byte], t.ptrs[byte]);
      } else {
        double prod = 1.0;
        for (;;) {
          prod *= r.Random();
          if (prod > t.enlam[byte]) x += 1;
          else break;
        }
      }
      const double v = x / c;
      out[k] = static_cast<Out>((v > 1 ? 1 : v) * 255);
    }
    return;
  }
  double* gs = Scratch<double>(0, n).data();
  r.GaussFill(gs, n);
  for (size_t k = 0; k < n; k++) {
    const double x = Unit(d[k]);
    const double g = gs[k];
    const double v = kind == 0 ? x + c * g : x + x * (c * g);
    out[k] = static_cast<Out>((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
  }
}

// noise(mt, words, st, src: Uint8Array, out: Uint8Array | Float64Array, c, kind): kind 0 gaussian_noise
// clip(x + c·g), 1 speckle_noise clip(x + x·(c·g)), 2 shot_noise clip(poisson(x·c) / c); × 255
napi_value Noise(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  uint32_t *mt, *words;
  double* st;
  Arr src, out;
  if (!Args(env, info, argv) || !GetRng(env, argv, &mt, &words, &st) || !GetArr(env, argv[3], &src) || !GetArr(env, argv[4], &out) || src.type != napi_uint8_array ||
      out.len != src.len || (out.type != napi_uint8_array && out.type != napi_float64_array))
    return Fail(env, "noise: expected (mt, words, state, Uint8Array, Uint8Array | Float64Array of the same length, c, kind)");
  const double c = Num(env, argv[5]);
  const int kind = static_cast<int>(Num(env, argv[6]));
  Rng r(mt, words, st);
  const uint8_t* d = static_cast<const uint8_t*>(src.data);
  if (out.type == napi_uint8_array) NoiseLoop(r, d, static_cast<uint8_t*>(out.data), src.len, c, kind);
  else NoiseLoop(r, d, static_cast<double*>(out.data), src.len, c, kind);
  r.Save();
  return nullptr;
}

// normalFill(mt, words, st, out: Float64Array, n): n standard normals in numpy's order
napi_value NormalFill(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint32_t *mt, *words;
  double* st;
  Arr out;
  if (!Args(env, info, argv) || !GetRng(env, argv, &mt, &words, &st) || !GetArr(env, argv[3], &out) || out.type != napi_float64_array)
    return Fail(env, "normalFill: expected (mt, words, state, Float64Array, n)");
  const size_t n = static_cast<size_t>(Num(env, argv[4]));
  if (n > out.len) return Fail(env, "normalFill: n exceeds the output");
  Rng r(mt, words, st);
  double* o = static_cast<double*>(out.data);
  r.GaussFill(o, n);
  r.Save();
  return nullptr;
}

// ---------------------------------------------------------------- scipy Gaussian filter

inline int Nearest(int i, int n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }
inline int Reflect(int i, int n) {
  if (i >= 0 && i < n) return i;
  if (n == 1) return 0;
  const int p = 2 * n;
  int k = i % p;
  if (k < 0) k += p;
  return k < n ? k : p - 1 - k;
}
inline int Reflect101(int i, int n) {
  if (i >= 0 && i < n) return i;
  if (n == 1) return 0;
  const int p = 2 * n - 2;
  int k = i % p;
  if (k < 0) k += p;
  return k < n ? k : p - k;
}


// axis 0 then axis 1; acc = centre·w₀, then += (x₋ₖ + x₊ₖ)·wₖ for k = r … 1; T's rounding after each pass
template <typename T>
void GaussLoop(const T* src, T* out, int h, int W, int c, const double* w, int r, bool reflect) {
  const int L = W * c;
  T* mid = Scratch<T>(0, static_cast<size_t>(h) * L).data();
  double* acc = Scratch<double>(1, L).data();
  const double wc = w[r];
  for (int y = 0; y < h; y++) {
    const T* row = src + static_cast<size_t>(y) * L;
    for (int i = 0; i < L; i++) acc[i] = row[i] * wc;
    for (int k = r; k >= 1; k--) {
      const double wk = w[r + k];
      const T* up = src + static_cast<size_t>(reflect ? Reflect(y - k, h) : Nearest(y - k, h)) * L;
      const T* dn = src + static_cast<size_t>(reflect ? Reflect(y + k, h) : Nearest(y + k, h)) * L;
      for (int i = 0; i < L; i++) acc[i] += (static_cast<double>(up[i]) + static_cast<double>(dn[i])) * wk;
    }
    T* m = mid + static_cast<size_t>(y) * L;
    for (int i = 0; i < L; i++) m[i] = static_cast<T>(acc[i]);
  }
  const int PL = (W + 2 * r) * c;
  double* pr = Scratch<double>(2, PL).data();
  for (int y = 0; y < h; y++) {
    const T* m = mid + static_cast<size_t>(y) * L;
    for (int x = -r; x < W + r; x++) {
      const int sx = x < 0 || x >= W ? (reflect ? Reflect(x, W) : Nearest(x, W)) : x;
      for (int ch = 0; ch < c; ch++) pr[(x + r) * c + ch] = m[sx * c + ch];
    }
    const int base = r * c;
    for (int i = 0; i < L; i++) acc[i] = pr[base + i] * wc;
    for (int k = r; k >= 1; k--) {
      const double wk = w[r + k];
      const double* lo = pr + base - k * c;
      const double* hi = pr + base + k * c;
      for (int i = 0; i < L; i++) acc[i] += (lo[i] + hi[i]) * wk;
    }
    T* o = out + static_cast<size_t>(y) * L;
    for (int i = 0; i < L; i++) o[i] = static_cast<T>(acc[i]);
  }
}

// gaussFilter(src, out: same type (Float64Array | Float32Array), h, w, c, weights: Float64Array(2r+1), reflect)
napi_value GaussFilter(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Arr src, out, wt;
  if (!Args(env, info, argv) || !GetArr(env, argv[0], &src) || !GetArr(env, argv[1], &out) || !GetArr(env, argv[5], &wt) || src.type != out.type || src.len != out.len ||
      wt.type != napi_float64_array || wt.len % 2 != 1 || (src.type != napi_float64_array && src.type != napi_float32_array))
    return Fail(env, "gaussFilter: expected (src, out of the same float type and length, h, w, c, Float64Array weights, reflect)");
  const int h = static_cast<int>(Num(env, argv[2])), W = static_cast<int>(Num(env, argv[3])), c = static_cast<int>(Num(env, argv[4]));
  bool reflect = false;
  napi_get_value_bool(env, argv[6], &reflect);
  if (static_cast<size_t>(h) * W * c != src.len) return Fail(env, "gaussFilter: h·w·c is not the array length");
  const int r = static_cast<int>(wt.len / 2);
  const double* w = static_cast<const double*>(wt.data);
  if (src.type == napi_float64_array) GaussLoop(static_cast<const double*>(src.data), static_cast<double*>(out.data), h, W, c, w, r, reflect);
  else GaussLoop(static_cast<const float*>(src.data), static_cast<float*>(out.data), h, W, c, w, r, reflect);
  return nullptr;
}

// ---------------------------------------------------------------- clipped zoom

double RoundHalfEven(double v) {
  const double f = std::floor(v);
  const double d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return std::fmod(f, 2.0) == 0 ? f : f + 1;
}

struct ZoomAxis {
  std::vector<int> i0, i1;
  std::vector<double> t;
  int top = 0, c = 0;
  void Make(int n, double z) {
    c = static_cast<int>(std::ceil(n / z));
    top = static_cast<int>(std::floor((n - c) / 2.0));
    const int m = static_cast<int>(RoundHalfEven(c * z));
    const int trim = static_cast<int>(std::floor((m - n) / 2.0));
    const double s = m > 1 ? static_cast<double>(c - 1) / (m - 1) : 0;
    i0.resize(n);
    i1.resize(n);
    t.resize(n);
    for (int k = 0; k < n; k++) {
      const double f = (k + trim) * s;
      const int a = std::min(static_cast<int>(std::floor(f)), c - 1);
      i0[k] = top + a;
      i1[k] = top + std::min(a + 1, c - 1);
      t[k] = f - a;
    }
  }
};

// (1 − ty)·((1 − tx)·a + tx·b) + ty·((1 − tx)·c + tx·d) in double, as the fallback: the row terms are
// computed once per (source row, output column) — the same values — then combined per output row.
template <typename T>
void ZoomLoop(const T* d, T* out, int H, int W, int C, double z, bool accumulate) {
  thread_local ZoomAxis ay, ax;
  ay.Make(H, z);
  ax.Make(W, z);
  const int L = W * C;
  double* rows = Scratch<double>(3, static_cast<size_t>(H) * L).data();
  // the source rows in use are top … top + c − 1 (row index relative to top)
  for (int sr = 0; sr < ay.c; sr++) {
    const T* in = d + static_cast<size_t>(ay.top + sr) * L;
    double* hr = rows + static_cast<size_t>(sr) * L;
    for (int x = 0; x < W; x++) {
      const double tx = ax.t[x];
      const T* a = in + ax.i0[x] * C;
      const T* b = in + ax.i1[x] * C;
      for (int ch = 0; ch < C; ch++) hr[x * C + ch] = (1 - tx) * a[ch] + tx * b[ch];
    }
  }
  for (int y = 0; y < H; y++) {
    const double ty = ay.t[y];
    const double* r0 = rows + static_cast<size_t>(ay.i0[y] - ay.top) * L;
    const double* r1 = rows + static_cast<size_t>(ay.i1[y] - ay.top) * L;
    T* o = out + static_cast<size_t>(y) * L;
    if (accumulate) {
      for (int i = 0; i < L; i++) o[i] = static_cast<T>(o[i] + static_cast<T>((1 - ty) * r0[i] + ty * r1[i]));
    } else {
      for (int i = 0; i < L; i++) o[i] = static_cast<T>((1 - ty) * r0[i] + ty * r1[i]);
    }
  }
}

// clippedZoom(src, out: same float type, h, w, c, zs: Float64Array, accumulate): out = zoom(src, z) for one
// z, or out = T(out + T(zoom(src, z))) for each z in turn (zoom_blur's sum)
napi_value ClippedZoom(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Arr src, out, zs;
  if (!Args(env, info, argv) || !GetArr(env, argv[0], &src) || !GetArr(env, argv[1], &out) || !GetArr(env, argv[5], &zs) || src.type != out.type || src.len != out.len ||
      zs.type != napi_float64_array || (src.type != napi_float64_array && src.type != napi_float32_array))
    return Fail(env, "clippedZoom: expected (src, out of the same float type and length, h, w, c, Float64Array zooms, accumulate)");
  const int h = static_cast<int>(Num(env, argv[2])), W = static_cast<int>(Num(env, argv[3])), c = static_cast<int>(Num(env, argv[4]));
  bool acc = false;
  napi_get_value_bool(env, argv[6], &acc);
  if (static_cast<size_t>(h) * W * c != src.len) return Fail(env, "clippedZoom: h·w·c is not the array length");
  if (!acc && zs.len != 1) return Fail(env, "clippedZoom: one zoom factor unless accumulating");
  const double* z = static_cast<const double*>(zs.data);
  for (size_t i = 0; i < zs.len; i++) {
    if (!(z[i] >= 1)) return Fail(env, "clippedZoom: zoom factors must be ≥ 1");
    if (src.type == napi_float64_array) ZoomLoop(static_cast<const double*>(src.data), static_cast<double*>(out.data), h, W, c, z[i], acc);
    else ZoomLoop(static_cast<const float*>(src.data), static_cast<float*>(out.data), h, W, c, z[i], acc);
  }
  return nullptr;
}

// ---------------------------------------------------------------- cv2.filter2D (float64, REFLECT_101)

// filter2d(src: Float64Array, out: Float64Array, h, w, c, k: Float32Array(size²), size): out = Σ taps in
// row-major order (zero taps skipped), starting from 0
napi_value Filter2d(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Arr src, out, kk;
  if (!Args(env, info, argv) || !GetArr(env, argv[0], &src) || !GetArr(env, argv[1], &out) || !GetArr(env, argv[5], &kk) || src.type != napi_float64_array ||
      out.type != napi_float64_array || src.len != out.len || kk.type != napi_float32_array)
    return Fail(env, "filter2d: expected (Float64Array, Float64Array of the same length, h, w, c, Float32Array kernel, size)");
  const int h = static_cast<int>(Num(env, argv[2])), w = static_cast<int>(Num(env, argv[3])), C = static_cast<int>(Num(env, argv[4]));
  const int size = static_cast<int>(Num(env, argv[6]));
  if (static_cast<size_t>(h) * w * C != src.len || static_cast<size_t>(size) * size != kk.len || size % 2 != 1) return Fail(env, "filter2d: sizes do not match");
  const int r = (size - 1) / 2;
  const int PW = w + 2 * r, PH = h + 2 * r;
  const double* s = static_cast<const double*>(src.data);
  double* o = static_cast<double*>(out.data);
  const float* k = static_cast<const float*>(kk.data);
  double* pad = Scratch<double>(0, static_cast<size_t>(PH) * PW * C).data();
  for (int y = 0; y < PH; y++) {
    const double* row = s + static_cast<size_t>(Reflect101(y - r, h)) * w * C;
    double* dst = pad + static_cast<size_t>(y) * PW * C;
    for (int x = 0; x < PW; x++) {
      const double* px = row + Reflect101(x - r, w) * C;
      for (int ch = 0; ch < C; ch++) dst[x * C + ch] = px[ch];
    }
  }
  const int L = w * C;
  std::memset(o, 0, src.len * sizeof(double));
  for (int dy = 0; dy < size; dy++)
    for (int dx = 0; dx < size; dx++) {
      const double v = k[dy * size + dx];
      if (v == 0) continue;
      for (int y = 0; y < h; y++) {
        double* orow = o + static_cast<size_t>(y) * L;
        const double* prow = pad + (static_cast<size_t>(y + dy) * PW + dx) * C;
        for (int i = 0; i < L; i++) orow[i] += prow[i] * v;
      }
    }
  return nullptr;
}

// ---------------------------------------------------------------- ImageMagick motion blur

// motionBlur(src: Uint8Array, out: Uint8Array, h, w, c, kernel: Float64Array, offX: Int32Array, offY:
// Int32Array): acc = Σᵢ kᵢ·p·257 (i ascending, edge-clamped taps), q16 = clamp(floor(acc + ½)), out = q16 / 257
napi_value MotionBlur(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  Arr src, out, kk, ox, oy;
  if (!Args(env, info, argv) || !GetArr(env, argv[0], &src) || !GetArr(env, argv[1], &out) || !GetArr(env, argv[5], &kk) || !GetArr(env, argv[6], &ox) ||
      !GetArr(env, argv[7], &oy) || src.type != napi_uint8_array || out.type != napi_uint8_array || src.len != out.len || kk.type != napi_float64_array ||
      ox.type != napi_int32_array || oy.type != napi_int32_array || ox.len != kk.len || oy.len != kk.len)
    return Fail(env, "motionBlur: expected (Uint8Array, Uint8Array, h, w, c, Float64Array kernel, Int32Array offX, Int32Array offY)");
  const int h = static_cast<int>(Num(env, argv[2])), w = static_cast<int>(Num(env, argv[3])), C = static_cast<int>(Num(env, argv[4]));
  if (static_cast<size_t>(h) * w * C != src.len || C > 4) return Fail(env, "motionBlur: h·w·c is not the array length");
  const uint8_t* s = static_cast<const uint8_t*>(src.data);
  uint8_t* o = static_cast<uint8_t*>(out.data);
  const double* k = static_cast<const double*>(kk.data);
  const int* dxs = static_cast<const int*>(ox.data);
  const int* dys = static_cast<const int*>(oy.data);
  const int n = static_cast<int>(kk.len);
  int* rows = Scratch<int>(0, n).data();
  int* cols = Scratch<int>(1, static_cast<size_t>(n) * w).data();
  // clamped column offsets per (tap, x), computed once
  for (int i = 0; i < n; i++)
    for (int x = 0; x < w; x++) cols[i * w + x] = Nearest(x + dxs[i], w) * C;
  for (int y = 0; y < h; y++) {
    for (int i = 0; i < n; i++) rows[i] = Nearest(y + dys[i], h) * w * C;
    for (int x = 0; x < w; x++) {
      double acc[4] = {0, 0, 0, 0};
      for (int i = 0; i < n; i++) {
        const uint8_t* p = s + rows[i] + cols[i * w + x];
        for (int ch = 0; ch < C; ch++) acc[ch] += k[i] * p[ch] * 257;
      }
      for (int ch = 0; ch < C; ch++) {
        double q = std::floor(acc[ch] + 0.5);
        q = q < 0 ? 0 : q > 65535 ? 65535 : q;
        o[(static_cast<size_t>(y) * w + x) * C + ch] = static_cast<uint8_t>(std::floor(q / 257));
      }
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------- fog, glass blur, HSV

// plasma(mt, words, st, out: Float64Array(n²), n, wibbledecay): the diamond-square fractal of ops.ts's
// plasmaFractal, uniforms drawn in the same order, normalised to [0, 1]
napi_value Plasma(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  uint32_t *mt, *words;
  double* st;
  Arr out;
  if (!Args(env, info, argv) || !GetRng(env, argv, &mt, &words, &st) || !GetArr(env, argv[3], &out) || out.type != napi_float64_array)
    return Fail(env, "plasma: expected (mt, words, state, Float64Array, n, decay)");
  const int n = static_cast<int>(Num(env, argv[4]));
  const double decay = Num(env, argv[5]);
  if (n < 1 || (n & (n - 1)) != 0 || static_cast<size_t>(n) * n != out.len) return Fail(env, "plasma: n must be a power of two with n² = the output length");
  Rng r(mt, words, st);
  double* m = static_cast<double*>(out.data);
  std::memset(m, 0, out.len * sizeof(double));
  auto at = [n](int i, int j) { return static_cast<size_t>(((i % n) + n) % n) * n + ((j % n) + n) % n; };
  std::vector<double>& lt = Scratch<double>(0, out.len);
  std::vector<double>& tt = Scratch<double>(1, out.len);
  int step = n;
  double wibble = 100;
  while (step >= 2) {
    const int h = step / 2;
    const int cells = n / step;
    for (int i = 0; i < cells; i++)
      for (int j = 0; j < cells; j++) {
        const double a = m[at(i * step, j * step)] + m[at((i + 1) * step, j * step)];
        const double b = m[at(i * step, (j + 1) * step)] + m[at((i + 1) * step, (j + 1) * step)];
        lt[i * cells + j] = a + b;
      }
    for (int i = 0; i < cells; i++)
      for (int j = 0; j < cells; j++) m[at(i * step + h, j * step + h)] = lt[i * cells + j] / 4 + wibble * (-wibble + (wibble - -wibble) * r.Random());
    auto dr = [&](int i, int j) { return m[at(i * step + h, j * step + h)]; };
    auto ul = [&](int i, int j) { return m[at(i * step, j * step)]; };
    for (int i = 0; i < cells; i++)
      for (int j = 0; j < cells; j++) {
        lt[i * cells + j] = dr(i, j) + dr(i - 1, j) + (ul(i, j) + ul(i, j + 1));
        tt[i * cells + j] = dr(i, j) + dr(i, j - 1) + (ul(i, j) + ul(i + 1, j));
      }
    for (int i = 0; i < cells; i++)
      for (int j = 0; j < cells; j++) m[at(i * step, j * step + h)] = lt[i * cells + j] / 4 + wibble * (-wibble + (wibble - -wibble) * r.Random());
    for (int i = 0; i < cells; i++)
      for (int j = 0; j < cells; j++) m[at(i * step + h, j * step)] = tt[i * cells + j] / 4 + wibble * (-wibble + (wibble - -wibble) * r.Random());
    step /= 2;
    wibble /= decay;
  }
  double mn = INFINITY;
  for (size_t k = 0; k < out.len; k++) mn = std::min(mn, m[k]);
  double mx = -INFINITY;
  for (size_t k = 0; k < out.len; k++) {
    m[k] -= mn;
    mx = std::max(mx, m[k]);
  }
  for (size_t k = 0; k < out.len; k++) m[k] /= mx;
  r.Save();
  return nullptr;
}

// randint(low, high), high exclusive: masked rejection on 32-bit words
inline int RandInt(Rng& r, int low, int high) {
  const uint32_t range = static_cast<uint32_t>(high - 1 - low);
  if (range == 0) return low;
  uint32_t mask = range;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  uint32_t v;
  do v = r.Next() & mask;
  while (v > range);
  return low + static_cast<int>(v);
}

// glassShuffle(mt, words, st, img: Uint8Array, h, w, c, d, iterations): glass_blur's pixel walk, from the
// bottom-right up, each pixel receiving the value at a randint(−d, d) offset (dx, then dy)
napi_value GlassShuffle(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  uint32_t *mt, *words;
  double* st;
  Arr img;
  if (!Args(env, info, argv) || !GetRng(env, argv, &mt, &words, &st) || !GetArr(env, argv[3], &img) || img.type != napi_uint8_array)
    return Fail(env, "glassShuffle: expected (mt, words, state, Uint8Array, h, w, c, d, iterations)");
  const int H = static_cast<int>(Num(env, argv[4])), W = static_cast<int>(Num(env, argv[5])), C = static_cast<int>(Num(env, argv[6]));
  const int d = static_cast<int>(Num(env, argv[7])), iterations = static_cast<int>(Num(env, argv[8]));
  if (static_cast<size_t>(H) * W * C != img.len || d < 1) return Fail(env, "glassShuffle: h·w·c is not the array length");
  Rng r(mt, words, st);
  uint8_t* y = static_cast<uint8_t*>(img.data);
  for (int it = 0; it < iterations; it++)
    for (int h = H - d; h > d; h--)
      for (int w = W - d; w > d; w--) {
        const int dx = RandInt(r, -d, d);
        const int dy = RandInt(r, -d, d);
        const size_t src = (static_cast<size_t>(h + dy) * W + (w + dx)) * C;
        const size_t dst = (static_cast<size_t>(h) * W + w) * C;
        for (int ch = 0; ch < C; ch++) y[dst + ch] = y[src + ch];
      }
  r.Save();
  return nullptr;
}

// scikit-image rgb2hsv / hsv2rgb for one pixel, as ops.ts
inline void Rgb2Hsv(double r, double g, double b, double* H, double* S, double* V) {
  const double v = std::max(r, std::max(g, b));
  const double delta = v - std::min(r, std::min(g, b));
  const double s = delta == 0 || v == 0 ? 0 : delta / v;
  double hh = 0;
  if (delta != 0) {
    if (b == v) hh = 4 + (r - g) / delta;
    else if (g == v) hh = 2 + (b - r) / delta;
    else hh = (g - b) / delta;
    hh = std::fmod(hh / 6, 1.0);
    if (hh < 0) hh += 1;
  }
  *H = hh;
  *S = s;
  *V = v;
}
inline void Hsv2Rgb(double h, double s, double v, double* rgb) {
  const double i = std::floor(h * 6);
  const double f = h * 6 - i;
  const double p = v * (1 - s);
  const double q = v * (1 - f * s);
  const double t = v * (1 - (1 - f) * s);
  switch (((static_cast<int>(i) % 6) + 6) % 6) {
    case 0: rgb[0] = v, rgb[1] = t, rgb[2] = p; break;
    case 1: rgb[0] = q, rgb[1] = v, rgb[2] = p; break;
    case 2: rgb[0] = p, rgb[1] = v, rgb[2] = t; break;
    case 3: rgb[0] = p, rgb[1] = q, rgb[2] = v; break;
    case 4: rgb[0] = t, rgb[1] = p, rgb[2] = v; break;
    default: rgb[0] = v, rgb[1] = p, rgb[2] = q; break;
  }
}
inline double Clip01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

template <typename Out>
void HsvLoop(const uint8_t* d, Out* out, size_t px, int C, int mode, double a, double b) {
  for (size_t p = 0; p < px; p++) {
    double r, g, bl;
    if (C == 3) r = Unit(d[p * 3]), g = Unit(d[p * 3 + 1]), bl = Unit(d[p * 3 + 2]);
    else r = g = bl = Unit(d[p]);
    double h, s, v, rgb[3];
    Rgb2Hsv(r, g, bl, &h, &s, &v);
    if (mode == 0) v = Clip01(v + a);
    else s = Clip01(s * a + b);
    Hsv2Rgb(h, s, v, rgb);
    if (C == 3)
      for (int c = 0; c < 3; c++) out[p * 3 + c] = static_cast<Out>(Clip01(rgb[c]) * 255);
    else out[p] = static_cast<Out>(Clip01(((0 + rgb[0] * 0.299) + rgb[1] * 0.587) + rgb[2] * 0.114) * 255);
  }
}

// hsvAdjust(src: Uint8Array, out: Uint8Array | Float64Array, c, mode, a, b): mode 0 brightness (V + a),
// 1 saturate (S·a + b), each clipped; grey images through replicated RGB and back by luminance
napi_value HsvAdjust(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Arr src, out;
  if (!Args(env, info, argv) || !GetArr(env, argv[0], &src) || !GetArr(env, argv[1], &out) || src.type != napi_uint8_array || out.len != src.len ||
      (out.type != napi_uint8_array && out.type != napi_float64_array))
    return Fail(env, "hsvAdjust: expected (Uint8Array, Uint8Array | Float64Array of the same length, c, mode, a, b)");
  const int C = static_cast<int>(Num(env, argv[2])), mode = static_cast<int>(Num(env, argv[3]));
  const double a = Num(env, argv[4]), b = Num(env, argv[5]);
  if ((C != 1 && C != 3) || src.len % C) return Fail(env, "hsvAdjust: c must be 1 or 3");
  const uint8_t* d = static_cast<const uint8_t*>(src.data);
  if (out.type == napi_uint8_array) HsvLoop(d, static_cast<uint8_t*>(out.data), src.len / C, C, mode, a, b);
  else HsvLoop(d, static_cast<double*>(out.data), src.len / C, C, mode, a, b);
  return nullptr;
}

// ---------------------------------------------------------------- uniforms, warpAffine, map_coordinates

// randomFill(mt, words, st, out: Float64Array, n): n random_sample() values
napi_value RandomFill(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint32_t *mt, *words;
  double* st;
  Arr out;
  if (!Args(env, info, argv) || !GetRng(env, argv, &mt, &words, &st) || !GetArr(env, argv[3], &out) || out.type != napi_float64_array)
    return Fail(env, "randomFill: expected (mt, words, state, Float64Array, n)");
  const size_t n = static_cast<size_t>(Num(env, argv[4]));
  if (n > out.len) return Fail(env, "randomFill: n exceeds the output");
  Rng r(mt, words, st);
  double* o = static_cast<double*>(out.data);
  for (size_t k = 0; k < n; k++) o[k] = r.Random();
  r.Save();
  return nullptr;
}

bool FloatPair(napi_env env, napi_value a, napi_value b, Arr* x, Arr* y) {
  return GetArr(env, a, x) && GetArr(env, b, y) && x->type == napi_float32_array && y->type == napi_float32_array && x->len == y->len;
}

// warpAffine(src: Float32Array, out: Float32Array, h, w, c, M: Float64Array(6)): cv2.warpAffine, bilinear,
// BORDER_REFLECT_101, with OpenCV's fixed-point coordinates (as ops.ts)
napi_value WarpAffine(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Arr src, out, mm;
  if (!Args(env, info, argv) || !FloatPair(env, argv[0], argv[1], &src, &out) || !GetArr(env, argv[5], &mm) || mm.type != napi_float64_array || mm.len != 6)
    return Fail(env, "warpAffine: expected (Float32Array, Float32Array of the same length, h, w, c, Float64Array(6))");
  const int h = static_cast<int>(Num(env, argv[2])), w = static_cast<int>(Num(env, argv[3])), C = static_cast<int>(Num(env, argv[4]));
  if (static_cast<size_t>(h) * w * C != src.len) return Fail(env, "warpAffine: h·w·c is not the array length");
  const double* M = static_cast<const double*>(mm.data);
  const double m00 = M[0], m01 = M[1], m02 = M[2], m10 = M[3], m11 = M[4], m12 = M[5];
  const double D = 1 / (m00 * m11 - m01 * m10);
  const double A00 = m11 * D, A01 = -m01 * D, A10 = -m10 * D, A11 = m00 * D;
  const double b0 = -(A00 * m02 + A01 * m12);
  const double b1 = -(A10 * m02 + A11 * m12);
  const float* p = static_cast<const float*>(src.data);
  float* o = static_cast<float*>(out.data);
  for (int y = 0; y < h; y++) {
    const int X0 = static_cast<int>(RoundHalfEven((A01 * y + b0) * 1024));
    const int Y0 = static_cast<int>(RoundHalfEven((A11 * y + b1) * 1024));
    for (int x = 0; x < w; x++) {
      const int X = (X0 + static_cast<int>(RoundHalfEven(A00 * x * 1024)) + 16) >> 5;
      const int Y = (Y0 + static_cast<int>(RoundHalfEven(A10 * x * 1024)) + 16) >> 5;
      const int sx = X >> 5, sy = Y >> 5;
      const double fx = (X & 31) / 32.0, fy = (Y & 31) / 32.0;
      const int xa = Reflect101(sx, w), xb = Reflect101(sx + 1, w), ya = Reflect101(sy, h), yb = Reflect101(sy + 1, h);
      const float* pa = p + (static_cast<size_t>(ya) * w) * C;
      const float* pb = p + (static_cast<size_t>(yb) * w) * C;
      for (int ch = 0; ch < C; ch++)
        o[(static_cast<size_t>(y) * w + x) * C + ch] = static_cast<float>((1 - fy) * ((1 - fx) * pa[xa * C + ch] + fx * pa[xb * C + ch]) +
                                                                          fy * ((1 - fx) * pb[xa * C + ch] + fx * pb[xb * C + ch]));
    }
  }
  return nullptr;
}

// remapReflect(src: Float32Array, out: Float32Array, h, w, c, dy: Float32Array, dx: Float32Array): scipy
// map_coordinates order 1, mode 'reflect', every channel sampled at (row + dy, col + dx) (as ops.ts)
napi_value RemapReflect(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Arr src, out, dy, dx;
  if (!Args(env, info, argv) || !FloatPair(env, argv[0], argv[1], &src, &out) || !FloatPair(env, argv[5], argv[6], &dy, &dx))
    return Fail(env, "remapReflect: expected (Float32Array, Float32Array, h, w, c, Float32Array dy, Float32Array dx)");
  const int h = static_cast<int>(Num(env, argv[2])), w = static_cast<int>(Num(env, argv[3])), C = static_cast<int>(Num(env, argv[4]));
  if (static_cast<size_t>(h) * w * C != src.len || static_cast<size_t>(h) * w != dy.len) return Fail(env, "remapReflect: sizes do not match");
  const float* p = static_cast<const float*>(src.data);
  float* o = static_cast<float*>(out.data);
  const float* DY = static_cast<const float*>(dy.data);
  const float* DX = static_cast<const float*>(dx.data);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const double fy = y + static_cast<double>(DY[y * w + x]);
      const double fx = x + static_cast<double>(DX[y * w + x]);
      const double y0 = std::floor(fy), x0 = std::floor(fx);
      const double ty = fy - y0, tx = fx - x0;
      const int iy = static_cast<int>(y0), ix = static_cast<int>(x0);
      const int ya = Reflect(iy, h), yb = Reflect(iy + 1, h), xa = Reflect(ix, w), xb = Reflect(ix + 1, w);
      const float* pa = p + (static_cast<size_t>(ya) * w) * C;
      const float* pb = p + (static_cast<size_t>(yb) * w) * C;
      for (int ch = 0; ch < C; ch++)
        o[(static_cast<size_t>(y) * w + x) * C + ch] = static_cast<float>((1 - ty) * ((1 - tx) * pa[xa * C + ch] + tx * pa[xb * C + ch]) +
                                                                          ty * ((1 - tx) * pb[xa * C + ch] + tx * pb[xb * C + ch]));
    }
  return nullptr;
}

// ---------------------------------------------------------------- contrast, Pillow BOX resize

template <typename Out>
void ContrastLoop(const uint8_t* d, Out* out, size_t len, int C, double c) {
  const size_t n = len / C;
  for (int ch = 0; ch < C; ch++) {
    double m = 0;
    for (size_t k = ch; k < len; k += C) m += Unit(d[k]);
    m /= static_cast<double>(n);
    for (size_t k = ch; k < len; k += C) {
      const double v = (Unit(d[k]) - m) * c + m;
      out[k] = static_cast<Out>((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
    }
  }
}

// contrast(src: Uint8Array, out: Uint8Array | Float64Array, c, factor): per channel the mean in pixel order,
// then clip((x − mean)·factor + mean)·255
napi_value Contrast(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  Arr src, out;
  if (!Args(env, info, argv) || !GetArr(env, argv[0], &src) || !GetArr(env, argv[1], &out) || src.type != napi_uint8_array || out.len != src.len ||
      (out.type != napi_uint8_array && out.type != napi_float64_array))
    return Fail(env, "contrast: expected (Uint8Array, Uint8Array | Float64Array of the same length, c, factor)");
  const int C = static_cast<int>(Num(env, argv[2]));
  const double f = Num(env, argv[3]);
  if (C < 1 || src.len % C) return Fail(env, "contrast: the length is not a multiple of c");
  const uint8_t* d = static_cast<const uint8_t*>(src.data);
  if (out.type == napi_uint8_array) ContrastLoop(d, static_cast<uint8_t*>(out.data), src.len, C, f);
  else ContrastLoop(d, static_cast<double*>(out.data), src.len, C, f);
  return nullptr;
}

struct BoxCoef {
  const int32_t* start;
  const int32_t* count;
  const int32_t* weights;
  int ksize;
  bool copy;
};

bool GetBox(napi_env env, napi_value* argv, int n, BoxCoef* b) {
  Arr s, c, w;
  if (!GetArr(env, argv[0], &s) || !GetArr(env, argv[1], &c) || !GetArr(env, argv[2], &w) || s.type != napi_int32_array || c.type != napi_int32_array ||
      w.type != napi_int32_array || s.len < static_cast<size_t>(n) || c.len < static_cast<size_t>(n))
    return false;
  b->start = static_cast<const int32_t*>(s.data);
  b->count = static_cast<const int32_t*>(c.data);
  b->weights = static_cast<const int32_t*>(w.data);
  b->ksize = static_cast<int>(Num(env, argv[3]));
  if (w.len < static_cast<size_t>(n) * b->ksize) return false;
  // every output one input with weight 1 (BOX up-scaling): (2²¹ + p·2²²) >> 22 = p, a plain copy
  b->copy = true;
  for (int o = 0; o < n && b->copy; o++) b->copy = b->count[o] == 1 && b->weights[static_cast<size_t>(o) * b->ksize] == (1 << 22);
  return true;
}

inline uint8_t Clamp8(int32_t v) { return static_cast<uint8_t>(v > 255 ? 255 : v < 0 ? 0 : v); }

// boxResize(src, out: Uint8Array, h, w, c, oh, ow, xStart, xCount, xWeights, xK, yStart, yCount, yWeights,
// yK): Pillow's BOX resize, horizontal pass then vertical (each skipped when that size is unchanged), 22-bit
// fixed point, each pass rounded and clamped to uint8 (ops.ts's coefficients)
napi_value BoxResize(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  Arr src, out;
  if (!Args(env, info, argv) || !GetArr(env, argv[0], &src) || !GetArr(env, argv[1], &out) || src.type != napi_uint8_array || out.type != napi_uint8_array)
    return Fail(env, "boxResize: expected (Uint8Array, Uint8Array, h, w, c, oh, ow, x coefficients ×4, y coefficients ×4)");
  const int h = static_cast<int>(Num(env, argv[2])), w = static_cast<int>(Num(env, argv[3])), C = static_cast<int>(Num(env, argv[4]));
  const int oh = static_cast<int>(Num(env, argv[5])), ow = static_cast<int>(Num(env, argv[6]));
  BoxCoef bx, by;
  if (static_cast<size_t>(h) * w * C != src.len || static_cast<size_t>(oh) * ow * C != out.len || !GetBox(env, argv + 7, ow, &bx) || !GetBox(env, argv + 11, oh, &by))
    return Fail(env, "boxResize: sizes or coefficients do not match");
  const uint8_t* cur = static_cast<const uint8_t*>(src.data);
  uint8_t* o = static_cast<uint8_t*>(out.data);
  const bool px = ow != w, py = oh != h;
  uint8_t* mid = px && py ? Scratch<uint8_t>(0, static_cast<size_t>(h) * ow * C).data() : o;
  if (px) {
    for (int y = 0; y < h; y++) {
      const uint8_t* row = cur + static_cast<size_t>(y) * w * C;
      uint8_t* orow = mid + static_cast<size_t>(y) * ow * C;
      if (bx.copy) {
        for (int x = 0; x < ow; x++)
          for (int ch = 0; ch < C; ch++) orow[x * C + ch] = row[bx.start[x] * C + ch];
        continue;
      }
      if (C == 3) {
        // RGB: the three channels in one walk over the taps
        for (int x = 0; x < ow; x++) {
          const int32_t* wt = bx.weights + static_cast<size_t>(x) * bx.ksize;
          int32_t a0 = 1 << 21, a1 = 1 << 21, a2 = 1 << 21;
          const uint8_t* p = row + bx.start[x] * 3;
          for (int k = 0, n = bx.count[x]; k < n; k++, p += 3) {
            a0 += p[0] * wt[k];
            a1 += p[1] * wt[k];
            a2 += p[2] * wt[k];
          }
          orow[x * 3] = Clamp8(a0 >> 22);
          orow[x * 3 + 1] = Clamp8(a1 >> 22);
          orow[x * 3 + 2] = Clamp8(a2 >> 22);
        }
        continue;
      }
      for (int x = 0; x < ow; x++) {
        const int32_t* wt = bx.weights + static_cast<size_t>(x) * bx.ksize;
        for (int ch = 0; ch < C; ch++) {
          int32_t acc = 1 << 21;
          const uint8_t* p = row + bx.start[x] * C + ch;
          for (int k = 0, n = bx.count[x]; k < n; k++, p += C) acc += *p * wt[k];
          orow[x * C + ch] = Clamp8(acc >> 22);
        }
      }
    }
    cur = mid;
  }
  if (py) {
    const int L = ow * C;
    for (int y = 0; y < oh; y++) {
      const int32_t* wt = by.weights + static_cast<size_t>(y) * by.ksize;
      uint8_t* orow = o + static_cast<size_t>(y) * L;
      if (by.copy) {
        std::memcpy(orow, cur + static_cast<size_t>(by.start[y]) * L, L);
        continue;
      }
      // tap by tap over whole contiguous rows into one accumulator row (vectorises; integer sums, so the
      // order of the taps does not change a bit)
      int32_t* acc = Scratch<int32_t>(1, L).data();
      for (int i = 0; i < L; i++) acc[i] = 1 << 21;
      for (int k = 0, n = by.count[y]; k < n; k++) {
        const uint8_t* p = cur + static_cast<size_t>(by.start[y] + k) * L;
        const int32_t t = wt[k];
        for (int i = 0; i < L; i++) acc[i] += p[i] * t;
      }
      for (int i = 0; i < L; i++) orow[i] = Clamp8(acc[i] >> 22);
    }
  }
  if (!px && !py) std::memcpy(o, cur, out.len);
  return nullptr;
}

}  // namespace

void DefineKernels(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"noise", nullptr, Noise, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"normalFill", nullptr, NormalFill, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gaussFilter", nullptr, GaussFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"clippedZoom", nullptr, ClippedZoom, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"filter2d", nullptr, Filter2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"motionBlur", nullptr, MotionBlur, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"plasma", nullptr, Plasma, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"glassShuffle", nullptr, GlassShuffle, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"hsvAdjust", nullptr, HsvAdjust, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"randomFill", nullptr, RandomFill, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"warpAffine", nullptr, WarpAffine, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"remapReflect", nullptr, RemapReflect, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"contrast", nullptr, Contrast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"boxResize", nullptr, BoxResize, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
