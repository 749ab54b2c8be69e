#include "gemm.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define AB_AVX2 1
#endif

namespace ab {

#ifdef AB_AVX2
// 6 × 16 tile in 12 ymm accumulators; one broadcast of A and two loads of B per k
void micro_kernel(int kl, const float* a, const float* b, float* const* crow, int col, int mr, int nr, bool overwrite) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int k = 0; k < kl; k++) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 a0 = _mm256_broadcast_ss(a), a1 = _mm256_broadcast_ss(a + 1);
    c00 = _mm256_fmadd_ps(a0, b0, c00);
    c01 = _mm256_fmadd_ps(a0, b1, c01);
    c10 = _mm256_fmadd_ps(a1, b0, c10);
    c11 = _mm256_fmadd_ps(a1, b1, c11);
    a0 = _mm256_broadcast_ss(a + 2);
    a1 = _mm256_broadcast_ss(a + 3);
    c20 = _mm256_fmadd_ps(a0, b0, c20);
    c21 = _mm256_fmadd_ps(a0, b1, c21);
    c30 = _mm256_fmadd_ps(a1, b0, c30);
    c31 = _mm256_fmadd_ps(a1, b1, c31);
    a0 = _mm256_broadcast_ss(a + 4);
    a1 = _mm256_broadcast_ss(a + 5);
    c40 = _mm256_fmadd_ps(a0, b0, c40);
    c41 = _mm256_fmadd_ps(a0, b1, c41);
    c50 = _mm256_fmadd_ps(a1, b0, c50);
    c51 = _mm256_fmadd_ps(a1, b1, c51);
    a += MR;
    b += NR;
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (nr == NR) {
    for (int r = 0; r < mr; r++) {
      float* c = crow[r] + col;
      if (overwrite) {
        _mm256_storeu_ps(c, acc[r][0]);
        _mm256_storeu_ps(c + 8, acc[r][1]);
      } else {
        _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), acc[r][0]));
        _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_loadu_ps(c + 8), acc[r][1]));
      }
    }
    return;
  }
  alignas(32) float tile[NR];
  for (int r = 0; r < mr; r++) {
    _mm256_store_ps(tile, acc[r][0]);
    _mm256_store_ps(tile + 8, acc[r][1]);
    float* c = crow[r] + col;
    for (int q = 0; q < nr; q++) c[q] = overwrite ? tile[q] : c[q] + tile[q];
  }
}

void micro_kernel_taps(int ntaps, const int64_t* toff, int C, const float* const* arow, const float* b, float* const* crow, int col, int mr, int nr,
                       bool overwrite) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int t = 0; t < ntaps; t++) {
    const float *p0 = arow[0] + toff[t], *p1 = arow[1] + toff[t], *p2 = arow[2] + toff[t];
    const float *p3 = arow[3] + toff[t], *p4 = arow[4] + toff[t], *p5 = arow[5] + toff[t];
    for (int c = 0; c < C; c++) {
      __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      __m256 a0 = _mm256_broadcast_ss(p0 + c), a1 = _mm256_broadcast_ss(p1 + c);
      c00 = _mm256_fmadd_ps(a0, b0, c00);
      c01 = _mm256_fmadd_ps(a0, b1, c01);
      c10 = _mm256_fmadd_ps(a1, b0, c10);
      c11 = _mm256_fmadd_ps(a1, b1, c11);
      a0 = _mm256_broadcast_ss(p2 + c);
      a1 = _mm256_broadcast_ss(p3 + c);
      c20 = _mm256_fmadd_ps(a0, b0, c20);
      c21 = _mm256_fmadd_ps(a0, b1, c21);
      c30 = _mm256_fmadd_ps(a1, b0, c30);
      c31 = _mm256_fmadd_ps(a1, b1, c31);
      a0 = _mm256_broadcast_ss(p4 + c);
      a1 = _mm256_broadcast_ss(p5 + c);
      c40 = _mm256_fmadd_ps(a0, b0, c40);
      c41 = _mm256_fmadd_ps(a0, b1, c41);
      c50 = _mm256_fmadd_ps(a1, b0, c50);
      c51 = _mm256_fmadd_ps(a1, b1, c51);
      b += NR;
    }
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  alignas(32) float tile[NR];
  for (int r = 0; r < mr; r++) {
    float* c = crow[r] + col;
    if (nr == NR) {
      if (overwrite) {
        _mm256_storeu_ps(c, acc[r][0]);
        _mm256_storeu_ps(c + 8, acc[r][1]);
      } else {
        _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), acc[r][0]));
        _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_loadu_ps(c + 8), acc[r][1]));
      }
      continue;
    }
    _mm256_store_ps(tile, acc[r][0]);
    _mm256_store_ps(tile + 8, acc[r][1]);
    for (int q = 0; q < nr; q++) c[q] = overwrite ? tile[q] : c[q] + tile[q];
  }
}

