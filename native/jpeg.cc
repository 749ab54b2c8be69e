// In-process JPEG round trip for the jpeg_compression corruption (exported by corrupt.cc as roundTrip): encode with the vendored libjpeg-turbo
// 2.1.5 (native/libjpeg-turbo, built without SIMD: its SIMD paths are bit-exact with these C ones) the way
// Pillow's JPEG plugin does (jpeg_set_defaults, jpeg_set_quality(q, force_baseline = TRUE), 4:2:0 for RGB,
// ISLOW DCT, standard Huffman tables), then decode with libjpeg's defaults (ISLOW, fancy upsampling), as
// PIL.Image.open does. One call handles a batch of same-sized images with one compressor, one
// decompressor and one output buffer, so there is no per-image allocation and no thread hop.
#include <node_api.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {
#include "jpeglib.h"
}

namespace {

struct ErrorMgr {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void OnError(j_common_ptr cinfo) {
  ErrorMgr* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}
void OnMessage(j_common_ptr, int) {}  // warnings are not printed (a corrupt stream cannot occur here)

napi_value Throw(napi_env env, const std::string& msg) {
  napi_throw_error(env, nullptr, msg.c_str());
  return nullptr;
}

unsigned char* TypedBytes(napi_env env, napi_value v, size_t* len) {
  bool ok = false;
  napi_is_typedarray(env, v, &ok);
  if (!ok) return nullptr;
  napi_typedarray_type type;
  void* data;
  napi_value ab;
  size_t offset;
  napi_get_typedarray_info(env, v, &type, len, &data, &ab, &offset);
  return type == napi_uint8_array ? static_cast<unsigned char*>(data) : nullptr;
}

struct Codec {
  jpeg_compress_struct c{};
  jpeg_decompress_struct d{};
  ErrorMgr cerr{}, derr{};
  unsigned char* buf = nullptr;  // reused encoder output, big enough for the worst case of its image size
  unsigned long cap = 0;
  Codec() {
    c.err = jpeg_std_error(&cerr.pub);
    cerr.pub.error_exit = OnError;
    cerr.pub.emit_message = OnMessage;
    d.err = jpeg_std_error(&derr.pub);
    derr.pub.error_exit = OnError;
    derr.pub.emit_message = OnMessage;
    jpeg_create_compress(&c);
    jpeg_create_decompress(&d);
  }
  ~Codec() {
    jpeg_destroy_compress(&c);
    jpeg_destroy_decompress(&d);
    free(buf);
  }
};

// roundTrip(src: Uint8Array, dst: Uint8Array, n, width, height, channels, quality): n HWC images back to back
}  // namespace

napi_value JpegRoundTrip(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 7) return Throw(env, "roundTrip: expected 7 arguments");
  size_t srcLen = 0, dstLen = 0;
  unsigned char* src = TypedBytes(env, argv[0], &srcLen);
  unsigned char* dst = TypedBytes(env, argv[1], &dstLen);
  if (!src || !dst) return Throw(env, "roundTrip: src and dst must be Uint8Arrays");
  int32_t n, w, h, ch, q;
  napi_get_value_int32(env, argv[2], &n);
  napi_get_value_int32(env, argv[3], &w);
  napi_get_value_int32(env, argv[4], &h);
  napi_get_value_int32(env, argv[5], &ch);
  napi_get_value_int32(env, argv[6], &q);
  if (n < 0 || w <= 0 || h <= 0 || (ch != 1 && ch != 3) || q < 1 || q > 100) return Throw(env, "roundTrip: bad shape or quality");
  const size_t px = static_cast<size_t>(w) * h * ch;
  if (srcLen < px * n || dstLen < px * n) return Throw(env, "roundTrip: arrays smaller than n·width·height·channels");

  static thread_local Codec codec;  // one per thread: worker threads each get their own
  Codec& k = codec;
  const int stride = w * ch;
  // worst case of a baseline JPEG (as turbojpeg's tjBufSize: 6 bytes a pixel of the MCU-padded image)
  const unsigned long need = static_cast<unsigned long>((w + 15) & ~15) * ((h + 15) & ~15) * 6 + 4096;
  if (k.cap < need) {
    free(k.buf);
    k.buf = static_cast<unsigned char*>(malloc(need));
    if (!k.buf) {
      k.cap = 0;
      return Throw(env, "roundTrip: out of memory");
    }
    k.cap = need;
  }
  for (int32_t i = 0; i < n; i++) {
    const unsigned char* in = src + px * i;
    unsigned char* out = dst + px * i;
    if (setjmp(k.cerr.jump)) {
      jpeg_abort_compress(&k.c);
      return Throw(env, std::string("libjpeg encode: ") + k.cerr.message);
    }
    unsigned char* b = k.buf;
    unsigned long size = k.cap;
    jpeg_mem_dest(&k.c, &b, &size);
    k.c.image_width = w;
    k.c.image_height = h;
    k.c.input_components = ch;
    k.c.in_color_space = ch == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&k.c);
    jpeg_set_quality(&k.c, q, TRUE);
    jpeg_start_compress(&k.c, TRUE);
    while (k.c.next_scanline < k.c.image_height) {
      JSAMPROW row = const_cast<JSAMPROW>(in + static_cast<size_t>(k.c.next_scanline) * stride);
      jpeg_write_scanlines(&k.c, &row, 1);
    }
    jpeg_finish_compress(&k.c);
    if (b != k.buf) {  // libjpeg had to grow it (it does not free a buffer it was given)
      free(k.buf);
      k.buf = b;
      k.cap = size;  // a lower bound of the new buffer's size
    }
    const unsigned long written = size;
    if (setjmp(k.derr.jump)) {
      jpeg_abort_decompress(&k.d);
      return Throw(env, std::string("libjpeg decode: ") + k.derr.message);
    }
    jpeg_mem_src(&k.d, k.buf, written);
    jpeg_read_header(&k.d, TRUE);
    k.d.out_color_space = ch == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_start_decompress(&k.d);
    if (static_cast<int>(k.d.output_width) != w || static_cast<int>(k.d.output_height) != h || k.d.output_components != ch) {
      jpeg_abort_decompress(&k.d);
      return Throw(env, "libjpeg decode: the round trip changed the image's shape");
    }
    while (k.d.output_scanline < k.d.output_height) {
      JSAMPROW row = out + static_cast<size_t>(k.d.output_scanline) * stride;
      jpeg_read_scanlines(&k.d, &row, 1);
    }
    jpeg_finish_decompress(&k.d);
  }
  return nullptr;
}

napi_value JpegVersion(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_string_utf8(env, "libjpeg-turbo 2.1.5 (vendored, C, 8-bit)", NAPI_AUTO_LENGTH, &v);
  return v;
}
