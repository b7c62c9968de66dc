// The clearing simulation (Clearing.h): paths of moves, each run step by step — mark, circuit
// breakers, liquidation with cascading impact, the waterfall — then the figures over paths.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>

#include "host/base/Parallel.h"
#include "host/clearing/Clearing.h"
#include "host/clearing/PathRun.h"
#include "host/engine/Instruments.h"
#include "host/engine/MarketFactors.h"
#include "host/engine/Marking.h"
#include "host/engine/RiskProblem.h"
#include "host/margin/BackendRegistry.h"
#include "host/margin/MarginEngine.h"
#include "host/market/MarketAdjusters.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"
#include "scenarios/ScenarioGenerator.h"

namespace xm {
namespace {

using clearing::PathMoves;
using clearing::PathRun;
using clearing::Setup;

// Mean, median, and the 99% quantile and ES of the bad tail: the high values, or (lowIsBad, the
// fund's end balance) the low ones.
Distribution distribution(std::vector<double> x, bool lowIsBad = false) {
  Distribution d;
  if (x.empty()) return d;
  std::sort(x.begin(), x.end());
  if (lowIsBad) std::reverse(x.begin(), x.end());
  const size_t n = x.size();
  d.mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  d.median = n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);  // symmetric under reversal
  const size_t k =
      std::max<size_t>(1, static_cast<size_t>(std::ceil(0.01 * static_cast<double>(n))));
  d.q99 = x[n - k];
  d.es99 = std::accumulate(x.end() - static_cast<std::ptrdiff_t>(k), x.end(), 0.0) /
           static_cast<double>(k);
  d.lo = std::min(x.front(), x.back());
  d.hi = std::max(x.front(), x.back());
  d.counts.assign(Distribution::kHistogramBins, 0);
  const double width = (d.hi - d.lo) / Distribution::kHistogramBins;
  for (const double v : x) {
    const int bin = width > 0.0 ? static_cast<int>((v - d.lo) / width) : 0;
    ++d.counts[std::clamp(bin, 0, Distribution::kHistogramBins - 1)];
  }
  return d;
}

// The figures over Monte Carlo paths, added in path order (so they do not depend on threads).
class SummaryBuilder {
 public:
  SummaryBuilder(int64_t paths, double fund0, size_t accounts)
      : n_(static_cast<double>(paths)), fund0_(fund0) {
    s_.paths = paths;
    s_.probLiquidated.assign(accounts, 0.0);
    s_.expectedDeficit.assign(accounts, 0.0);
    s_.probDeleveraged.assign(accounts, 0.0);
    s_.expectedSocialized.assign(accounts, 0.0);
  }

  void add(const PathTally& o) {
    const double n = n_;
    end_.push_back(o.fundEnd);
    drawdown_.push_back(fund0_ - o.fundMin);
    count_.push_back(static_cast<double>(o.liquidations.size()));
    double nl = 0.0, ic = 0.0;
    for (const PathTally::Liquidated& l : o.liquidations) {
      nl += l.notional;
      ic += l.impactCost;
      s_.probLiquidated[l.account] += 1.0 / n;
    }
    notional_.push_back(nl);
    impact_.push_back(ic);
    s_.probExhausted += (o.fundMin <= 0.0 && o.deficits > o.fundDraw) / n;
    s_.probAdl += (o.adl > 0.0) / n;
    s_.meanAdl += o.adl / n;
    s_.probSocialized += (o.socialized > 0.0) / n;
    s_.meanSocialized += o.socialized / n;
    s_.probUncovered += (o.uncovered > 0.0) / n;
    s_.meanUncovered += o.uncovered / n;
    s_.meanBreakerFirings += static_cast<double>(o.breakerFirings) / n;
    if (o.cover2 > s_.worstCover2 || s_.worstCover2Path < 0) {
      s_.worstCover2 = o.cover2;
      s_.worstCover2Path = added_;
    }
    // Accounts ascending, as a loop over every account would add them.
    for (const auto& [i, d] : o.deficit) s_.expectedDeficit[i] += d / n;
    for (int64_t i : o.deleveraged) s_.probDeleveraged[i] += 1.0 / n;
    for (const auto& [i, c] : o.socializedCharge) s_.expectedSocialized[i] += c / n;
    ++added_;
  }

