// N-API entry points: every kernel takes its inputs and a preallocated output as typed arrays (the
// tensors' own memory: no copies) plus shapes as arrays of numbers, and runs synchronously.
#include <node_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "clock.h"
#include "conv.h"
#include "gemm.h"
#include "ops.h"
#include "pool.h"

namespace {

struct Error {
  std::string msg;
};

class Args {
 public:
  Args(napi_env env, napi_callback_info info, size_t want) : env_(env), argv_(want) {
    size_t argc = want;
    napi_get_cb_info(env, info, &argc, argv_.data(), nullptr, nullptr);
    if (argc < want) throw Error{"expected " + std::to_string(want) + " arguments, got " + std::to_string(argc)};
  }
  bool is_null(size_t i) const {
    napi_valuetype t;
    napi_typeof(env_, argv_[i], &t);
    return t == napi_null || t == napi_undefined;
  }
  template <class T>
  T* array(size_t i, napi_typedarray_type want, size_t* len = nullptr) const {
    bool ok = false;
    napi_is_typedarray(env_, argv_[i], &ok);
    if (!ok) throw Error{"argument " + std::to_string(i) + " is not a typed array"};
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_value ab;
    size_t offset;
    napi_get_typedarray_info(env_, argv_[i], &type, &length, &data, &ab, &offset);
    if (type != want) throw Error{"argument " + std::to_string(i) + " has the wrong element type"};
    if (len) *len = length;
    return static_cast<T*>(data);
  }
  float* f32(size_t i, size_t* len = nullptr) const { return array<float>(i, napi_float32_array, len); }
  const float* f32_or_null(size_t i) const { return is_null(i) ? nullptr : f32(i); }
  double num(size_t i) const {
    double v;
    if (napi_get_value_double(env_, argv_[i], &v) != napi_ok) throw Error{"argument " + std::to_string(i) + " is not a number"};
    return v;
  }
  int64_t i64(size_t i) const { return static_cast<int64_t>(num(i)); }
  bool flag(size_t i) const {
    bool v;
    if (napi_get_value_bool(env_, argv_[i], &v) != napi_ok) throw Error{"argument " + std::to_string(i) + " is not a boolean"};
    return v;
  }
  std::vector<int64_t> ints(size_t i) const {
    bool isArr = false;
    napi_is_array(env_, argv_[i], &isArr);
    if (!isArr) throw Error{"argument " + std::to_string(i) + " is not an array"};
    uint32_t n;
    napi_get_array_length(env_, argv_[i], &n);
    std::vector<int64_t> out(n);
    for (uint32_t k = 0; k < n; k++) {
      napi_value e;
      napi_get_element(env_, argv_[i], k, &e);
      double v;
      napi_get_value_double(env_, e, &v);
      out[k] = static_cast<int64_t>(v);
    }
    return out;
  }

 private:
  napi_env env_;
  std::vector<napi_value> argv_;
};

int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

void need(bool ok, const char* what) {
  if (!ok) throw Error{what};
}

ab::ConvShape conv_shape(const std::vector<int64_t>& d) {
  need(d.size() == 15, "conv dims: expected 15 numbers");
  return ab::ConvShape{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
}

ab::PoolShape pool_shape(const std::vector<int64_t>& d) {
  need(d.size() == 14, "pool dims: expected 14 numbers");
  return ab::PoolShape{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13]};
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

template <napi_value (*F)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  try {
    return F(env, info);
  } catch (const Error& e) {
    napi_throw_error(env, "ACTBENCH_NATIVE", e.msg.c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, "ACTBENCH_NATIVE", e.what());
  }
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  ab::Pool::get().set_threads(static_cast<int>(a.i64(0)));
  return undefined(env);
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, ab::Pool::get().threads(), &v);
  return v;
}

napi_value Simd(napi_env env, napi_callback_info) {
  napi_value v;
#if defined(__AVX2__) && defined(__FMA__)
  napi_create_string_utf8(env, "avx2+fma", NAPI_AUTO_LENGTH, &v);
#else
  napi_create_string_utf8(env, "portable", NAPI_AUTO_LENGTH, &v);
#endif
  return v;
}

