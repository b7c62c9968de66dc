#include "host/MarginEngine.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "host/BackendRegistry.h"
#include "host/Errors.h"
#include "host/Margin.h"
#include "host/RiskProblem.h"
#include "host/Version.h"

namespace xm {
namespace {

void checkDeadline(const EngineOptions& options) {
  if (std::chrono::steady_clock::now() > options.deadline) {
    throw DeadlineError("the request exceeded its time limit");
  }
}

// Replaces the vols of the assets with history, and their correlations with each other, by EWMA
// estimates (MarketHistory.h); other assets and pairs keep the request's values.
void applyEwma(Market& m, double lambda, RunInfo& run) {
  const long long asOfDay = static_cast<long long>(std::floor(m.asOf / 86400.0));
  const EwmaEstimate e = estimateEwma(m.history, asOfDay, lambda, static_cast<int>(m.assets.size()));
  if (e.assets.empty()) {
    throw InputError("/config/vol_model", "/config/vol_model: \"ewma\" needs market.history (or "
                                          "xmargin run --prices DIR) for at least one asset");
  }
  run.volModel = "ewma";
  run.ewmaLambda = lambda;
  run.ewmaCommonDays = e.commonDays;
  for (size_t i = 0; i < e.assets.size(); ++i) {
    m.assets[e.assets[i]].vol = e.vol[i];
    run.estimates.push_back({m.assets[e.assets[i]].id, e.vol[i], e.days[i]});
    for (size_t j = 0; j < e.assets.size(); ++j) m.correlation(e.assets[i], e.assets[j]) = e.correlation(i, j);
  }
  m.correlationPath = "/market/history";
}

double msSince(std::chrono::steady_clock::time_point& mark) {
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - mark).count();
  mark = now;
  return ms;
}

}  // namespace

RunSummary runMargin(const MarginRequest& request, const EngineOptions& options, ResultSink& sink) {
  const auto start = std::chrono::steady_clock::now();
  auto mark = start;
  RunSummary summary;
  // The market the model runs on: the request's, or with EWMA vols and correlations.
  Market estimated;
  const Market* market = &request.market;
  if (request.config.volModel == VolModel::Ewma) {
    estimated = request.market;
    applyEwma(estimated, request.config.ewmaLambda, summary.run);
    market = &estimated;
  }
  const RiskProblem problem = compileProblem(request, *market);
  auto backend = makeBackend(request.config.backend);

  RunInfo& run = summary.run;
  run.backend = backend->name();
  run.device = backend->device();
  run.scenarios = problem.scenarios;
  run.seed = request.config.seed;
  run.tailCount = problem.tailCount;
  run.correlationRepair = problem.factors.repair;
  run.correlationRepairDistance = problem.factors.repairDistance;

  run.compileMs = msSince(mark);
  auto session = backend->prepare(problem);
  run.prepareMs = msSince(mark);
  run.precision = session->precision();
  checkDeadline(options);
  const int64_t total = static_cast<int64_t>(request.accounts.size());
  const int64_t batchSize =
      std::max<int64_t>(1, options.batchAccounts > 0 ? options.batchAccounts
                                                     : backend->batchAccounts(problem));
  BatchRisk risk;
  std::vector<AccountResult> results;
  for (int64_t first = 0; first < total; first += batchSize) {
    const int64_t count = std::min(batchSize, total - first);
    const AccountBatch batch = compileBatch(request, problem, first, count);
    session->compute(batch, risk);
    run.riskMs += msSince(mark);
    results.resize(count);
    for (int64_t i = 0; i < count; ++i) {
      results[i] = assessAccount(request, problem, first + i, risk, i, batch.legBegin[i]);
      summary.totals.add(results[i]);
    }
    sink.accounts(first, results);
    run.marginMs += msSince(mark);
    checkDeadline(options);
  }
  run.elapsedMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

MarginResponse computeMargin(const MarginRequest& request, const EngineOptions& options) {
  struct Collect final : ResultSink {
    std::vector<AccountResult>* out;
    void accounts(int64_t, const std::vector<AccountResult>& r) override {
      out->insert(out->end(), r.begin(), r.end());
    }
  };
  MarginResponse response;
  response.accounts.reserve(request.accounts.size());
  Collect sink;
  sink.out = &response.accounts;
  RunSummary s = runMargin(request, options, sink);
  response.run = std::move(s.run);
  response.totals = s.totals;
  return response;
}

}  // namespace xm
