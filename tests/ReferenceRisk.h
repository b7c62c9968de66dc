#pragma once
// A slow, obviously correct reference for one account's risk: every leg revalued from its
// instrument's definition in every scenario, full sorts instead of selection. The engine's
// fast path (P&L rows, CSR legs, partial selection) is tested against it.

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "host/engine/MarketFactors.h"
#include "host/engine/Pricing.h"
#include "host/engine/RiskProblem.h"
#include "host/model/MarginRequest.h"
#include "scenarios/FactorModel.h"
#include "scenarios/ScenarioGenerator.h"

namespace xm::test {

struct ReferenceRisk {
  double var = 0, es = 0;
  std::vector<double> standalone, contribution;  // positions, then collateral
};

class ReferenceEngine {
 public:
  explicit ReferenceEngine(const MarginRequest& req) : req_(req) {
    factors_ = buildFactorModel(req.market, req.config.correlationRepair);
    ScenarioGenerator(factors_, {req.config.seed, req.config.shocks == ShockModel::StudentT,
                                 req.config.dof, nullptr})
        .generate(0, req.config.scenarios, z_);
    k_ = tailCount(req.config.confidence, req.config.scenarios);
  }

  ReferenceRisk account(size_t index) const {
    const Account& a = req_.accounts[index];
    const int64_t n = req_.config.scenarios;
    std::vector<std::vector<double>> legLoss;
    for (const Position& p : a.positions) legLoss.push_back(positionLoss(p));
    for (const Collateral& c : a.collateral) legLoss.push_back(spotLoss(c.asset, c.amount));
    std::vector<double> loss(n, 0.0);
    for (const auto& l : legLoss)
      for (int64_t s = 0; s < n; ++s) loss[s] += l[s];
    ReferenceRisk r;
    const std::vector<int64_t> tail = topK(loss);
    r.var = loss[tail.back()];
    for (int64_t s : tail) r.es += loss[s] / static_cast<double>(k_);
    for (const auto& l : legLoss) {
      double standalone = 0, contribution = 0;
      for (int64_t s : topK(l)) standalone += l[s] / static_cast<double>(k_);
      for (int64_t s : tail) contribution += l[s] / static_cast<double>(k_);
      r.standalone.push_back(standalone);
      r.contribution.push_back(contribution);
    }
    return r;
  }

 private:
  // The k largest losses' scenarios by a full stable sort (ties: lower scenario first).
  std::vector<int64_t> topK(const std::vector<double>& loss) const {
    std::vector<int64_t> order(loss.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return loss[a] > loss[b]; });
    order.resize(k_);
    return order;
  }

  double priceLater(int asset, int64_t s) const {
    const Asset& a = req_.market.assets[asset];
    const int f = factors_.priceFactorOf[asset];
    if (f < 0) return a.price;
    const double h = req_.config.horizonDays / 365.0;
    return a.price * std::exp(a.vol * std::sqrt(h) * z_(f, s) - 0.5 * a.vol * a.vol * h);
  }

  std::vector<double> spotLoss(int asset, double units) const {
    std::vector<double> l(req_.config.scenarios);
    for (int64_t s = 0; s < req_.config.scenarios; ++s)
      l[s] = -units * (priceLater(asset, s) - req_.market.assets[asset].price);
    return l;
  }

  std::vector<double> positionLoss(const Position& p) const {
    const Instrument& ins = req_.instruments[p.instrument];
    const Market& m = req_.market;
    const double h = req_.config.horizonDays / 365.0;
    const double s0 = m.assets[ins.underlying].price;
    const double t0 = std::max(0.0, (ins.expiry - m.asOf) / kSecondsPerYear);
    const double th = std::max(0.0, t0 - h);
    const double size = p.qty * ins.contractSize;
    std::vector<double> l(req_.config.scenarios);
    for (int64_t s = 0; s < req_.config.scenarios; ++s) {
      const double sh = priceLater(ins.underlying, s);
      double change = 0;
      switch (ins.type) {
        case InstrumentType::Spot:
        case InstrumentType::Perpetual:
          change = sh - s0;
          break;
        case InstrumentType::InversePerpetual:
          change = sh / p.entryPrice - s0 / p.entryPrice;
          break;
        case InstrumentType::Future:
          change = sh * std::exp(m.rate * th) - s0 * std::exp(m.rate * t0);
          break;
        case InstrumentType::Option: {
          const Asset& u = m.assets[ins.underlying];
          const int v = factors_.volFactorOf[ins.underlying];
          const double ivh = v < 0 ? ins.iv
                                   : ins.iv * std::exp(u.volOfVol * std::sqrt(h) * z_(v, s) -
                                                       0.5 * u.volOfVol * u.volOfVol * h);
          const bool call = ins.right == OptionRight::Call;
          change = blackScholes(call, sh, ins.strike, th, ivh, m.rate) -
                   blackScholes(call, s0, ins.strike, t0, ins.iv, m.rate);
          break;
        }
      }
      l[s] = -size * change;
    }
    return l;
  }

  const MarginRequest& req_;
  FactorModel factors_;
  ShockMatrix z_;
  int64_t k_ = 1;
};

}  // namespace xm::test