void micro_kernel_dw(int kl, const float* xp, const int64_t* base, const int64_t* offr, const float* dy, int64_t ldy, float* const* crow, int col,
                     int mr, int nr, bool overwrite) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  const int64_t o0 = offr[0], o1 = offr[1], o2 = offr[2], o3 = offr[3], o4 = offr[4], o5 = offr[5];
  // lanes past nr are masked off (dy rows are only nr wide at the edge)
  alignas(32) int32_t lane[16];
  for (int q = 0; q < 16; q++) lane[q] = q < nr ? -1 : 0;
  const __m256i m0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lane)), m1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lane + 8));
  const bool full = nr == NR;
  for (int k = 0; k < kl; k++) {
    const float* p = xp + base[k];
    const float* d = dy + k * ldy;
    __m256 b0, b1;
    if (full) {
      b0 = _mm256_loadu_ps(d);
      b1 = _mm256_loadu_ps(d + 8);
    } else {
      b0 = _mm256_maskload_ps(d, m0);
      b1 = _mm256_maskload_ps(d + 8, m1);
    }
    __m256 a0 = _mm256_broadcast_ss(p + o0), a1 = _mm256_broadcast_ss(p + o1);
    c00 = _mm256_fmadd_ps(a0, b0, c00);
    c01 = _mm256_fmadd_ps(a0, b1, c01);
    c10 = _mm256_fmadd_ps(a1, b0, c10);
    c11 = _mm256_fmadd_ps(a1, b1, c11);
    a0 = _mm256_broadcast_ss(p + o2);
    a1 = _mm256_broadcast_ss(p + o3);
    c20 = _mm256_fmadd_ps(a0, b0, c20);
    c21 = _mm256_fmadd_ps(a0, b1, c21);
    c30 = _mm256_fmadd_ps(a1, b0, c30);
    c31 = _mm256_fmadd_ps(a1, b1, c31);
    a0 = _mm256_broadcast_ss(p + o4);
    a1 = _mm256_broadcast_ss(p + o5);
    c40 = _mm256_fmadd_ps(a0, b0, c40);
    c41 = _mm256_fmadd_ps(a0, b1, c41);
    c50 = _mm256_fmadd_ps(a1, b0, c50);
    c51 = _mm256_fmadd_ps(a1, b1, c51);
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  alignas(32) float tile[NR];
  for (int r = 0; r < mr; r++) {
    _mm256_store_ps(tile, acc[r][0]);
    _mm256_store_ps(tile + 8, acc[r][1]);
    float* c = crow[r] + col;
    for (int q = 0; q < nr; q++) c[q] = overwrite ? tile[q] : c[q] + tile[q];
  }
}
#else
// portable: the fixed-size inner loops vectorise on any target
void micro_kernel(int kl, const float* a, const float* b, float* const* crow, int col, int mr, int nr, bool overwrite) {
  float acc[MR][NR] = {};
  for (int k = 0; k < kl; k++) {
    for (int r = 0; r < MR; r++) {
      const float av = a[r];
      for (int q = 0; q < NR; q++) acc[r][q] += av * b[q];
    }
    a += MR;
    b += NR;
  }
  for (int r = 0; r < mr; r++) {
    float* c = crow[r] + col;
    for (int q = 0; q < nr; q++) c[q] = overwrite ? acc[r][q] : c[q] + acc[r][q];
  }
}
#endif

