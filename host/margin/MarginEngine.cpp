#include "host/margin/MarginEngine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

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

PreparedMarket::PreparedMarket(const MarginRequest& definition, RowSet rows,
                               const EngineOptions& options,
                               std::shared_ptr<const ShockMatrix> shocks)
    : definition_(definition) {
  const auto start = std::chrono::steady_clock::now();
  auto mark = start;
  model_ = std::make_unique<ModelMarket>(definition, run_);
  const Market* market = &model_->market();
  context_.market = market;
  context_.stressLevel = model_->stressLevel();
  const AddOnConfig& addOns = definition.config.addOns;
  if (addOns.liquidityCoefficient > 0.0) {
    adv_ = volumeEstimates(*market, addOns.advDays);
    checkVolumes(adv_, *market, definition.instruments, definition.accounts);
    context_.adv = adv_;
  } else {
    context_.adv.assign(market->assets.size(), -1.0);
  }
  for (const Instrument& ins : definition.instruments)
    context_.unitExposure.push_back(unitExposure(ins, *market));
  problem_ = compileProblem(definition, *market, rows);
  if (problem_.grid && definition.config.gridAggregation == GridAggregation::Correlation) {
    // The price correlation the scenarios use (repaired if it was): L L'.
    const StressGrid& grid = *problem_.grid;
    const Eigen::MatrixXd c = problem_.factors.loading * problem_.factors.loading.transpose();
    const int blocks = grid.blocks();
    context_.gridCorrelation.resize(static_cast<size_t>(blocks) * blocks);
    for (int i = 0; i < blocks; ++i) {
      for (int j = 0; j < blocks; ++j) {
        context_.gridCorrelation[i * blocks + j] =
            c(problem_.factors.priceFactorOf[grid.blockAsset[i]],
              problem_.factors.priceFactorOf[grid.blockAsset[j]]);
      }
    }
  }
  backend_ = makeBackend(definition.config.backend);

  run_.method = definition.config.method;
  run_.compare = definition.config.compare;
  run_.backend = backend_->kind();
  run_.device = backend_->device();
  run_.scenarios = problem_.scenarios;
  run_.seed = definition.config.seed;
  run_.tailCount = problem_.tailCount;
  run_.sampling = definition.config.sampling;
  run_.replications = static_cast<int>(problem_.replications.size());
  run_.correlationRepair = correlationRepairOf(problem_.factors.repair);
  run_.correlationRepairDistance = problem_.factors.repairDistance;

  run_.compileMs = msSince(mark);
  session_ =
      shocks ? backend_->prepareOn(problem_, std::move(shocks)) : backend_->prepare(problem_);
  run_.prepareMs = msSince(mark);
  run_.precision = session_->precision();
  batchAccounts_ = std::max<int64_t>(
      1, options.batchAccounts > 0 ? options.batchAccounts : backend_->batchAccounts(problem_));
  checkDeadline(options);
}

int64_t PreparedMarket::bytes() const {
  int64_t rows = static_cast<int64_t>(problem_.rows.size() * sizeof(PnlRow));
  for (const std::string& s : problem_.rowSource) rows += static_cast<int64_t>(s.size());
  return session_->bytes() + rows;
}

RunSummary PreparedMarket::run(const std::vector<Account>& accounts, const EngineOptions& options,
                               ResultSink& sink) const {
  const auto start = std::chrono::steady_clock::now();
  auto mark = start;
  RunSummary summary;
  summary.run = run_;
  RunInfo& run = summary.run;
  if (&accounts != &definition_.accounts) {
    run.compileMs = run.prepareMs = 0.0;  // prepared before this request
    if (!adv_.empty()) checkVolumes(adv_, *context_.market, definition_.instruments, accounts);
  }
  const int64_t total = static_cast<int64_t>(accounts.size());
  const int64_t batchSize = options.batchAccounts > 0 ? options.batchAccounts : batchAccounts_;
  BatchRisk risk;
  std::vector<AccountResult> results;
  for (int64_t first = 0; first < total; first += batchSize) {
    const int64_t count = std::min(batchSize, total - first);
    const AccountBatch batch =
        compileBatch(accounts, definition_.instruments, problem_, first, count);
    session_->compute(batch, risk);
    run.riskMs += msSince(mark);
    results.resize(count);
    for (int64_t i = 0; i < count; ++i) {
      results[i] = assessAccount(definition_, accounts[first + i], problem_, context_, risk, i,
                                 batch.legBegin[i]);
      summary.totals.add(results[i]);
    }
    sink.accounts(first, results);
    run.marginMs += msSince(mark);
    if (options.progress) options.progress->progress("accounts", first + count, total);
    checkDeadline(options);
  }
  const double own =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  run.elapsedMs = own + run.compileMs + run.prepareMs;
  return summary;
}

