#pragma once
// The reduction rules both backends share (XM_HD: compiled for host and device), so the CPU
// backend (CpuBackend.cpp, TailSelection.cpp) and the CUDA kernels (cuda/CudaKernels.cu) cannot
// drift apart: which values are plausible, which legs move an account, the order a scenario's
// loss accumulates in, the Monte Carlo error of ES, and the Euler contribution of a leg.

#include <cmath>
#include <cstdint>

#include "host/model/Units.h"
#include "scenarios/HostDevice.h"

namespace xm {

// A row's P&L per unit in a scenario is plausible within ±kMaxUnitPnl (false for NaN too).
XM_HD bool plausibleUnitPnl(double v) { return fabs(v) <= kMaxUnitPnl; }

// A leg moves its account when it sits on a row (not riskless) with a nonzero weight.
XM_HD bool legMoves(int row, double weight) { return row >= 0 && weight != 0.0; }

// An account's loss in a scenario, legs added in request order: the first moving leg's
// -(w x), then loss - w x for each next one. Both backends add in exactly this order.
XM_HD double firstLegLoss(double w, double x) { return -(w * x); }
XM_HD double nextLegLoss(double loss, double w, double x) { return loss - w * x; }

// The Monte Carlo standard error of ES from its k tail losses (contract §3): sqrt((tail variance
// + confidence (ES - VaR)^2) / k), with `tailSumSq` = Σ (loss_i - ES)^2 over the tail.
XM_HD double esStandardError(double tailSumSq, double es, double var, double confidence,
                             int64_t k) {
  const double kd = static_cast<double>(k);
  const double gap = es - var;
  return sqrt((tailSumSq / kd + confidence * gap * gap) / kd);
}

// A leg's Euler contribution to ES: -w times the mean of its row over the account's tail
// scenarios, from `tailSum` = Σ row[s] over the tail.
XM_HD double eulerContribution(double w, double tailSum, int64_t k) {
  return -w * tailSum * (1.0 / static_cast<double>(k));
}

// ---- sampling (docs/sampling.md) ---------------------------------------------------------------

// A block of consecutive scenarios whose tail is selected on its own: the whole set under mc and
// antithetic sampling, each randomised replication under sobol. Its k largest losses are its
// tail; the k-th largest (its VaR) counts with weight `lastWeight`, so that the tail holds exactly
// (1 - confidence) of the block: p · count - (k - 1) under sobol (Acerbi & Tasche's empirical ES,
// unbiased whatever the block's size), 1 under mc and antithetic (contract §3's k = ceil(p S)).
struct Replication {
  int64_t begin = 0, count = 0;  // scenarios [begin, begin + count)
  int64_t k = 0;                 // its tail: the k largest losses
  int64_t tailOffset = 0;        // where its k scenario indices start in an account's tail
  double lastWeight = 1.0;       // in (0, 1]
};

// The block's ES from the sum of its k largest losses and the k-th largest. With lastWeight 1
// it is contract §3's mean of the k largest, computed exactly as before sampling existed.
XM_HD double replicationEs(double tailSum, double var, const Replication& r) {
  if (r.lastWeight == 1.0) return tailSum / static_cast<double>(r.k);
  return (tailSum - (1.0 - r.lastWeight) * var) / (static_cast<double>(r.k - 1) + r.lastWeight);
}

// A leg's Euler contribution to the block's ES: `tailSum` = Σ row[s] over the block's tail,
// `atVar` = row[the VaR scenario] (the tail's last scenario with the k-th largest loss).
XM_HD double replicationContribution(double w, double tailSum, double atVar, const Replication& r) {
  if (r.lastWeight == 1.0) return eulerContribution(w, tailSum, r.k);
  return -w * (tailSum - (1.0 - r.lastWeight) * atVar) /
         (static_cast<double>(r.k - 1) + r.lastWeight);
}

// Mean and spread of the replications' figures, added in replication order (Welford's update):
// the same bits on every backend. The standard error of the mean is sqrt(m2 / (R (R - 1))).
struct ReplicationMoments {
  int n = 0;
  double mean = 0.0, m2 = 0.0;
  XM_HD void add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
  }
  XM_HD double standardError() const {
    return n > 1 ? sqrt(m2 / (static_cast<double>(n) * static_cast<double>(n - 1))) : 0.0;
  }
};

// The Monte Carlo standard error of ES under antithetic sampling, from the pairs (2p, 2p + 1):
// ES - its estimate is to first order the mean over pairs of h_p = (IF(L_2p) + IF(L_2p+1)) / 2,
// IF(L) = (L - VaR)+ / p + VaR - ES, with p = k / S. With e = L - VaR over the k tail losses,
//   s1 = Σ e,   s2 = Σ e² + 2 Σ e_2p e_2p+1 (pairs whose both scenarios are in the tail),
// Var(h) / (S / 2) gives (s2 - 2 s1² / S) / k². Independent scenarios would give
// (Σ e² - s1² / S) / k², contract §3's formula.
XM_HD double antitheticEsStandardError(double s1, double s2, int64_t scenarios, int64_t k) {
  const double kd = static_cast<double>(k);
  const double v = s2 - 2.0 * s1 * s1 / static_cast<double>(scenarios);
  return v > 0.0 ? sqrt(v) / kd : 0.0;
}

}  // namespace xm
