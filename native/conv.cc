#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "pool.h"

namespace ab {

namespace {

// Implicit im2col over a source [N, Hs, Ws, C]: row m = (n, oy, ox) on a gh × gw grid reads, for tap t,
// the pixel (oy·sy + by + ty[t], ox·sx + bx + tx[t]) (zero outside); column k = t·C + c.
struct Gather {
  const float* src;
  int64_t Hs, Ws, C, gh, gw, sy, sx, by, bx;
  std::vector<int64_t> ty, tx;
  int64_t K() const { return static_cast<int64_t>(ty.size()) * C; }

  // pointer to the C channels of tap t for row m, or nullptr when the pixel is padding
  const float* at(int64_t n, int64_t y0, int64_t x0, int64_t t) const {
    int64_t yy = y0 + ty[t], xx = x0 + tx[t];
    if (yy < 0 || yy >= Hs || xx < 0 || xx >= Ws) return nullptr;
    return src + ((n * Hs + yy) * Ws + xx) * C;
  }
  void origin(int64_t m, int64_t* n, int64_t* y0, int64_t* x0) const {
    int64_t ox = m % gw, rest = m / gw;
    int64_t oy = rest % gh;
    *n = rest / gh;
    *y0 = oy * sy + by;
    *x0 = ox * sx + bx;
  }

  // GEMM A panels (MR rows interleaved) for rows m0..m0+ml, columns k0..k0+kl
  void pack(float* dst, int64_t m0, int64_t ml, int64_t k0, int64_t kl) const {
    for (int64_t i = 0; i * MR < ml; i++) {
      float* p = dst + i * kl * MR;
      for (int64_t r = 0; r < MR; r++) {
        if (i * MR + r >= ml) {
          for (int64_t k = 0; k < kl; k++) p[k * MR + r] = 0.f;
          continue;
        }
        int64_t n, y0, x0;
        origin(m0 + i * MR + r, &n, &y0, &x0);
        int64_t k = k0, kend = k0 + kl;
        while (k < kend) {
          int64_t t = k / C, c = k % C, run = std::min(C - c, kend - k);
          const float* s = at(n, y0, x0, t);
          float* q = p + (k - k0) * MR + r;
          if (s)
            for (int64_t j = 0; j < run; j++) q[j * MR] = s[c + j];
          else
            for (int64_t j = 0; j < run; j++) q[j * MR] = 0.f;
          k += run;
        }
      }
    }
  }

  // row-major im2col rows m0..m0+ml (K wide)
  void rows(float* dst, int64_t m0, int64_t ml) const {
    const int64_t T = static_cast<int64_t>(ty.size());
    for (int64_t r = 0; r < ml; r++) {
      int64_t n, y0, x0;
      origin(m0 + r, &n, &y0, &x0);
      float* d = dst + r * T * C;
      for (int64_t t = 0; t < T; t++) {
        const float* s = at(n, y0, x0, t);
        if (s)
          std::memcpy(d + t * C, s, sizeof(float) * C);
        else
          std::memset(d + t * C, 0, sizeof(float) * C);
      }
    }
  }
};

Gather forward_gather(const ConvShape& s, const float* x) {
  Gather g{x, s.H, s.W, s.Ci, s.Ho, s.Wo, s.sh, s.sw, -s.pt, -s.pl, {}, {}};
  for (int64_t a = 0; a < s.KH; a++)
    for (int64_t b = 0; b < s.KW; b++) {
      g.ty.push_back(a * s.dh);
      g.tx.push_back(b * s.dw);
    }
  return g;
}

inline int64_t mod(int64_t v, int64_t m) { return ((v % m) + m) % m; }

// rows per task so a task does at least ~64k operations (thread wake-ups cost more than tiny tasks)
inline int64_t row_grain(int64_t work_per_row) { return std::max<int64_t>(1, 65536 / std::max<int64_t>(1, work_per_row)); }

// Zero-padded copy [N, Hp, Wp, C] of src [N, H, W, C], `top` rows and `left` columns of zeros first.
void make_padded(std::vector<float>& buf, const float* src, int64_t N, int64_t H, int64_t W, int64_t C, int64_t top, int64_t left, int64_t Hp, int64_t Wp) {
  buf.resize(static_cast<size_t>(N * Hp * Wp * C));
  float* dst = buf.data();
  parallel_for(N * Hp, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, Wp * C)), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; row++) {
      const int64_t n = row / Hp, y = row % Hp - top;
      float* d = dst + row * Wp * C;
      if (y < 0 || y >= H) {
        std::memset(d, 0, sizeof(float) * Wp * C);
        continue;
      }
      const int64_t right = Wp - left - W;
      std::memset(d, 0, sizeof(float) * left * C);
      std::memcpy(d + left * C, src + (n * H + y) * W * C, sizeof(float) * W * C);
      if (right > 0) std::memset(d + (left + W) * C, 0, sizeof(float) * right * C);
    }
  });
}

