// Blocked, register-tiled SGEMM (GotoBLAS layout): B is packed once into NR-wide column panels per KC
// block, A is packed per (MC × KC) block into MR-tall row panels by a caller-supplied packer (so a
// convolution can gather its im2col rows straight from the input), and a MR × NR micro-kernel (AVX2/FMA
// intrinsics, or portable C++ the compiler vectorises) updates C through caller-supplied row pointers.
// Every C element is accumulated over k in the same order whatever the row range or thread.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ab {

constexpr int MR = 6;
constexpr int NR = 16;
constexpr int KC = 256;
constexpr int MC = 120;  // multiple of MR

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// c (MR × NR tile, row pointers crow[r] + col) = (overwrite ? 0 : c) + a·b over kl; rows/cols beyond
// mr/nr are computed but not stored
void micro_kernel(int kl, const float* a, const float* b, float* const* crow, int col, int mr, int nr, bool overwrite);

// Direct (unpacked) A: row r of the tile reads, for tap t, C contiguous floats at arow[r] + toff[t];
// b is one full-K panel (K = ntaps·C rows of NR floats). Used by convolutions over a padded input.
void micro_kernel_taps(int ntaps, const int64_t* toff, int C, const float* const* arow, const float* b, float* const* crow, int col, int mr, int nr,
                       bool overwrite);

// Filter-gradient tile: C[r][q] (+)= Σ_k xp[base[k] + offr[r]] · dy[k·ldy + q] over kl rows (r < MR, q < nr ≤ NR)
void micro_kernel_dw(int kl, const float* xp, const int64_t* base, const int64_t* offr, const float* dy, int64_t ldy, float* const* crow, int col,
                     int mr, int nr, bool overwrite);

// B packed: for each KC block (k0, kl), panel j (NR columns) at Bp + k0 * Npad + j * kl * NR, kl × NR
struct PackedB {
  std::vector<float> data;
  int64_t K = 0, N = 0, Npad = 0;
  const float* panel(int64_t k0, int64_t kl, int64_t j) const { return data.data() + k0 * Npad + j * kl * NR; }
};

// get(k, n) → B[k][n]
template <class Get>
void pack_b(PackedB& pb, int64_t K, int64_t N, Get get) {
  pb.K = K;
  pb.N = N;
  pb.Npad = round_up(N, NR);
  pb.data.assign(static_cast<size_t>(K * pb.Npad), 0.f);
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    int64_t kl = std::min<int64_t>(KC, K - k0);
    for (int64_t j = 0; j * NR < N; j++) {
      float* dst = pb.data.data() + k0 * pb.Npad + j * kl * NR;
      int64_t nl = std::min<int64_t>(NR, N - j * NR);
      for (int64_t k = 0; k < kl; k++)
        for (int64_t c = 0; c < nl; c++) dst[k * NR + c] = get(k0 + k, j * NR + c);
    }
  }
}

// B row-major K × N (ldb) or, transposed, stored N × K
void pack_b_matrix(PackedB& pb, const float* B, int64_t K, int64_t N, int64_t ldb, bool trans);

// A packers write ceil(ml/MR) panels of kl × MR (zero rows past ml) for rows m0.., k0..
// A row-major M × K (lda) or, transposed, stored K × M
void pack_a_matrix(float* dst, const float* A, int64_t lda, bool trans, int64_t m0, int64_t ml, int64_t k0, int64_t kl);

// C rows [m0, m1) of C = (accumulate ? C : 0) + A·B; packA(dst, m0, ml, k0, kl); crow(m) → row pointer.
// Single-threaded; callers split rows (in MC blocks) or columns across threads.
template <class PackA, class CRow>
void gemm_rows(int64_t m0, int64_t m1, int64_t j0, int64_t j1, int64_t K, const PackedB& B, PackA packA, CRow crow, bool accumulate) {
  const int64_t N = B.N;
  thread_local std::vector<float> abuf;
  abuf.resize(static_cast<size_t>(MC * KC));
  float* rows[MR];
  static float sink[NR];
  for (int64_t mb = m0; mb < m1; mb += MC) {
    int64_t ml = std::min<int64_t>(MC, m1 - mb);
    if (K == 0) {
      if (!accumulate)
        for (int64_t m = mb; m < mb + ml; m++) std::memset(crow(m) + j0 * NR, 0, sizeof(float) * (std::min<int64_t>(N, j1 * NR) - j0 * NR));
      continue;
    }
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      int64_t kl = std::min<int64_t>(KC, K - k0);
      packA(abuf.data(), mb, ml, k0, kl);
      bool overwrite = k0 == 0 && !accumulate;
      for (int64_t j = j0; j < j1; j++) {
        const float* bp = B.panel(k0, kl, j);
        int nr = static_cast<int>(std::min<int64_t>(NR, N - j * NR));
        for (int64_t i = 0; i * MR < ml; i++) {
          int mr = static_cast<int>(std::min<int64_t>(MR, ml - i * MR));
          for (int r = 0; r < MR; r++) rows[r] = r < mr ? crow(mb + i * MR + r) : sink;
          micro_kernel(static_cast<int>(kl), abuf.data() + i * kl * MR, bp, rows, static_cast<int>(j * NR), mr, nr, overwrite);
        }
      }
    }
  }
}

// Threaded C = (accumulate ? C : 0) + A·B over all M rows, split into MC-row blocks and, when there are
// few row blocks, NR-column panel ranges.
template <class PackA, class CRow>
void gemm(int64_t M, int64_t K, const PackedB& B, PackA packA, CRow crow, bool accumulate);

// plain row-major C[M×N] (ldc) = (acc ? C : 0) + op(A)·op(B)
void sgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool transA, const float* B, int64_t ldb, bool transB, float* C,
           int64_t ldc, bool accumulate);

}  // namespace ab

#include "pool.h"

namespace ab {
template <class PackA, class CRow>
void gemm(int64_t M, int64_t K, const PackedB& B, PackA packA, CRow crow, bool accumulate) {
  int64_t mblocks = (M + MC - 1) / MC;
  int64_t panels = (B.N + NR - 1) / NR;
  int T = Pool::get().threads();
  // column split only when row blocks alone cannot feed the threads
  int64_t csplit = mblocks >= 2 * T ? 1 : std::min<int64_t>(panels, (2 * T + mblocks - 1) / mblocks);
  int64_t tasks = mblocks * csplit;
  int64_t flops = M * B.N * K;
  parallel_for(tasks, flops < (1 << 18) ? tasks : 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      int64_t mb = t / csplit, cs = t % csplit;
      int64_t j0 = panels * cs / csplit, j1 = panels * (cs + 1) / csplit;
      if (j0 < j1) gemm_rows(mb * MC, std::min<int64_t>(M, (mb + 1) * MC), j0, j1, K, B, packA, crow, accumulate);
    }
  });
}
}  // namespace ab
