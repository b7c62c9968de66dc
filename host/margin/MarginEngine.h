#pragma once
// The whole pipeline for one request: compile, pick the backend, prepare scenarios, then reduce
// accounts batch by batch and hand each batch's results to a sink as soon as it is done, so that
// memory stays bounded whatever the number of accounts.

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "host/model/MarginRequest.h"
#include "host/model/MarginResult.h"

namespace xm {

struct EngineOptions {
  int64_t batchAccounts = 0;  // 0: the backend's own choice
  // Checked after scenario preparation and after every batch: past it, DeadlineError.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
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

RunSummary runMargin(const MarginRequest& request, const EngineOptions& options, ResultSink& sink);

// The whole response in memory (the HTTP service and tests).
struct MarginResponse {
  RunInfo run;
  std::vector<AccountResult> accounts;
  MarginTotals totals;
};

MarginResponse computeMargin(const MarginRequest& request, const EngineOptions& options = {});

}  // namespace xm