// B as full-K panels: panel j (NR columns) at j·K·NR, K rows of NR floats (zeros past N)
template <class Get>
void pack_b_full(std::vector<float>& bp, int64_t K, int64_t N, Get get) {
  const int64_t panels = (N + NR - 1) / NR;
  bp.assign(static_cast<size_t>(panels * K * NR), 0.f);
  for (int64_t j = 0; j < panels; j++) {
    const int64_t nl = std::min<int64_t>(NR, N - j * NR);
    float* d = bp.data() + j * K * NR;
    for (int64_t k = 0; k < K; k++)
      for (int64_t q = 0; q < nl; q++) d[k * NR + q] = get(k, j * NR + q);
  }
}

// C rows = Σ over taps and channels of A (read in place from a padded source) · B; rows in MR tiles
// split across threads, B (≤ 256 KB) shared; no packing of A.
template <class RowBase, class CRow>
void direct_gemm(int64_t M, int64_t C, const std::vector<int64_t>& toff, const std::vector<float>& bp, int64_t N, RowBase rowbase, CRow crow) {
  const int64_t K = static_cast<int64_t>(toff.size()) * C;
  const int64_t ntiles = (M + MR - 1) / MR, panels = (N + NR - 1) / NR;
  const int ntaps = static_cast<int>(toff.size());
  parallel_for(ntiles, std::max<int64_t>(1, (1 << 20) / std::max<int64_t>(1, MR * K * N)), [&](int64_t t0, int64_t t1) {
    const float* arow[MR];
    float* crows[MR];
    constexpr int64_t TB = 16;
    for (int64_t tb = t0; tb < t1; tb += TB) {
      const int64_t te = std::min(t1, tb + TB);
      for (int64_t j = 0; j < panels; j++) {
        const int nr = static_cast<int>(std::min<int64_t>(NR, N - j * NR));
        for (int64_t t = tb; t < te; t++) {
          const int64_t m0 = t * MR;
          const int mr = static_cast<int>(std::min<int64_t>(MR, M - m0));
          for (int r = 0; r < MR; r++) {
            const int64_t m = m0 + std::min(r, mr - 1);
            arow[r] = rowbase(m);
            crows[r] = crow(m);
          }
          micro_kernel_taps(ntaps, toff.data(), static_cast<int>(C), arow, bp.data() + j * K * NR, crows, static_cast<int>(j * NR), mr, nr, true);
        }
      }
    }
  });
}

// the direct path keeps one B panel (K·NR floats) near the core
constexpr int64_t DIRECT_MAX_K = 4096;

std::vector<float> g_padded, g_bfull;

}  // namespace

void conv2d_packed(const ConvShape& s, const float* x, const float* w, float* y);
void conv2d_backprop_input_direct(const ConvShape& s, const float* dy, const float* w, float* dx);

