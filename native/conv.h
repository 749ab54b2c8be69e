// NHWC convolutions (TF.js layouts: x [N,H,W,Ci], filter [KH,KW,Ci,Co], depthwise filter [KH,KW,C,mult]).
#pragma once
#include <cstdint>

namespace ab {

struct ConvShape {
  int64_t N, H, W, Ci, Ho, Wo, Co, KH, KW, sh, sw, dh, dw, pt, pl;
};

// y = conv(x, w) (+ bias[Co] when bias != nullptr)
void conv2d(const ConvShape& s, const float* x, const float* w, const float* bias, float* y);
// dx = conv2d's gradient with respect to x, given dy [N,Ho,Wo,Co]
void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx);
// dw = conv2d's gradient with respect to the filter
void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw);

// depthwise: Co = Ci * mult
void depthwise(const ConvShape& s, int64_t mult, const float* x, const float* w, float* y);
void depthwise_backprop_input(const ConvShape& s, int64_t mult, const float* dy, const float* w, float* dx);
void depthwise_backprop_filter(const ConvShape& s, int64_t mult, const float* x, const float* dy, float* dw);

}  // namespace ab