// clockGHz(threads, trials): the cores' running clock (clock.h)
napi_value ClockGhz(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  napi_value v;
  napi_create_double(env, ab::measure_clock_ghz(static_cast<int>(a.i64(0)), static_cast<int>(a.i64(1))), &v);
  return v;
}

// conv2d(x, w, bias | null, y, dims[15])
napi_value Conv2d(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  auto s = conv_shape(a.ints(4));
  size_t nx, nw, ny;
  const float* x = a.f32(0, &nx);
  const float* w = a.f32(1, &nw);
  const float* bias = a.f32_or_null(2);
  float* y = a.f32(3, &ny);
  need(static_cast<int64_t>(nx) == s.N * s.H * s.W * s.Ci && static_cast<int64_t>(nw) == s.KH * s.KW * s.Ci * s.Co &&
           static_cast<int64_t>(ny) == s.N * s.Ho * s.Wo * s.Co,
       "conv2d: sizes do not match dims");
  ab::conv2d(s, x, w, bias, y);
  return undefined(env);
}

napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  auto s = conv_shape(a.ints(3));
  size_t ndy, nw, ndx;
  const float* dy = a.f32(0, &ndy);
  const float* w = a.f32(1, &nw);
  float* dx = a.f32(2, &ndx);
  need(static_cast<int64_t>(ndx) == s.N * s.H * s.W * s.Ci && static_cast<int64_t>(nw) == s.KH * s.KW * s.Ci * s.Co &&
           static_cast<int64_t>(ndy) == s.N * s.Ho * s.Wo * s.Co,
       "conv2dBackpropInput: sizes do not match dims");
  ab::conv2d_backprop_input(s, dy, w, dx);
  return undefined(env);
}

napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  auto s = conv_shape(a.ints(3));
  size_t nx, ndy, ndw;
  const float* x = a.f32(0, &nx);
  const float* dy = a.f32(1, &ndy);
  float* dw = a.f32(2, &ndw);
  need(static_cast<int64_t>(nx) == s.N * s.H * s.W * s.Ci && static_cast<int64_t>(ndw) == s.KH * s.KW * s.Ci * s.Co &&
           static_cast<int64_t>(ndy) == s.N * s.Ho * s.Wo * s.Co,
       "conv2dBackpropFilter: sizes do not match dims");
  ab::conv2d_backprop_filter(s, x, dy, dw);
  return undefined(env);
}

// depthwise*(a, b, out, dims[15] with Co = Ci·mult, mult)
template <int KIND>
napi_value Depthwise(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  auto s = conv_shape(a.ints(3));
  const int64_t mult = a.i64(4);
  need(s.Co == s.Ci * mult, "depthwise: Co must be Ci·mult");
  size_t n0, n1, n2;
  const float* p0 = a.f32(0, &n0);
  const float* p1 = a.f32(1, &n1);
  float* out = a.f32(2, &n2);
  const int64_t nx = s.N * s.H * s.W * s.Ci, nw = s.KH * s.KW * s.Co, ny = s.N * s.Ho * s.Wo * s.Co;
  if (KIND == 0) {
    need(static_cast<int64_t>(n0) == nx && static_cast<int64_t>(n1) == nw && static_cast<int64_t>(n2) == ny, "depthwise: sizes");
    ab::depthwise(s, mult, p0, p1, out);
  } else if (KIND == 1) {
    need(static_cast<int64_t>(n0) == ny && static_cast<int64_t>(n1) == nw && static_cast<int64_t>(n2) == nx, "depthwise input grad: sizes");
    ab::depthwise_backprop_input(s, mult, p0, p1, out);
  } else {
    need(static_cast<int64_t>(n0) == nx && static_cast<int64_t>(n1) == ny && static_cast<int64_t>(n2) == nw, "depthwise filter grad: sizes");
    ab::depthwise_backprop_filter(s, mult, p0, p1, out);
  }
  return undefined(env);
}