void conv2d(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const int64_t K = s.KH * s.KW * s.Ci;
  if (K <= DIRECT_MAX_K) {
    const int64_t Hp = std::max(s.H + s.pt, (s.Ho - 1) * s.sh + (s.KH - 1) * s.dh + 1);
    const int64_t Wp = std::max(s.W + s.pl, (s.Wo - 1) * s.sw + (s.KW - 1) * s.dw + 1);
    make_padded(g_padded, x, s.N, s.H, s.W, s.Ci, s.pt, s.pl, Hp, Wp);
    std::vector<int64_t> toff;
    for (int64_t a = 0; a < s.KH; a++)
      for (int64_t b = 0; b < s.KW; b++) toff.push_back((a * s.dh * Wp + b * s.dw) * s.Ci);
    pack_b_full(g_bfull, K, s.Co, [&](int64_t k, int64_t co) { return w[k * s.Co + co]; });
    const float* xp = g_padded.data();
    direct_gemm(
        s.N * s.Ho * s.Wo, s.Ci, toff, g_bfull, s.Co,
        [&](int64_t m) {
          const int64_t ox = m % s.Wo, rest = m / s.Wo, oy = rest % s.Ho, n = rest / s.Ho;
          return xp + ((n * Hp + oy * s.sh) * Wp + ox * s.sw) * s.Ci;
        },
        [&](int64_t m) { return y + m * s.Co; });
  } else {
    conv2d_packed(s, x, w, y);
  }
  if (bias) {
    const int64_t M = s.N * s.Ho * s.Wo;
    parallel_for(M, 4096, [&](int64_t b, int64_t e) {
      for (int64_t m = b; m < e; m++) {
        float* row = y + m * s.Co;
        for (int64_t c = 0; c < s.Co; c++) row[c] += bias[c];
      }
    });
  }
}

// im2col packed into GEMM panels (large K)
void conv2d_packed(const ConvShape& s, const float* x, const float* w, float* y) {
  Gather g = forward_gather(s, x);
  PackedB pb;
  pack_b_matrix(pb, w, g.K(), s.Co, s.Co, false);
  const int64_t M = s.N * s.Ho * s.Wo;
  gemm(
      M, g.K(), pb, [&](float* d, int64_t m0, int64_t ml, int64_t k0, int64_t kl) { g.pack(d, m0, ml, k0, kl); },
      [&](int64_t m) { return y + m * s.Co; }, false);
}

// dx[n, rh + sh·i, rw + sw·j] for each phase (rh, rw) of the stride is a dense convolution of dy with the
// taps whose forward position lands on that phase: no multiplications by the zeros of a dilated dy.
void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx) {
  if (s.KH * s.KW * s.Co <= DIRECT_MAX_K) return conv2d_backprop_input_direct(s, dy, w, dx);
  for (int64_t rh = 0; rh < s.sh; rh++) {
    for (int64_t rw = 0; rw < s.sw; rw++) {
      const int64_t gh = s.H > rh ? (s.H - rh + s.sh - 1) / s.sh : 0;
      const int64_t gw = s.W > rw ? (s.W - rw + s.sw - 1) / s.sw : 0;
      if (gh == 0 || gw == 0) continue;
      Gather g{dy, s.Ho, s.Wo, s.Co, gh, gw, 1, 1, 0, 0, {}, {}};
      std::vector<int64_t> ka, kb;
      for (int64_t a = 0; a < s.KH; a++) {
        int64_t v = rh + s.pt - a * s.dh;
        if (mod(v, s.sh) != 0) continue;
        for (int64_t b = 0; b < s.KW; b++) {
          int64_t u = rw + s.pl - b * s.dw;
          if (mod(u, s.sw) != 0) continue;
          g.ty.push_back(v / s.sh);
          g.tx.push_back(u / s.sw);
          ka.push_back(a);
          kb.push_back(b);
        }
      }
      const int64_t M = s.N * gh * gw;
      auto crow = [&](int64_t m) {
        int64_t j = m % gw, rest = m / gw;
        int64_t i = rest % gh, n = rest / gh;
        return dx + ((n * s.H + rh + s.sh * i) * s.W + rw + s.sw * j) * s.Ci;
      };
      if (g.ty.empty()) {
        for (int64_t m = 0; m < M; m++) std::memset(crow(m), 0, sizeof(float) * s.Ci);
        continue;
      }
      PackedB pb;
      pack_b(pb, g.K(), s.Ci, [&](int64_t k, int64_t ci) {
        int64_t t = k / s.Co, co = k % s.Co;
        return w[((ka[t] * s.KW + kb[t]) * s.Ci + ci) * s.Co + co];
      });
      gemm(
          M, g.K(), pb, [&](float* d, int64_t m0, int64_t ml, int64_t k0, int64_t kl) { g.pack(d, m0, ml, k0, kl); }, crow, false);
    }
  }
}

