#pragma once
#include <ostream>

#include "host/synthetic/SyntheticExchange.h"

namespace xm {
// Margins a synthetic exchange and prints a human-readable summary.
void runDemo(const ExchangeSpec& spec, int top, std::ostream& out);
}  // namespace xm
