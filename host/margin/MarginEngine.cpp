#include "host/margin/MarginEngine.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "host/engine/MarketFactors.h"
#include "host/engine/RiskProblem.h"
#include "host/margin/BackendRegistry.h"
#include "host/margin/Margin.h"
#include "host/market/MarketAdjusters.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"
#include "host/model/Version.h"

namespace xm {
namespace {

double msSince(std::chrono::steady_clock::time_point& mark) {
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - mark).count();
  mark = now;
  return ms;
}

}  // namespace

void checkDeadline(const EngineOptions& options, const char* what) {
  if (std::chrono::steady_clock::now() > options.deadline) {
    throw DeadlineError(std::string(what) + " exceeded its time limit");
  }
}

ModelMarket::ModelMarket(const MarginRequest& request, RunInfo& run) : request_(request) {
  const MarginConfig& config = request.config;
  adjusted_ = config.volModel == VolModel::Ewma || config.antiProcyclicality.enabled;
  if (adjusted_) {
    estimated_ = request.market;
    if (config.volModel == VolModel::Ewma)
      applyEwma(estimated_, request.instruments, config.ewmaLambda, run);
  }
  stressLevel_ = config.antiProcyclicality.enabled
                     ? applyAntiProcyclicality(estimated_, config, run)
                     : std::vector<double>(request.market.assets.size(), 0.0);
}

RunSummary runMargin(const MarginRequest& request, const EngineOptions& options, ResultSink& sink) {
  const auto start = std::chrono::steady_clock::now();
  auto mark = start;
  RunSummary summary;
  const ModelMarket model(request, summary.run);
  const Market* market = &model.market();
  MarginContext context;
  context.market = market;
  context.stressLevel = model.stressLevel();
  context.adv = averageVolumes(request, *market);
  for (const Instrument& ins : request.instruments)
    context.unitExposure.push_back(unitExposure(ins, *market));
  const RiskProblem problem = compileProblem(request, *market);
  auto backend = makeBackend(request.config.backend);

  RunInfo& run = summary.run;
  run.backend = backend->kind();
  run.device = backend->device();
  run.scenarios = problem.scenarios;
  run.seed = request.config.seed;
  run.tailCount = problem.tailCount;
  run.correlationRepair = correlationRepairOf(problem.factors.repair);
  run.correlationRepairDistance = problem.factors.repairDistance;

  run.compileMs = msSince(mark);
  auto session = backend->prepare(problem);
  run.prepareMs = msSince(mark);
  run.precision = session->precision();
  checkDeadline(options);
  const int64_t total = static_cast<int64_t>(request.accounts.size());
  const int64_t batchSize = std::max<int64_t>(
      1, options.batchAccounts > 0 ? options.batchAccounts : backend->batchAccounts(problem));
  BatchRisk risk;
  std::vector<AccountResult> results;
  for (int64_t first = 0; first < total; first += batchSize) {
    const int64_t count = std::min(batchSize, total - first);
    const AccountBatch batch = compileBatch(request, problem, first, count);
    session->compute(batch, risk);
    run.riskMs += msSince(mark);
    results.resize(count);
    for (int64_t i = 0; i < count; ++i) {
      results[i] = assessAccount(request, problem, context, first + i, risk, i, batch.legBegin[i]);
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