struct Phase {
  int64_t rh, rw, gh, gw;
  std::vector<int64_t> ty, tx, ka, kb;
};

std::vector<Phase> phases(const ConvShape& s) {
  std::vector<Phase> out;
  for (int64_t rh = 0; rh < s.sh; rh++)
    for (int64_t rw = 0; rw < s.sw; rw++) {
      Phase p{rh, rw, s.H > rh ? (s.H - rh + s.sh - 1) / s.sh : 0, s.W > rw ? (s.W - rw + s.sw - 1) / s.sw : 0, {}, {}, {}, {}};
      if (p.gh == 0 || p.gw == 0) continue;
      for (int64_t a = 0; a < s.KH; a++) {
        const int64_t v = rh + s.pt - a * s.dh;
        if (mod(v, s.sh) != 0) continue;
        for (int64_t b = 0; b < s.KW; b++) {
          const int64_t u = rw + s.pl - b * s.dw;
          if (mod(u, s.sw) != 0) continue;
          p.ty.push_back(v / s.sh);
          p.tx.push_back(u / s.sw);
          p.ka.push_back(a);
          p.kb.push_back(b);
        }
      }
      out.push_back(std::move(p));
    }
  return out;
}

// the phase decomposition over a dy padded once for every phase's taps
void conv2d_backprop_input_direct(const ConvShape& s, const float* dy, const float* w, float* dx) {
  std::vector<Phase> ps = phases(s);
  int64_t top = 0, left = 0, bottom = s.Ho, right = s.Wo;  // needed row range [−top, bottom) etc.
  for (const Phase& p : ps)
    for (size_t t = 0; t < p.ty.size(); t++) {
      top = std::max(top, -p.ty[t]);
      left = std::max(left, -p.tx[t]);
      bottom = std::max(bottom, p.gh - 1 + p.ty[t] + 1);
      right = std::max(right, p.gw - 1 + p.tx[t] + 1);
    }
  const int64_t Hp = top + bottom, Wp = left + right;
  make_padded(g_padded, dy, s.N, s.Ho, s.Wo, s.Co, top, left, Hp, Wp);
  const float* dyp = g_padded.data();
  for (const Phase& p : ps) {
    const int64_t M = s.N * p.gh * p.gw;
    auto crow = [&](int64_t m) {
      const int64_t j = m % p.gw, rest = m / p.gw, i = rest % p.gh, n = rest / p.gh;
      return dx + ((n * s.H + p.rh + s.sh * i) * s.W + p.rw + s.sw * j) * s.Ci;
    };
    if (p.ty.empty()) {
      for (int64_t m = 0; m < M; m++) std::memset(crow(m), 0, sizeof(float) * s.Ci);
      continue;
    }
    std::vector<int64_t> toff;
    for (size_t t = 0; t < p.ty.size(); t++) toff.push_back((p.ty[t] * Wp + p.tx[t]) * s.Co);
    const int64_t K = static_cast<int64_t>(toff.size()) * s.Co;
    pack_b_full(g_bfull, K, s.Ci, [&](int64_t k, int64_t ci) {
      const int64_t t = k / s.Co, co = k % s.Co;
      return w[((p.ka[t] * s.KW + p.kb[t]) * s.Ci + ci) * s.Co + co];
    });
    direct_gemm(
        M, s.Co, toff, g_bfull, s.Ci,
        [&](int64_t m) {
          const int64_t j = m % p.gw, rest = m / p.gw, i = rest % p.gh, n = rest / p.gh;
          return dyp + ((n * Hp + i + top) * Wp + j + left) * s.Co;
        },
        crow);
  }
}