  ClearingSummary finish() {
    s_.fundEnd = distribution(end_, true);
    s_.fundDrawdown = distribution(drawdown_);
    s_.liquidations = distribution(count_);
    s_.liquidatedNotional = distribution(notional_);
    s_.impactCost = distribution(impact_);
    return std::move(s_);
  }

 private:
  double n_, fund0_;
  int64_t added_ = 0;
  ClearingSummary s_;
  std::vector<double> end_, drawdown_, count_, notional_, impact_;
};

// Monte Carlo moves: step shocks from the margin model's factors (draws a pure function of seed,
// path · steps + step and factor), each asset's log price moving by σ√h z - σ²h/2 and its
// implied vol by ν√h z_v - ν²h/2.
class MonteCarloPaths {
 public:
  MonteCarloPaths(const MarginRequest& request, const Market& market, const ClearingConfig& c)
      : market_(market),
        c_(c),
        problem_(compileProblem(request, market)),
        gen_(problem_.factors, problem_.shocks.plain()) {}

  // Path p's moves (a pure function of the seed and p): generated when its chunk runs, so
  // memory holds a chunk's moves, never every path's.
  PathMoves path(int64_t p) const {
    const ClearingConfig& c = c_;
    const Market& market = market_;
    const double h = c.stepHours / 24.0 / kDaysPerYear;
    const size_t nA = market.assets.size();
    PathMoves m;
    ShockMatrix z;
    gen_.generate(p * c.steps, c.steps, z);
    m.steps = c.steps;
    m.stepYears = h;
    m.logPrice.assign(static_cast<size_t>(c.steps) * nA, 0.0);
    m.logIv.assign(static_cast<size_t>(c.steps) * nA, 0.0);
    for (int t = 0; t < c.steps; ++t) {
      for (size_t a = 0; a < nA; ++a) {
        const Asset& asset = market.assets[a];
        const int pf = problem_.factors.priceFactorOf[a], vf = problem_.factors.volFactorOf[a];
        if (pf >= 0) {
          m.logPrice[t * nA + a] =
              asset.vol * std::sqrt(h) * z(pf, t) - 0.5 * asset.vol * asset.vol * h;
        }
        if (vf >= 0) {
          m.logIv[t * nA + a] =
              asset.volOfVol * std::sqrt(h) * z(vf, t) - 0.5 * asset.volOfVol * asset.volOfVol * h;
        }
      }
    }
    return m;
  }

