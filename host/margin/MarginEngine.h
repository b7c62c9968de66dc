#pragma once
// The whole pipeline for one request: compile, pick the backend, prepare scenarios, then reduce
// accounts batch by batch and hand each batch's results to a sink as soon as it is done, so that
// memory stays bounded whatever the number of accounts.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "host/base/Progress.h"
#include "host/engine/RiskBackend.h"
#include "host/margin/Margin.h"
#include "host/model/MarginRequest.h"
#include "host/model/MarginResult.h"

namespace xm {

struct EngineOptions {
  int64_t batchAccounts = 0;  // 0: the backend's own choice
  // Checked after scenario preparation and after every batch: past it, DeadlineError.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Told the accounts done after every batch (and, in a clearing simulation, the paths done).
  ProgressListener* progress = nullptr;
};

// Past options.deadline: DeadlineError("<what> exceeded its time limit").
void checkDeadline(const EngineOptions& options, const char* what = "the request");

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // Results of accounts [first, first + results.size()), in request order, batch after batch.
  virtual void accounts(int64_t first, const std::vector<AccountResult>& results) = 0;
};

struct RunSummary {
  RunInfo run;
  MarginTotals totals;
};

// The market the model runs on: the request's, or with its EWMA estimates and anti-procyclicality
// applied as configured (recorded in `run`), and each asset's stress level (0 without APC).
class ModelMarket {
 public:
  ModelMarket(const MarginRequest& request, RunInfo& run);
  ModelMarket(const ModelMarket&) = delete;
  ModelMarket& operator=(const ModelMarket&) = delete;
  const Market& market() const { return adjusted_ ? estimated_ : request_.market; }
  const std::vector<double>& stressLevel() const { return stressLevel_; }

 private:
  const MarginRequest& request_;
  bool adjusted_ = false;
  Market estimated_;
  std::vector<double> stressLevel_;
};

// What every account of a request shares, prepared once: the model market, the add-ons' context,
// the compiled problem and the backend's session (scenarios, P&L cube, row tails). runMargin
// prepares one for its request; a snapshot (host/intraday) keeps one and runs the accounts of
// many requests on it, with the same figures to the bit (accounts never see their batch).
//
// `definition` (its market, instruments and config; its accounts only for RowSet::Held and the
// volume check) must outlive this. run() and assess() may be called from several threads at once
// on the CPU backend; a device session allows one caller at a time.
class PreparedMarket {
 public:
  PreparedMarket(const MarginRequest& definition, RowSet rows, const EngineOptions& options,
                 std::shared_ptr<const ShockMatrix> shocks = nullptr);
  PreparedMarket(const PreparedMarket&) = delete;
  PreparedMarket& operator=(const PreparedMarket&) = delete;

  // Runs `accounts` (positions indexing the definition's instruments) batch by batch into sink.
  // Accounts other than the definition's own are checked for the liquidity add-on's volumes.
  RunSummary run(const std::vector<Account>& accounts, const EngineOptions& options,
                 ResultSink& sink) const;
  // `accounts` as one batch, results in order (what-if and neutralization: a few accounts).
  std::vector<AccountResult> assess(const std::vector<Account>& accounts) const;

  const MarginRequest& definition() const { return definition_; }
  const RiskProblem& problem() const { return problem_; }
  const MarginContext& context() const { return context_; }
  const RunInfo& preparation() const { return run_; }  // the run figures known before accounts
  BackendChoice backend() const { return backend_->kind(); }
  // Host memory held: the session's cube, tails and shocks, and the problem's rows.
  int64_t bytes() const;
  std::shared_ptr<const ShockMatrix> shocks() const { return session_->shocks(); }

 private:
  const MarginRequest& definition_;
  RunInfo run_;
  std::unique_ptr<ModelMarket> model_;
  MarginContext context_;
  std::vector<double> adv_;  // daily volumes, unchecked (< 0 unknown)
  RiskProblem problem_;
  std::unique_ptr<RiskBackend> backend_;
  std::unique_ptr<RiskSession> session_;
  int64_t batchAccounts_ = 1;
};

RunSummary runMargin(const MarginRequest& request, const EngineOptions& options, ResultSink& sink);

// runMargin with the market prepared early: start() is given the request's market, instruments
// and config (no accounts) as soon as they are read, and prepares them on a thread of its own
// while the caller reads the accounts; run() has that thread run the accounts. Every instrument's
// row is revalued (RowSet::All, as for a snapshot: the accounts are not known yet), which gives
// runMargin's figures to the bit. The prepared market lives, runs and ends on that one thread: a
// device session is bound to the thread that opens it (it holds the device's lock). Without
// start(), run() is runMargin.
class EarlyPreparation {
 public:
  EarlyPreparation() = default;
  EarlyPreparation(const EarlyPreparation&) = delete;
  EarlyPreparation& operator=(const EarlyPreparation&) = delete;
  ~EarlyPreparation();  // a preparation never run is abandoned (on its thread)

  // Copies `catalogue`, lets `adjust` change the copy (the command line's overrides), starts.
  // Called again before run(), it abandons the preparation under way for the new catalogue's (a
  // parallel reader may hand over a catalogue that replaces the first: RequestOptions).
  void start(const MarginRequest& catalogue, const EngineOptions& options,
             const std::function<void(MarginRequest&)>& adjust = {});
  bool started() const { return worker_.joinable(); }
  // What start() prepares: the catalogue as `adjust` left it (read-only while it prepares).
  const MarginRequest& definition() const { return definition_; }
  // `request`: the catalogue's market, instruments and config with the accounts. The sink is
  // called on the preparing thread. A preparation that failed throws here.
  RunSummary run(const MarginRequest& request, const EngineOptions& options, ResultSink& sink);

 private:
  struct Job {
    const MarginRequest* request;
    const EngineOptions* options;
    ResultSink* sink;
  };
  MarginRequest definition_;
  std::chrono::steady_clock::time_point start_;
  std::promise<const Job*> job_;  // null: abandoned
  bool jobGiven_ = false;
  std::promise<RunSummary> done_;
  std::thread worker_;
};

// The whole response in memory (the HTTP service and tests).
struct MarginResponse {
  RunInfo run;
  std::vector<AccountResult> accounts;
  MarginTotals totals;
};

MarginResponse computeMargin(const MarginRequest& request, const EngineOptions& options = {});
// The same through `early` (runMargin's figures either way).
MarginResponse computeMargin(const MarginRequest& request, const EngineOptions& options,
                             EarlyPreparation& early);

}  // namespace xm
