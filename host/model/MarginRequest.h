#pragma once
#include <vector>

#include "host/model/MarginConfig.h"
#include "host/model/Market.h"
#include "host/model/Portfolio.h"

namespace xm {

// A validated request: every index is in range, every number finite and within its domain.
// JsonCodec builds one; nothing downstream re-validates user input.
struct MarginRequest {
  Market market;
  std::vector<Instrument> instruments;
  std::vector<Account> accounts;
  MarginConfig config;
};

}  // namespace xm