 private:
  const Market& market_;
  const ClearingConfig& c_;
  const RiskProblem problem_;
  const ScenarioGenerator gen_;
};

PathMoves stressMoves(const StressPath& path, size_t assets, double stepHours) {
  PathMoves m;
  m.steps = path.steps;
  m.stepYears = stepHours / 24.0 / kDaysPerYear;
  m.logPrice.assign(static_cast<size_t>(path.steps) * assets, 0.0);
  m.logIv.assign(static_cast<size_t>(path.steps) * assets, 0.0);
  for (size_t a = 0; a < assets && a < path.returns.size(); ++a) {
    for (size_t t = 0; t < path.returns[a].size(); ++t) {
      m.logPrice[t * assets + a] = std::log1p(path.returns[a][t]);
    }
  }
  return m;
}

// Consecutive days of market.history from `from` to `to`: step t moves each asset with history
// by its close on day from + t over the day before (and its iv likewise); daily steps. A risky
// asset without any close in the window does not move (listed in `held`); one with some but
// not all of the days is an error naming the missing day.
PathMoves replayMoves(const Market& market, const ClearingConfig& c,
                      std::vector<std::string>* held) {
  PathMoves m;
  const size_t nA = market.assets.size();
  m.steps = static_cast<int>(c.replayTo - c.replayFrom);
  m.stepYears = 1.0 / kDaysPerYear;
  m.logPrice.assign(static_cast<size_t>(m.steps) * nA, 0.0);
  m.logIv.assign(static_cast<size_t>(m.steps) * nA, 0.0);
  int withHistory = 0;
  for (const auto& entry : market.history) {
    const int a = entry.first;
    const std::vector<DailyClose>& closes = entry.second;  // a lambda captures it (clang 14)
    auto on = [&](long long day) -> const DailyClose* {
      auto it = std::lower_bound(closes.begin(), closes.end(), day,
                                 [](const DailyClose& d, long long x) { return d.day < x; });
      return it != closes.end() && it->day == day ? &*it : nullptr;
    };
    if (!market.assets[a].risky()) continue;
    bool any = false;
    for (int t = 0; t <= m.steps && !any; ++t) any = on(c.replayFrom + t) != nullptr;
    if (!any) {  // no close in the window (not yet listed, say): it does not move
      if (held) held->push_back(market.assets[a].id);
      continue;
    }
    for (int t = 0; t < m.steps; ++t) {
      const DailyClose* d0 = on(c.replayFrom + t);
      const DailyClose* d1 = on(c.replayFrom + t + 1);
      if (!d0 || !d1) {
        throw InputError("/clearing/replay",
                         "/clearing/replay: " + market.assets[a].id + " has no close on " +
                             formatDate(d0 ? c.replayFrom + t + 1 : c.replayFrom + t) +
                             " (a replay needs every day from `from` to `to`)");
      }
      m.logPrice[t * nA + a] = std::log(d1->close / d0->close);
      if (d0->iv > 0 && d1->iv > 0) m.logIv[t * nA + a] = std::log(d1->iv / d0->iv);
    }
    ++withHistory;
  }
  if (withHistory == 0) {
    throw InputError(
        "/clearing/replay",
        "/clearing/replay: needs market.history (or --prices DIR) for the risky assets");
  }
  return m;
}

// Runs paths in lockstep: each step advances every path still running, marks every account in
// all of them at once (the marker: CPU threads or the GPU), then settles each path (liquidation
// and the waterfall, path by path in parallel). Figures do not depend on the marker or threads.
void runLockstep(std::vector<PathRun>& runs, const Setup& s, AccountMarker& marker,
                 const EngineOptions& options) {
  const size_t nI = s.request.instruments.size(), nA = s.request.market.assets.size(),
               nN = s.request.accounts.size();
  int maxSteps = 0;
  for (PathRun& r : runs) {
    r.begin();
    maxSteps = std::max(maxSteps, r.steps());
  }
  std::vector<size_t> active;
  std::vector<double> units, prices, ivMult, elapsed, equity;
  for (int t = 1; t <= maxSteps; ++t) {
    checkDeadline(options, "the simulation");
    active.clear();
    for (size_t p = 0; p < runs.size(); ++p)
      if (runs[p].steps() >= t) active.push_back(p);
    const int64_t n = static_cast<int64_t>(active.size());
    const bool host = marker.onHost();
    prices.resize(active.size() * nA);
    ivMult.resize(active.size() * nA);
    elapsed.resize(active.size());
    units.resize(host ? 0 : active.size() * nI);
    equity.resize(host ? 0 : active.size() * nN);
    ParallelErrors errors;
#pragma omp parallel for schedule(dynamic)
    for (int64_t j = 0; j < n; ++j) {
      errors.capture([&] {
        runs[active[j]].advance(t, host, prices.data() + j * nA, ivMult.data() + j * nA,
                                elapsed.data() + j);
      });
    }
    errors.rethrow();
    if (!host) {
      marker.mark(static_cast<int>(n), prices.data(), ivMult.data(), elapsed.data(), units.data(),
                  equity.data());
    }
#pragma omp parallel for schedule(dynamic)
    for (int64_t j = 0; j < n; ++j) {
      errors.capture([&] {
        runs[active[j]].settle(t, host ? nullptr : equity.data() + j * nN,
                               host ? nullptr : units.data() + j * nI);
      });
    }
    errors.rethrow();
  }
}

// Named paths: every figure of every path kept.
std::vector<PathOutcome> runNamed(const Setup& setup, const std::vector<PathMoves>& moves,
                                  bool breaker, AccountMarker& marker,
                                  const EngineOptions& options) {
  std::vector<PathRun> runs;
  for (const PathMoves& m : moves) runs.emplace_back(setup, m, breaker, true);
  runLockstep(runs, setup, marker, options);
  std::vector<PathOutcome> out;
  for (PathRun& r : runs) out.push_back(r.finish());
  return out;
}

PathTally tallyOf(const PathOutcome& o) {
  PathTally t;
  t.fundEnd = o.fundEnd;
  t.fundMin = o.fundMin;
  t.deficits = o.deficits;
  t.fundDraw = o.fundDraw;
  t.adl = o.adl;
  t.socialized = o.socialized;
  t.uncovered = o.uncovered;
  t.cover2 = o.cover2;
  t.breakerFirings = o.breakerFirings;
  for (const Liquidation& l : o.liquidations)
    t.liquidations.push_back({l.account, l.notional, l.impactCost});
  for (size_t i = 0; i < o.deficit.size(); ++i) {
    const auto a = static_cast<int64_t>(i);
    if (o.deficit[i] != 0.0) t.deficit.emplace_back(a, o.deficit[i]);
    if (o.deleveragedQty[i] > 0.0) t.deleveraged.push_back(a);
    if (o.socializedCharge[i] != 0.0) t.socializedCharge.emplace_back(a, o.socializedCharge[i]);
  }
  return t;
}

// Paths [first, last) in chunks of 64, each path's tally handed to `take` in path order.
void runPaths(const Setup& setup, const MonteCarloPaths& paths, bool breaker, AccountMarker& marker,
              const EngineOptions& options, int64_t begin, int64_t end,
              const std::function<void(int64_t, PathTally)>& take) {
  constexpr int64_t kChunk = 64;
  for (int64_t first = begin; first < end; first += kChunk) {
    const int64_t count = std::min(kChunk, end - first);
    std::vector<PathMoves> moves(static_cast<size_t>(count));
    ParallelErrors errors;
#pragma omp parallel for schedule(dynamic)
    for (int64_t p = 0; p < count; ++p) {
      errors.capture([&] { moves[p] = paths.path(first + p); });
    }
    errors.rethrow();
    std::vector<PathRun> runs;
    for (const PathMoves& m : moves) runs.emplace_back(setup, m, breaker, false);
    runLockstep(runs, setup, marker, options);
    for (int64_t p = 0; p < count; ++p) take(first + p, tallyOf(runs[p].finish()));
    if (options.progress) options.progress->progress("paths", first + count - begin, end - begin);
  }
}

// Monte Carlo paths in chunks: a chunk's moves are generated, its paths run in lockstep, then
// join the summary in path order as tallies and are dropped, so memory holds one chunk's paths,
// not every path. With `shards`, this process's paths only; their tallies meet on rank 0.
ClearingSummary runMonteCarlo(const Setup& setup, const MonteCarloPaths& paths, bool breaker,
                              AccountMarker& marker, const EngineOptions& options,
                              const PathShards* shards) {
  const int64_t total = setup.config.paths;
  SummaryBuilder summary(total, setup.config.insuranceFund, setup.request.accounts.size());
  if (shards) {
    const std::pair<int64_t, int64_t> share = shards->mine(total);
    const int64_t mineFirst = share.first, mineLast = share.second;  // lambdas capture these
    std::vector<PathTally> tallies(static_cast<size_t>(total));
    std::optional<ErrorReport> failure;
    try {
      runPaths(setup, paths, breaker, marker, options, mineFirst, mineLast,
               [&](int64_t p, PathTally t) { tallies[p] = std::move(t); });
    } catch (...) {
      failure = reportCurrentException();
    }
    shards->complete(tallies, mineFirst, mineLast, failure);
    if (!shards->reports()) return {};
    for (const PathTally& t : tallies) summary.add(t);
    return summary.finish();
  }
  runPaths(setup, paths, breaker, marker, options, 0, total,
           [&](int64_t, PathTally t) { summary.add(t); });
  return summary.finish();
}

}  // namespace