// matmul(a, b, c, batch, M, N, K, transA, transB, batchA, batchB): c[i] = op(a[i % batchA])·op(b[i % batchB])
napi_value Matmul(napi_env env, napi_callback_info info) {
  Args a(env, info, 11);
  size_t na, nb, nc;
  const float* A = a.f32(0, &na);
  const float* B = a.f32(1, &nb);
  float* C = a.f32(2, &nc);
  const int64_t batch = a.i64(3), M = a.i64(4), N = a.i64(5), K = a.i64(6);
  const bool ta = a.flag(7), tb = a.flag(8);
  const int64_t ba = a.i64(9), bb = a.i64(10);
  need(static_cast<int64_t>(na) == ba * M * K && static_cast<int64_t>(nb) == bb * K * N && static_cast<int64_t>(nc) == batch * M * N,
       "matmul: sizes do not match dims");
  for (int64_t i = 0; i < batch; i++) {
    const float* Ai = A + (i % ba) * M * K;
    const float* Bi = B + (i % bb) * K * N;
    ab::sgemm(M, N, K, Ai, ta ? M : K, ta, Bi, tb ? K : N, tb, C + i * M * N, N, false);
  }
  return undefined(env);
}

// binary(op, a, aShape, b, bShape, out, outShape)
napi_value Binary(napi_env env, napi_callback_info info) {
  Args a(env, info, 7);
  const int op = static_cast<int>(a.i64(0));
  need(op >= 0 && op < ab::B_COUNT, "binary: unknown op");
  size_t na, nb, no;
  const float* A = a.f32(1, &na);
  auto sa = a.ints(2);
  const float* B = a.f32(3, &nb);
  auto sb = a.ints(4);
  float* O = a.f32(5, &no);
  auto so = a.ints(6);
  need(static_cast<int64_t>(na) == numel(sa) && static_cast<int64_t>(nb) == numel(sb) && static_cast<int64_t>(no) == numel(so),
       "binary: sizes do not match shapes");
  need(sa.size() <= so.size() && sb.size() <= so.size(), "binary: operand rank above output rank");
  if (no) ab::binary(op, A, sa, B, sb, O, so);
  return undefined(env);
}

// compare(op, a (Float32Array), aShape, b, bShape, out (Uint8Array), outShape) and
// logical(op, a (Uint8Array), aShape, b, bShape, out (Uint8Array), outShape)
template <bool LOGICAL>
napi_value BoolBinary(napi_env env, napi_callback_info info) {
  Args a(env, info, 7);
  const int op = static_cast<int>(a.i64(0));
  need(op >= 0 && op < (LOGICAL ? ab::L_COUNT : ab::C_COUNT), "compare/logical: unknown op");
  size_t na, nb, no;
  auto sa = a.ints(2);
  auto sb = a.ints(4);
  uint8_t* O = a.array<uint8_t>(5, napi_uint8_array, &no);
  auto so = a.ints(6);
  need(sa.size() <= so.size() && sb.size() <= so.size(), "compare/logical: operand rank above output rank");
  if constexpr (LOGICAL) {
    const uint8_t* A = a.array<uint8_t>(1, napi_uint8_array, &na);
    const uint8_t* B = a.array<uint8_t>(3, napi_uint8_array, &nb);
    need(static_cast<int64_t>(na) == numel(sa) && static_cast<int64_t>(nb) == numel(sb) && static_cast<int64_t>(no) == numel(so), "logical: sizes do not match shapes");
    if (no) ab::logical(op, A, sa, B, sb, O, so);
  } else {
    const float* A = a.f32(1, &na);
    const float* B = a.f32(3, &nb);
    need(static_cast<int64_t>(na) == numel(sa) && static_cast<int64_t>(nb) == numel(sb) && static_cast<int64_t>(no) == numel(so), "compare: sizes do not match shapes");
    if (no) ab::compare(op, A, sa, B, sb, O, so);
  }
  return undefined(env);
}

// unary(op, x, out, alpha, beta)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  const int op = static_cast<int>(a.i64(0));
  need(op >= 0 && op < ab::U_COUNT, "unary: unknown op");
  size_t nx, no;
  const float* x = a.f32(1, &nx);
  float* o = a.f32(2, &no);
  need(nx == no, "unary: sizes differ");
  ab::unary(op, x, o, static_cast<int64_t>(nx), static_cast<float>(a.num(3)), static_cast<float>(a.num(4)));
  return undefined(env);
}

