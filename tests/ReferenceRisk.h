#pragma once
// A slow, obviously correct reference for one account's risk: every leg revalued from its
// instrument's definition in every scenario, full sorts instead of selection. The engine's
// fast path (P&L rows, CSR legs, partial selection) is tested against it. Under sobol sampling
// each replication's block is reduced on its own by the same sorts and the figures averaged;
// under antithetic sampling es_stderr comes from every pair's influence, not only the tail's.

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
  double esStderr = 0;                           // antithetic and sobol only
  std::vector<double> standalone, contribution;  // positions, then collateral
};

class ReferenceEngine {
 public:
  explicit ReferenceEngine(const MarginRequest& req) : req_(req) {
    factors_ = buildFactorModel(req.market, req.config.correlationRepair);
    ShockSpec spec{req.config.seed, req.config.shocks == ShockModel::StudentT, req.config.dof,
                   nullptr};
    spec.scenarios = req.config.scenarios;
    if (req.config.sampling == SamplingMethod::Antithetic) spec.sampling = Sampling::Antithetic;
    if (req.config.sampling == SamplingMethod::Sobol) {
      spec.sampling = Sampling::Sobol;
      spec.replications = req.config.replications;
    }
    ScenarioGenerator(factors_, spec).generate(0, req.config.scenarios, z_);
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
    if (req_.config.sampling == SamplingMethod::Sobol) return replicated(loss, legLoss);
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
    if (req_.config.sampling == SamplingMethod::Antithetic) {
      // h_p = (IF(L_2p) + IF(L_2p+1)) / 2, IF(L) = (L - VaR)+ S / k + VaR - ES, over every pair.
      const double scale = static_cast<double>(n) / static_cast<double>(k_);
      auto influence = [&](double l) { return std::max(0.0, l - r.var) * scale + r.var - r.es; };
      double sum = 0, sum2 = 0;
      const int64_t pairs = n / 2;
      for (int64_t p = 0; p < pairs; ++p) {
        const double h = 0.5 * (influence(loss[2 * p]) + influence(loss[2 * p + 1]));
        sum += h;
        sum2 += h * h;
      }
      const double mean = sum / static_cast<double>(pairs);
      r.esStderr = std::sqrt(std::max(0.0, sum2 / static_cast<double>(pairs) - mean * mean) /
                             static_cast<double>(pairs));
    }
    return r;
  }

 private:
  // Sobol: replication b holds scenarios [floor(b S / R), floor((b + 1) S / R)); its tail is
  // its k = ceil(p m) largest, the k-th counting p m - (k - 1) (the tail weighs p m scenarios).
  ReferenceRisk replicated(const std::vector<double>& loss,
                           const std::vector<std::vector<double>>& legLoss) const {
    const int64_t n = req_.config.scenarios;
    const int reps = req_.config.replications;
    const double p = 1.0 - req_.config.confidence;
    ReferenceRisk r;
    r.standalone.assign(legLoss.size(), 0.0);
    r.contribution.assign(legLoss.size(), 0.0);
    std::vector<double> esOf;
    for (int b = 0; b < reps; ++b) {
      const int64_t begin = b * n / reps, end = (b + 1) * n / reps;
      const int64_t m = end - begin;
      const int64_t k = tailCount(req_.config.confidence, m);
      double last = p * static_cast<double>(m) - static_cast<double>(k - 1);
      if (last >= 1.0 - 1e-9 || last <= 0.0) last = 1.0;
      const double weight = static_cast<double>(k - 1) + last;
      auto block = [&](const std::vector<double>& x) {
        return std::vector<double>(x.begin() + begin, x.begin() + end);
      };
      auto tailOf = [&](const std::vector<double>& x) {
        std::vector<int64_t> order(x.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](int64_t i, int64_t j) { return x[i] > x[j]; });
        order.resize(k);
        return order;  // the k-th (the VaR scenario) last
      };
      auto esOfTail = [&](const std::vector<double>& x, const std::vector<int64_t>& tail) {
        double sum = 0;
        for (int64_t s : tail) sum += x[s];
        return (sum - (1.0 - last) * x[tail.back()]) / weight;
      };
      const std::vector<double> l = block(loss);
      const std::vector<int64_t> tail = tailOf(l);
      r.var += l[tail.back()] / reps;
      esOf.push_back(esOfTail(l, tail));
      r.es += esOf.back() / reps;
      for (size_t g = 0; g < legLoss.size(); ++g) {
        const std::vector<double> x = block(legLoss[g]);
        r.standalone[g] += esOfTail(x, tailOf(x)) / reps;
        r.contribution[g] += esOfTail(x, tail) / reps;
      }
    }
    double ss = 0;
    for (double e : esOf) ss += (e - r.es) * (e - r.es);
    r.esStderr = std::sqrt(ss / (reps * (reps - 1.0)));
    return r;
  }

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