ClearingResult simulateClearing(const MarginRequest& request, const ClearingConfig& config,
                                const EngineOptions& options, const MarkerFactory& makeTestMarker,
                                const PathShards* shards) {
  ClearingResult result;
  result.t0 = computeMargin(request, options);
  RunInfo scratch;
  const ModelMarket model(request, scratch);
  const Market& market = model.market();
  Setup setup{request, config};
  for (size_t i = 0; i < request.accounts.size(); ++i) {
    const AccountResult& a = result.t0.accounts[i];
    setup.mm.push_back(a.maintenanceMargin);
    setup.im.push_back(a.initialMargin);
    setup.equity0.push_back(a.equity);
    setup.ids.push_back(request.accounts[i].id);
  }
  for (const Asset& a : market.assets) setup.vol.push_back(a.vol);
  clearing::compileBook(request, setup.book);
  // Impact needs each traded asset's daily volume, as the liquidity add-on does.
  if (config.impactCoefficient > 0.0) {
    try {
      setup.adv = dailyVolumes(request, market, request.config.addOns.advDays);
    } catch (const InputError& e) {
      throw InputError(e.path(),
                       std::string(e.what()) +
                           " (the liquidation impact of /clearing/liquidation/impact needs "
                           "it; or set its coefficient to 0)");
    }
  } else {
    setup.adv.assign(market.assets.size(), -1.0);
  }
  // Holders per instrument in a canonical order (account id, then position), so that the ADL
  // queue's ties, like every other figure, do not depend on the request's account order.
  setup.holders.resize(request.instruments.size());
  std::vector<size_t> byId(request.accounts.size());
  std::iota(byId.begin(), byId.end(), 0);
  std::stable_sort(byId.begin(), byId.end(), [&](size_t a, size_t b) {
    return request.accounts[a].id < request.accounts[b].id;
  });
  for (size_t i : byId) {
    const auto& ps = request.accounts[i].positions;
    for (size_t p = 0; p < ps.size(); ++p) {
      setup.holders[ps[p].instrument].emplace_back(static_cast<int>(i), static_cast<int>(p));
    }
  }

  const MonteCarloPaths mc(request, market, config);
  std::vector<PathMoves> named;
  std::vector<std::string> names;
  for (const StressPath& s : config.stressPaths) {
    named.push_back(stressMoves(s, market.assets.size(), config.stepHours));
    names.push_back(s.name);
  }
  if (config.replay) {
    named.push_back(replayMoves(market, config, &result.replayHeld));
    names.push_back("replay " + formatDate(config.replayFrom) + ".." + formatDate(config.replayTo));
  }
  result.steps = config.steps;
  result.stepHours = config.stepHours;
  const bool breaker = config.circuitBreaker;
  const std::unique_ptr<AccountMarker> marker =
      makeTestMarker ? makeTestMarker(setup.book)
                     : makeMarker(request.config.backend, setup.book, &result.backend);
  // The named paths run where the result is reported (every process without shards).
  const bool reports = !shards || shards->reports();
  result.monteCarlo = runMonteCarlo(setup, mc, breaker, *marker, options, shards);
  if (reports) {
    const std::vector<PathOutcome> namedOut = runNamed(setup, named, breaker, *marker, options);
    for (size_t i = 0; i < namedOut.size(); ++i) result.named.push_back({names[i], namedOut[i]});
  }
  if (breaker) {
    result.compared = true;
    result.monteCarloWithoutBreaker = runMonteCarlo(setup, mc, false, *marker, options, shards);
    if (reports) {
      const std::vector<PathOutcome> without = runNamed(setup, named, false, *marker, options);
      for (size_t i = 0; i < without.size(); ++i)
        result.namedWithoutBreaker.push_back({names[i], without[i]});
    }
  }
  return result;
}

}  // namespace xm