// reduce(op, x, out, outer, red, inner)
napi_value Reduce(napi_env env, napi_callback_info info) {
  Args a(env, info, 6);
  const int op = static_cast<int>(a.i64(0));
  need(op >= 0 && op < ab::R_COUNT, "reduce: unknown op");
  size_t nx, no;
  const float* x = a.f32(1, &nx);
  float* o = a.f32(2, &no);
  const int64_t outer = a.i64(3), red = a.i64(4), inner = a.i64(5);
  need(static_cast<int64_t>(nx) == outer * red * inner && static_cast<int64_t>(no) == outer * inner, "reduce: sizes do not match");
  ab::reduce(op, x, o, outer, red, inner);
  return undefined(env);
}

// transpose(x, out, shape, perm)
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  size_t nx, no;
  const float* x = a.f32(0, &nx);
  float* o = a.f32(1, &no);
  auto shape = a.ints(2);
  auto perm = a.ints(3);
  need(nx == no && static_cast<int64_t>(nx) == numel(shape) && perm.size() == shape.size(), "transpose: sizes do not match");
  for (auto p : perm) need(p >= 0 && p < static_cast<int64_t>(shape.size()), "transpose: bad perm");
  if (nx) ab::transpose(x, o, shape, perm);
  return undefined(env);
}

// tile(x, out, shape, reps)
napi_value Tile(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  size_t nx, no;
  const float* x = a.f32(0, &nx);
  float* o = a.f32(1, &no);
  auto shape = a.ints(2);
  auto reps = a.ints(3);
  need(reps.size() == shape.size() && static_cast<int64_t>(nx) == numel(shape) && static_cast<int64_t>(no) == numel(shape) * numel(reps),
       "tile: sizes do not match");
  if (no) ab::tile(x, o, shape, reps);
  return undefined(env);
}

// pad(x, out, shape, before, outShape, value)
napi_value Pad(napi_env env, napi_callback_info info) {
  Args a(env, info, 6);
  size_t nx, no;
  const float* x = a.f32(0, &nx);
  float* o = a.f32(1, &no);
  auto shape = a.ints(2);
  auto before = a.ints(3);
  auto os = a.ints(4);
  need(static_cast<int64_t>(nx) == numel(shape) && static_cast<int64_t>(no) == numel(os) && before.size() == shape.size() && os.size() == shape.size(),
       "pad: sizes do not match");
  for (size_t k = 0; k < shape.size(); k++) need(before[k] >= 0 && before[k] + shape[k] <= os[k], "pad: negative padding");
  ab::pad(x, o, shape, before, os, static_cast<float>(a.num(5)));
  return undefined(env);
}

// slice(x, out, shape, begin, size)
napi_value Slice(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  size_t nx, no;
  const float* x = a.f32(0, &nx);
  float* o = a.f32(1, &no);
  auto shape = a.ints(2);
  auto begin = a.ints(3);
  auto size = a.ints(4);
  need(static_cast<int64_t>(nx) == numel(shape) && static_cast<int64_t>(no) == numel(size) && begin.size() == shape.size() && size.size() == shape.size(),
       "slice: sizes do not match");
  for (size_t k = 0; k < shape.size(); k++) need(begin[k] >= 0 && begin[k] + size[k] <= shape[k], "slice: out of range");
  ab::slice(x, o, shape, begin, size);
  return undefined(env);
}

// batchnorm(x, mean, variance, offset | null, scale | null, out, eps): parameters of one length C
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  Args a(env, info, 7);
  size_t nx, nm, nv, no;
  const float* x = a.f32(0, &nx);
  const float* mean = a.f32(1, &nm);
  const float* var = a.f32(2, &nv);
  const float* offset = nullptr;
  const float* scale = nullptr;
  size_t len;
  if (!a.is_null(3)) {
    offset = a.f32(3, &len);
    need(len == nm, "batchnorm: offset length");
  }
  if (!a.is_null(4)) {
    scale = a.f32(4, &len);
    need(len == nm, "batchnorm: scale length");
  }
  float* o = a.f32(5, &no);
  need(nm == nv && nm > 0 && nx == no && nx % nm == 0, "batchnorm: sizes do not match");
  ab::batchnorm(x, mean, var, offset, scale, o, static_cast<int64_t>(nx), static_cast<int64_t>(nm), static_cast<float>(a.num(6)));
  return undefined(env);
}