// dw[(kh,kw,ci), co] = Σ_m im2col(x)[m, (kh,kw,ci)]·dy[m, co]: the long reduction over m is cut into
// chunks fixed by M alone; each chunk's partial is a small GEMM, and partials are added in chunk order.
// dw tiles of MR filter rows × NR output channels read x (padded) and dy in place: no im2col, no packing.
// The m axis is cut into chunks fixed by M and, within a chunk, blocks of DWB rows (L1-sized dy panels).
void conv2d_backprop_filter_direct(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int64_t Hp = std::max(s.H + s.pt, (s.Ho - 1) * s.sh + (s.KH - 1) * s.dh + 1);
  const int64_t Wp = std::max(s.W + s.pl, (s.Wo - 1) * s.sw + (s.KW - 1) * s.dw + 1);
  make_padded(g_padded, x, s.N, s.H, s.W, s.Ci, s.pt, s.pl, Hp, Wp);
  const float* xp = g_padded.data();
  const int64_t Kf = s.KH * s.KW * s.Ci, Co = s.Co, M = s.N * s.Ho * s.Wo;
  std::vector<int64_t> off(static_cast<size_t>(Kf));
  for (int64_t k = 0; k < Kf; k++) {
    const int64_t t = k / s.Ci, ci = k % s.Ci, a = t / s.KW, b = t % s.KW;
    off[k] = (a * s.dh * Wp + b * s.dw) * s.Ci + ci;
  }
  const int64_t nchunks = std::max<int64_t>(1, std::min<int64_t>(32, M / 512));
  std::vector<float> partials(static_cast<size_t>(nchunks > 1 ? nchunks * Kf * Co : 0));
  const int64_t ftiles = (Kf + MR - 1) / MR, panels = (Co + NR - 1) / NR;
  constexpr int64_t DWB = 256;
  parallel_for(nchunks, 1, [&](int64_t c0, int64_t c1) {
    std::vector<int64_t> base(static_cast<size_t>(DWB));
    float* crows[MR];
    int64_t offr[MR];
    for (int64_t c = c0; c < c1; c++) {
      float* out = nchunks > 1 ? partials.data() + c * Kf * Co : dw;
      const int64_t ms = M * c / nchunks, me = M * (c + 1) / nchunks;
      if (ms == me) std::memset(out, 0, sizeof(float) * Kf * Co);
      for (int64_t mb = ms; mb < me; mb += DWB) {
        const int kl = static_cast<int>(std::min<int64_t>(DWB, me - mb));
        for (int k = 0; k < kl; k++) {
          const int64_t m = mb + k, ox = m % s.Wo, rest = m / s.Wo, oy = rest % s.Ho, n = rest / s.Ho;
          base[k] = ((n * Hp + oy * s.sh) * Wp + ox * s.sw) * s.Ci;
        }
        for (int64_t j = 0; j < panels; j++) {
          const int nr = static_cast<int>(std::min<int64_t>(NR, Co - j * NR));
          for (int64_t ft = 0; ft < ftiles; ft++) {
            const int mr = static_cast<int>(std::min<int64_t>(MR, Kf - ft * MR));
            for (int r = 0; r < MR; r++) {
              const int64_t kf = ft * MR + std::min(r, mr - 1);
              offr[r] = off[kf];
              crows[r] = out + kf * Co;
            }
            micro_kernel_dw(kl, xp, base.data(), offr, dy + mb * Co + j * NR, Co, crows, static_cast<int>(j * NR), mr, nr, mb == ms);
          }
        }
      }
    }
  });
  if (nchunks > 1) {
    const int64_t total = Kf * Co;
    parallel_for(total, 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i++) {
        float acc = partials[i];
        for (int64_t c = 1; c < nchunks; c++) acc += partials[c * total + i];
        dw[i] = acc;
      }
    });
  }
}