std::vector<AccountResult> PreparedMarket::assess(const std::vector<Account>& accounts) const {
  if (!adv_.empty()) checkVolumes(adv_, *context_.market, definition_.instruments, accounts);
  const int64_t count = static_cast<int64_t>(accounts.size());
  const AccountBatch batch = compileBatch(accounts, definition_.instruments, problem_, 0, count);
  BatchRisk risk;
  session_->compute(batch, risk);
  std::vector<AccountResult> results(count);
  for (int64_t i = 0; i < count; ++i)
    results[i] =
        assessAccount(definition_, accounts[i], problem_, context_, risk, i, batch.legBegin[i]);
  return results;
}

RunSummary runMargin(const MarginRequest& request, const EngineOptions& options, ResultSink& sink) {
  const auto start = std::chrono::steady_clock::now();
  const PreparedMarket prepared(request, RowSet::Held, options);
  RunSummary summary = prepared.run(request.accounts, options, sink);
  summary.run.elapsedMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

void EarlyPreparation::start(const MarginRequest& catalogue, const EngineOptions& options,
                             const std::function<void(MarginRequest&)>& adjust) {
  if (jobGiven_) throw std::logic_error("EarlyPreparation::start after run");
  if (worker_.joinable()) {  // started before: that preparation is abandoned for this one
    job_.set_value(nullptr);
    worker_.join();
    job_ = {};
    done_ = {};
  }
  start_ = std::chrono::steady_clock::now();
  definition_.market = catalogue.market;
  definition_.instruments = catalogue.instruments;
  definition_.config = catalogue.config;
  if (adjust) adjust(definition_);
  worker_ = std::thread([this, options, job = job_.get_future()]() mutable {
    std::unique_ptr<PreparedMarket> prepared;
    std::exception_ptr failed;
    try {
      prepared = std::make_unique<PreparedMarket>(definition_, RowSet::All, options);
    } catch (...) {
      failed = std::current_exception();
    }
    const Job* given = job.get();
    if (!given) return;  // abandoned: the market ends here, on its thread
    try {
      if (failed) std::rethrow_exception(failed);
      RunSummary summary = prepared->run(given->request->accounts, *given->options, *given->sink);
      summary.run.compileMs = prepared->preparation().compileMs;
      summary.run.prepareMs = prepared->preparation().prepareMs;
      prepared.reset();
      done_.set_value(std::move(summary));
    } catch (...) {
      prepared.reset();
      done_.set_exception(std::current_exception());
    }
  });
}

RunSummary EarlyPreparation::run(const MarginRequest& request, const EngineOptions& options,
                                 ResultSink& sink) {
  if (!started()) return runMargin(request, options, sink);
  const Job job{&request, &options, &sink};
  std::future<RunSummary> done = done_.get_future();
  job_.set_value(&job);
  jobGiven_ = true;
  worker_.join();
  RunSummary summary = done.get();  // rethrows the preparation's or the run's exception
  summary.run.elapsedMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  return summary;
}

EarlyPreparation::~EarlyPreparation() {
  if (!worker_.joinable()) return;
  if (!jobGiven_) job_.set_value(nullptr);
  worker_.join();
}

namespace {

struct Collect final : ResultSink {
  std::vector<AccountResult>* out;
  void accounts(int64_t, const std::vector<AccountResult>& r) override {
    out->insert(out->end(), r.begin(), r.end());
  }
};

MarginResponse collect(const MarginRequest& request,
                       const std::function<RunSummary(ResultSink&)>& run) {
  MarginResponse response;
  response.accounts.reserve(request.accounts.size());
  Collect sink;
  sink.out = &response.accounts;
  RunSummary s = run(sink);
  response.run = std::move(s.run);
  response.totals = s.totals;
  return response;
}

}  // namespace

MarginResponse computeMargin(const MarginRequest& request, const EngineOptions& options) {
  return collect(request, [&](ResultSink& sink) { return runMargin(request, options, sink); });
}

MarginResponse computeMargin(const MarginRequest& request, const EngineOptions& options,
                             EarlyPreparation& early) {
  return collect(request, [&](ResultSink& sink) { return early.run(request, options, sink); });
}

}  // namespace xm
