#include "api/cli/Commands.h"

#include <iostream>
#include <sstream>
#include <string>

#include "api/cli/Args.h"
#include "api/cli/Demo.h"
#include "host/model/Errors.h"
#include "host/synthetic/SyntheticExchange.h"

namespace xm {

int demoCommand(const Args& a) {
  applyThreads(a);
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = intOption(a, "--accounts", spec.accounts, 1, 10'000'000);
  spec.scenarios = intOption(a, "--scenarios", spec.scenarios, 100, 1'000'000);
  const int top = static_cast<int>(intOption(a, "--top", 10, 0, 1000));
  runDemo(spec, top, std::cout);
  return 0;
}

}  // namespace xm