// batchNormGrad(x, dy, mean, variance, scale | null, eps, dx, dmean, dvar, dscale, doffset)
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, 11);
  size_t nx, ndy, nm, nv, ndx, c1, c2, c3, c4;
  const float* x = a.f32(0, &nx);
  const float* dy = a.f32(1, &ndy);
  const float* mean = a.f32(2, &nm);
  const float* var = a.f32(3, &nv);
  const float* scale = nullptr;
  if (!a.is_null(4)) {
    size_t ns;
    scale = a.f32(4, &ns);
    need(ns == nm, "batchNormGrad: scale length");
  }
  float* dx = a.f32(6, &ndx);
  float* dmean = a.f32(7, &c1);
  float* dvar = a.f32(8, &c2);
  float* dscale = a.f32(9, &c3);
  float* doffset = a.f32(10, &c4);
  need(nx == ndy && nx == ndx && nm == nv && nm > 0 && nx % nm == 0 && c1 == nm && c2 == nm && c3 == nm && c4 == nm, "batchNormGrad: sizes do not match");
  ab::batchnorm_grad(x, dy, mean, var, scale, static_cast<float>(a.num(5)), static_cast<int64_t>(nx), static_cast<int64_t>(nm), dx, dmean, dvar, dscale,
                     doffset);
  return undefined(env);
}

// select(cond (Uint8Array), a, b, out)
napi_value Select(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  size_t nc, na, nb, no;
  const uint8_t* c = a.array<uint8_t>(0, napi_uint8_array, &nc);
  const float* A = a.f32(1, &na);
  const float* B = a.f32(2, &nb);
  float* o = a.f32(3, &no);
  need(nc == na && na == nb && nb == no, "select: sizes differ");
  ab::select(c, A, B, o, static_cast<int64_t>(no));
  return undefined(env);
}

napi_value MaxPool(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  auto s = pool_shape(a.ints(2));
  size_t nx, ny;
  const float* x = a.f32(0, &nx);
  float* y = a.f32(1, &ny);
  need(static_cast<int64_t>(nx) == s.N * s.H * s.W * s.C && static_cast<int64_t>(ny) == s.N * s.Ho * s.Wo * s.C, "maxPool: sizes");
  ab::max_pool(s, x, y);
  return undefined(env);
}

napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  auto s = pool_shape(a.ints(3));
  size_t nx, ndy, ndx;
  const float* x = a.f32(0, &nx);
  const float* dy = a.f32(1, &ndy);
  float* dx = a.f32(2, &ndx);
  need(static_cast<int64_t>(nx) == s.N * s.H * s.W * s.C && nx == ndx && static_cast<int64_t>(ndy) == s.N * s.Ho * s.Wo * s.C, "maxPoolGrad: sizes");
  ab::max_pool_grad(s, x, dy, dx);
  return undefined(env);
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"setThreads", nullptr, guarded<SetThreads>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, guarded<Threads>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"simd", nullptr, guarded<Simd>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"clockGHz", nullptr, guarded<ClockGhz>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2d", nullptr, guarded<Conv2d>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, guarded<Conv2dBackpropInput>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, guarded<Conv2dBackpropFilter>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"depthwise", nullptr, guarded<Depthwise<0>>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"depthwiseBackpropInput", nullptr, guarded<Depthwise<1>>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"depthwiseBackpropFilter", nullptr, guarded<Depthwise<2>>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, guarded<Matmul>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, guarded<Binary>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, guarded<Unary>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"compare", nullptr, guarded<BoolBinary<false>>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"logical", nullptr, guarded<BoolBinary<true>>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, guarded<Reduce>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"transpose", nullptr, guarded<Transpose>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tile", nullptr, guarded<Tile>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pad", nullptr, guarded<Pad>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"slice", nullptr, guarded<Slice>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNorm", nullptr, guarded<BatchNorm>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormGrad", nullptr, guarded<BatchNormGrad>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"select", nullptr, guarded<Select>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, guarded<MaxPool>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, guarded<MaxPoolGrad>, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