#ifndef AB_AVX2
void micro_kernel_taps(int ntaps, const int64_t* toff, int C, const float* const* arow, const float* b, float* const* crow, int col, int mr, int nr,
                       bool overwrite) {
  float acc[MR][NR] = {};
  for (int t = 0; t < ntaps; t++)
    for (int c = 0; c < C; c++) {
      for (int r = 0; r < MR; r++) {
        const float av = arow[r][toff[t] + c];
        for (int q = 0; q < NR; q++) acc[r][q] += av * b[q];
      }
      b += NR;
    }
  for (int r = 0; r < mr; r++) {
    float* c = crow[r] + col;
    for (int q = 0; q < nr; q++) c[q] = overwrite ? acc[r][q] : c[q] + acc[r][q];
  }
}

void micro_kernel_dw(int kl, const float* xp, const int64_t* base, const int64_t* offr, const float* dy, int64_t ldy, float* const* crow, int col,
                     int mr, int nr, bool overwrite) {
  float acc[MR][NR] = {};
  for (int k = 0; k < kl; k++) {
    const float* p = xp + base[k];
    const float* d = dy + k * ldy;
    for (int r = 0; r < MR; r++) {
      const float av = p[offr[r]];
      for (int q = 0; q < nr; q++) acc[r][q] += av * d[q];
    }
  }
  for (int r = 0; r < mr; r++) {
    float* c = crow[r] + col;
    for (int q = 0; q < nr; q++) c[q] = overwrite ? acc[r][q] : c[q] + acc[r][q];
  }
}
#endif

void pack_b_matrix(PackedB& pb, const float* B, int64_t K, int64_t N, int64_t ldb, bool trans) {
  pb.K = K;
  pb.N = N;
  pb.Npad = round_up(N, NR);
  pb.data.resize(static_cast<size_t>(K * pb.Npad));
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    int64_t kl = std::min<int64_t>(KC, K - k0);
    for (int64_t j = 0; j * NR < N; j++) {
      float* dst = pb.data.data() + k0 * pb.Npad + j * kl * NR;
      int64_t nl = std::min<int64_t>(NR, N - j * NR);
      if (!trans) {
        for (int64_t k = 0; k < kl; k++) {
          const float* src = B + (k0 + k) * ldb + j * NR;
          int64_t c = 0;
          for (; c < nl; c++) dst[k * NR + c] = src[c];
          for (; c < NR; c++) dst[k * NR + c] = 0.f;
        }
      } else {
        for (int64_t k = 0; k < kl; k++)
          for (int64_t c = nl; c < NR; c++) dst[k * NR + c] = 0.f;
        for (int64_t c = 0; c < nl; c++) {
          const float* src = B + (j * NR + c) * ldb + k0;
          for (int64_t k = 0; k < kl; k++) dst[k * NR + c] = src[k];
        }
      }
    }
  }
}

void pack_a_matrix(float* dst, const float* A, int64_t lda, bool trans, int64_t m0, int64_t ml, int64_t k0, int64_t kl) {
  for (int64_t i = 0; i * MR < ml; i++) {
    float* p = dst + i * kl * MR;
    int64_t rl = std::min<int64_t>(MR, ml - i * MR);
    if (!trans) {
      for (int64_t r = 0; r < MR; r++) {
        if (r >= rl) {
          for (int64_t k = 0; k < kl; k++) p[k * MR + r] = 0.f;
          continue;
        }
        const float* src = A + (m0 + i * MR + r) * lda + k0;
        for (int64_t k = 0; k < kl; k++) p[k * MR + r] = src[k];
      }
    } else {
      for (int64_t k = 0; k < kl; k++) {
        const float* src = A + (k0 + k) * lda + m0 + i * MR;
        int64_t r = 0;
        for (; r < rl; r++) p[k * MR + r] = src[r];
        for (; r < MR; r++) p[k * MR + r] = 0.f;
      }
    }
  }
}

void sgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool transA, const float* B, int64_t ldb, bool transB, float* C,
           int64_t ldc, bool accumulate) {
  PackedB pb;
  pack_b_matrix(pb, B, K, N, ldb, transB);
  gemm(
      M, K, pb, [&](float* dst, int64_t m0, int64_t ml, int64_t k0, int64_t kl) { pack_a_matrix(dst, A, lda, transA, m0, ml, k0, kl); },
      [&](int64_t m) { return C + m * ldc; }, accumulate);
}

}  // namespace ab
