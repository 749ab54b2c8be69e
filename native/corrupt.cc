// N-API entry points of actbench's corruption addon (build/Release/actbench_corrupt.node): the JPEG round
// trip (jpeg.cc, vendored libjpeg-turbo), MT19937's block twist for src/corrupt/rng.ts and the corruptions'
// hot loops (kernels.cc). Results equal the TypeScript fallbacks bit for bit.
#include <node_api.h>

#include <cstdint>

napi_value JpegRoundTrip(napi_env env, napi_callback_info info);
napi_value JpegVersion(napi_env env, napi_callback_info info);
void DefineKernels(napi_env env, napi_value exports);

// MT19937: the next block in mt, its tempered words in out (also used by kernels.cc's draws)
void TwistBlock(uint32_t* mt, uint32_t* out);

namespace {

int32_t* Int32s(napi_env env, napi_value v, size_t want) {
  bool ok = false;
  napi_is_typedarray(env, v, &ok);
  if (!ok) return nullptr;
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_value ab;
  size_t offset;
  napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &offset);
  return type == napi_int32_array && len >= want ? static_cast<int32_t*>(data) : nullptr;
}

inline uint32_t Temper(uint32_t y) {
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  return y ^ (y >> 18);
}

// twist(mt: Int32Array(624), out: Int32Array(624)): the next MT19937 block in mt, its tempered words in out
napi_value Twist(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint32_t* mt = argc == 2 ? reinterpret_cast<uint32_t*>(Int32s(env, argv[0], 624)) : nullptr;
  uint32_t* out = argc == 2 ? reinterpret_cast<uint32_t*>(Int32s(env, argv[1], 624)) : nullptr;
  if (!mt || !out) {
    napi_throw_error(env, nullptr, "twist: expected two Int32Arrays of 624 words");
    return nullptr;
  }
  TwistBlock(mt, out);
  return nullptr;
}

}  // namespace

void TwistBlock(uint32_t* mt, uint32_t* out) {
  const uint32_t A[2] = {0u, 0x9908b0dfu};
  int k = 0;
  for (; k < 227; k++) {
    const uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
    mt[k] = mt[k + 397] ^ (y >> 1) ^ A[y & 1];
  }
  for (; k < 623; k++) {
    const uint32_t y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
    mt[k] = mt[k - 227] ^ (y >> 1) ^ A[y & 1];
  }
  const uint32_t y = (mt[623] & 0x80000000u) | (mt[0] & 0x7fffffffu);
  mt[623] = mt[396] ^ (y >> 1) ^ A[y & 1];
  for (int i = 0; i < 624; i++) out[i] = Temper(mt[i]);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"roundTrip", nullptr, JpegRoundTrip, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, JpegVersion, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"twist", nullptr, Twist, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  DefineKernels(env, exports);
  return exports;
}
