#include "api/cli/Demo.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "api/json/ClearingJson.h"
#include "api/json/ReportText.h"
#include "host/clearing/Clearing.h"
#include "host/margin/MarginEngine.h"
#include "host/model/WireNames.h"

namespace xm {
namespace {

// What happens next (contract §9): 200 Monte Carlo paths of 24 hourly steps and a one-step crash
// (BTC -30%, ETH -35%, every other coin -40%), the fund at 10% of the exchange's initial margin,
// losses past it deleveraged.
void clearingSummary(const MarginRequest& req, const MarginTotals& t, std::ostream& out) {
  SimulateRequest sim{req, ClearingConfig{}};
  ClearingConfig& c = sim.clearing;
  c.paths = 200;
  c.steps = 24;
  c.insuranceFund = 0.1 * t.initialMargin;
  StressPath crash{"crash", std::vector<std::vector<double>>(req.market.assets.size()), 1};
  for (size_t a = 0; a < req.market.assets.size(); ++a) {
    const Asset& asset = req.market.assets[a];
    if (!asset.risky() || asset.id == "USDT" || asset.id == "USDC") continue;
    crash.returns[a] = {asset.id == "BTC" ? -0.3 : asset.id == "ETH" ? -0.35 : -0.4};
  }
  c.stressPaths = {crash};
  out << "\nWhat happens next\n";
  out << clearingTable(sim, simulateClearing(sim.request, c));
}

}  // namespace

void runDemo(const ExchangeSpec& spec, int top, std::ostream& out) {
  const MarginRequest req = makeSyntheticExchange(spec);
  const MarginResponse res = computeMargin(req);
  const MarginTotals& t = res.totals;
  int options = 0;
  for (const Instrument& i : req.instruments) options += i.type == InstrumentType::Option;
  int risky = 0;
  for (const Asset& a : req.market.assets) risky += a.risky();

  char line[512];
  out << "xmargin demo: a synthetic exchange on the real market of " << req.market.asOfText << "\n";
  std::snprintf(line, sizeof line,
                "  %lld accounts, %d risky assets, %zu instruments (%d options), %lld scenarios, "
                "%.0f%% ES over %.0f day\n",
                static_cast<long long>(req.accounts.size()), risky, req.instruments.size(), options,
                static_cast<long long>(res.run.scenarios), req.config.confidence * 100,
                req.config.horizonDays);
  out << line;
  std::snprintf(line, sizeof line, "  backend %s (%s), %.2f s\n\n", wireName(res.run.backend),
                res.run.device.c_str(), res.run.elapsedMs / 1000);
  out << line;

  out << "Accounts by status\n";
  const double n = std::max<double>(1, t.accounts);
  for (auto [name, count] :
       {std::pair{"ok", t.ok}, {"margin_call", t.marginCall}, {"liquidate", t.liquidate}}) {
    std::snprintf(line, sizeof line, "  %-12s %8lld  %5.1f%%\n", name,
                  static_cast<long long>(count), 100.0 * count / n);
    out << line;
  }
  const double saved = t.isolatedMargin - t.initialMargin;
  out << "\nMargin (" << req.market.baseCurrency << ")\n";
  std::snprintf(line, sizeof line,
                "  equity                     %12s\n"
                "  initial margin, cross      %12s\n"
                "  isolated margin, summed    %12s\n"
                "  saved by cross-margining   %12s  (%.1f%% of isolated)\n\n",
                shortMoney(t.equity).c_str(), shortMoney(t.initialMargin).c_str(),
                shortMoney(t.isolatedMargin).c_str(), shortMoney(saved).c_str(),
                t.isolatedMargin > 0 ? 100.0 * saved / t.isolatedMargin : 0.0);
  out << line;

  // Riskiest: lowest coverage equity / initial margin.
  std::vector<size_t> order(res.accounts.size());
  std::iota(order.begin(), order.end(), 0);
  auto coverage = [&](size_t i) {
    const AccountResult& r = res.accounts[i];
    return r.initialMargin > 0 ? r.equity / r.initialMargin : HUGE_VAL;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return coverage(a) < coverage(b); });
  top = std::min<int>(top, static_cast<int>(order.size()));
  if (top > 0) {
    out << "Riskiest accounts (lowest equity / initial margin)\n";
    std::snprintf(line, sizeof line, "  %-12s %10s %10s %9s %9s %7s  %-12s %s\n", "account",
                  "equity", "init.marg", "coverage", "div.ben", "legs", "status",
                  "largest ES contributor");
    out << line;
    for (int k = 0; k < top; ++k) {
      const size_t i = order[k];
      const AccountResult& r = res.accounts[i];
      const Account& a = req.accounts[i];
      std::string largest = "-";
      double best = -HUGE_VAL;
      for (size_t p = 0; p < r.positions.size(); ++p) {
        if (r.positions[p].esContribution > best) {
          best = r.positions[p].esContribution;
          largest = req.instruments[a.positions[p].instrument].id;
        }
      }
      for (size_t c = 0; c < r.collateral.size(); ++c) {
        if (r.collateral[c].esContribution > best) {
          best = r.collateral[c].esContribution;
          largest = req.market.assets[a.collateral[c].asset].id + " collateral";
        }
      }
      std::snprintf(line, sizeof line, "  %-12s %10s %10s %8.2fx %8.1f%% %7zu  %-12s %s\n",
                    a.id.c_str(), shortMoney(r.equity).c_str(), shortMoney(r.initialMargin).c_str(),
                    coverage(i), 100 * r.diversificationBenefit,
                    a.positions.size() + a.collateral.size(), wireName(r.status), largest.c_str());
      out << line;
    }
  }
  clearingSummary(req, t, out);
}

}  // namespace xm
