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

}  // namespace xm