void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw) {
  if (s.Ci >= 4) return conv2d_backprop_filter_direct(s, x, dy, dw);
  Gather g = forward_gather(s, x);
  const int64_t Kf = g.K(), Co = s.Co, M = s.N * s.Ho * s.Wo;
  const int64_t nchunks = std::max<int64_t>(1, std::min<int64_t>(32, M / 512));
  std::vector<float> partials(static_cast<size_t>(nchunks > 1 ? nchunks * Kf * Co : 0));
  parallel_for(nchunks, 1, [&](int64_t c0, int64_t c1) {
    std::vector<float> col(static_cast<size_t>(KC * Kf));
    std::vector<float> abuf(static_cast<size_t>(MC * KC));
    std::vector<float*> rowp(static_cast<size_t>(Kf));
    PackedB pb;
    float* rows[MR];
    for (int64_t c = c0; c < c1; c++) {
      float* out = nchunks > 1 ? partials.data() + c * Kf * Co : dw;
      for (int64_t r = 0; r < Kf; r++) rowp[r] = out + r * Co;
      const int64_t ms = M * c / nchunks, me = M * (c + 1) / nchunks;
      if (ms == me) std::memset(out, 0, sizeof(float) * Kf * Co);
      for (int64_t k0 = ms; k0 < me; k0 += KC) {
        const int64_t kl = std::min<int64_t>(KC, me - k0);
        g.rows(col.data(), k0, kl);
        pack_b_matrix(pb, dy + k0 * Co, kl, Co, Co, false);
        for (int64_t mb = 0; mb < Kf; mb += MC) {
          const int64_t ml = std::min<int64_t>(MC, Kf - mb);
          pack_a_matrix(abuf.data(), col.data(), Kf, true, mb, ml, 0, kl);
          for (int64_t j = 0; j * NR < Co; j++) {
            const int nr = static_cast<int>(std::min<int64_t>(NR, Co - j * NR));
            for (int64_t i = 0; i * MR < ml; i++) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, ml - i * MR));
              for (int r = 0; r < MR; r++) rows[r] = rowp[mb + i * MR + std::min(r, mr - 1)];
              micro_kernel(static_cast<int>(kl), abuf.data() + i * kl * MR, pb.panel(0, kl, j), rows, static_cast<int>(j * NR), mr, nr,
                           k0 == ms);
            }
          }
        }
      }
    }
  });
  if (nchunks > 1) {
    const int64_t total = Kf * Co;
    parallel_for(total, 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i++) {
        float acc = partials[i];
        for (int64_t c = 1; c < nchunks; c++) acc += partials[c * total + i];
        dw[i] = acc;
      }
    });
  }
}

void depthwise(const ConvShape& s, int64_t mult, const float* x, const float* w, float* y) {
  const int64_t C = s.Ci, Co = C * mult;
  parallel_for(s.N * s.Ho, row_grain(s.Wo * Co * s.KH * s.KW), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; row++) {
      const int64_t n = row / s.Ho, oy = row % s.Ho;
      for (int64_t ox = 0; ox < s.Wo; ox++) {
        float* yo = y + ((n * s.Ho + oy) * s.Wo + ox) * Co;
        std::memset(yo, 0, sizeof(float) * Co);
        for (int64_t a = 0; a < s.KH; a++) {
          const int64_t iy = oy * s.sh - s.pt + a * s.dh;
          if (iy < 0 || iy >= s.H) continue;
          for (int64_t bb = 0; bb < s.KW; bb++) {
            const int64_t ix = ox * s.sw - s.pl + bb * s.dw;
            if (ix < 0 || ix >= s.W) continue;
            const float* xi = x + ((n * s.H + iy) * s.W + ix) * C;
            const float* wk = w + (a * s.KW + bb) * Co;
            if (mult == 1) {
              for (int64_t c = 0; c < C; c++) yo[c] += xi[c] * wk[c];
            } else {
              for (int64_t c = 0; c < C; c++)
                for (int64_t q = 0; q < mult; q++) yo[c * mult + q] += xi[c] * wk[c * mult + q];
            }
          }
        }
      }
    }
  });
}

