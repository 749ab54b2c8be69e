// Element-wise, reduction and data-movement kernels on float32 NHWC tensors, with TF.js cpu semantics.
#pragma once
#include <cstdint>
#include <vector>

namespace ab {

using Shape = std::vector<int64_t>;

enum BinaryOp { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_SQDIFF, B_POW, B_PRELU, B_ELU_GRAD, B_COUNT };
enum UnaryOp {
  U_RELU, U_RELU6, U_STEP, U_ELU, U_SIGMOID, U_TANH, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_SQUARE, U_NEG, U_ABS, U_RECIPROCAL, U_ERF,
  U_SOFTPLUS, U_LEAKY_RELU, U_SIGN, U_SELU, U_EXPM1, U_LOG1P, U_SIN, U_COS, U_FLOOR, U_CEIL, U_CLIP, U_ASIN, U_ACOS, U_ATAN, U_SINH,
  U_COSH, U_TAN, U_ASINH, U_ACOSH, U_ATANH, U_COUNT
};
enum CompareOp { C_GREATER, C_GREATER_EQUAL, C_LESS, C_LESS_EQUAL, C_EQUAL, C_NOT_EQUAL, C_COUNT };
enum LogicalOp { L_AND, L_OR, L_COUNT };
enum ReduceOp { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_COUNT };

// out (shape o) = a (shape sa) ∘ b (shape sb), numpy broadcasting, shapes right-aligned
void binary(int op, const float* a, const Shape& sa, const float* b, const Shape& sb, float* out, const Shape& so);
void unary(int op, const float* x, float* out, int64_t n, float alpha, float beta);
// bool (one byte per element) results of comparing floats / combining bools, broadcasting as binary
void compare(int op, const float* a, const Shape& sa, const float* b, const Shape& sb, uint8_t* out, const Shape& so);
void logical(int op, const uint8_t* a, const Shape& sa, const uint8_t* b, const Shape& sb, uint8_t* out, const Shape& so);
// x viewed as [outer, red, inner] → out [outer, inner]
void reduce(int op, const float* x, float* out, int64_t outer, int64_t red, int64_t inner);
void transpose(const float* x, float* out, const Shape& shape, const std::vector<int64_t>& perm);
void tile(const float* x, float* out, const Shape& shape, const std::vector<int64_t>& reps);
void pad(const float* x, float* out, const Shape& shape, const std::vector<int64_t>& before, const Shape& outShape, float value);
void slice(const float* x, float* out, const Shape& shape, const std::vector<int64_t>& begin, const Shape& size);
// y = offset + (x − mean)·scale/√(var + ε), parameters of length C cycling along x (C divides n); null → 0 / 1
void batchnorm(const float* x, const float* mean, const float* var, const float* offset, const float* scale, float* y, int64_t n, int64_t C,
               float eps);
// Gradient of batchnorm (per-channel parameters, x and dy of n = rows·C): dx, and per channel dmean,
// dvar, dscale, doffset, with the JS backend's per-element float products; sums in double over chunks
// fixed by the shape.
void batchnorm_grad(const float* x, const float* dy, const float* mean, const float* var, const float* scale, float eps, int64_t n, int64_t C,
                    float* dx, float* dmean, float* dvar, float* dscale, float* doffset);
// out = cond ? a : b, all of length n (cond as bytes)
void select(const uint8_t* cond, const float* a, const float* b, float* out, int64_t n);

struct PoolShape {
  int64_t N, H, W, C, Ho, Wo, KH, KW, sh, sw, dh, dw, pt, pl;
};
void max_pool(const PoolShape& s, const float* x, float* y);
void max_pool_grad(const PoolShape& s, const float* x, const float* dy, float* dx);

}  // namespace ab