void depthwise_backprop_input(const ConvShape& s, int64_t mult, const float* dy, const float* w, float* dx) {
  const int64_t C = s.Ci, Co = C * mult;
  parallel_for(s.N * s.H, row_grain(s.W * Co * s.KH * s.KW), [&](int64_t b, int64_t e) {
    std::vector<float> tmp(static_cast<size_t>(C));
    for (int64_t row = b; row < e; row++) {
      const int64_t n = row / s.H, h = row % s.H;
      for (int64_t xw = 0; xw < s.W; xw++) {
        float* d = dx + ((n * s.H + h) * s.W + xw) * C;
        std::memset(d, 0, sizeof(float) * C);
        for (int64_t a = 0; a < s.KH; a++) {
          const int64_t v = h + s.pt - a * s.dh;
          if (v < 0 || v % s.sh != 0) continue;
          const int64_t oy = v / s.sh;
          if (oy >= s.Ho) continue;
          for (int64_t bb = 0; bb < s.KW; bb++) {
            const int64_t u = xw + s.pl - bb * s.dw;
            if (u < 0 || u % s.sw != 0) continue;
            const int64_t ox = u / s.sw;
            if (ox >= s.Wo) continue;
            const float* g = dy + ((n * s.Ho + oy) * s.Wo + ox) * Co;
            const float* wk = w + (a * s.KW + bb) * Co;
            if (mult == 1) {
              for (int64_t c = 0; c < C; c++) d[c] += g[c] * wk[c];
            } else {
              for (int64_t c = 0; c < C; c++) {
                float acc = 0.f;
                for (int64_t q = 0; q < mult; q++) acc += g[c * mult + q] * wk[c * mult + q];
                d[c] += acc;
              }
            }
          }
        }
      }
    }
  });
}

void depthwise_backprop_filter(const ConvShape& s, int64_t mult, const float* x, const float* dy, float* dw) {
  const int64_t C = s.Ci, Co = C * mult, R = s.N * s.Ho, F = s.KH * s.KW * Co;
  // chunks fixed by the shape (not the thread count), at least ~64k multiply-adds each
  const int64_t nchunks = std::max<int64_t>(1, std::min<int64_t>({32, R, R * s.Wo * Co * s.KH * s.KW / 65536}));
  std::vector<float> partials(static_cast<size_t>(nchunks * F));
  parallel_for(nchunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      float* acc = partials.data() + c * F;
      std::memset(acc, 0, sizeof(float) * F);
      for (int64_t row = R * c / nchunks; row < R * (c + 1) / nchunks; row++) {
        const int64_t n = row / s.Ho, oy = row % s.Ho;
        for (int64_t ox = 0; ox < s.Wo; ox++) {
          const float* g = dy + ((n * s.Ho + oy) * s.Wo + ox) * Co;
          for (int64_t a = 0; a < s.KH; a++) {
            const int64_t iy = oy * s.sh - s.pt + a * s.dh;
            if (iy < 0 || iy >= s.H) continue;
            for (int64_t bb = 0; bb < s.KW; bb++) {
              const int64_t ix = ox * s.sw - s.pl + bb * s.dw;
              if (ix < 0 || ix >= s.W) continue;
              const float* xi = x + ((n * s.H + iy) * s.W + ix) * C;
              float* wk = acc + (a * s.KW + bb) * Co;
              if (mult == 1) {
                for (int64_t ch = 0; ch < C; ch++) wk[ch] += xi[ch] * g[ch];
              } else {
                for (int64_t ch = 0; ch < C; ch++)
                  for (int64_t q = 0; q < mult; q++) wk[ch * mult + q] += xi[ch] * g[ch * mult + q];
              }
            }
          }
        }
      }
    }
  });
  parallel_for(F, 1024, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      double acc = 0;
      for (int64_t c = 0; c < nchunks; c++) acc += partials[c * F + i];
      dw[i] = static_cast<float>(acc);
    }
  });
}

}  // namespace ab
