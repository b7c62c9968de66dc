#include "host/intraday/WhatIf.h"

#include "host/model/Errors.h"

namespace xm {

WhatIfResult whatIf(const PreparedMarket& market, const Account& account,
                    const std::vector<Trade>& trades) {
  const std::vector<Instrument>& instruments = market.definition().instruments;
  WhatIfResult r;
  r.after = account;
  for (size_t t = 0; t < trades.size(); ++t) {
    const Trade& trade = trades[t];
    if (instruments[trade.instrument].type == InstrumentType::Spot) {
      const std::string path = "/trades/" + std::to_string(t) + "/instrument";
      throw InputError(path, path + ": \"" + instruments[trade.instrument].id +
                                 "\" is spot: buying or selling it moves cash, which a what-if "
                                 "trade does not book; send the account with its new collateral");
    }
    r.after.positions.push_back({trade.instrument, trade.qty, trade.price});
  }
  std::vector<AccountResult> both = market.assess({account, r.after});
  r.before = std::move(both[0]);
  r.afterResult = std::move(both[1]);
  r.incrementalIm = r.afterResult.initialMargin - r.before.initialMargin;
  r.contributionChange.resize(r.afterResult.positions.size());
  for (size_t i = 0; i < r.contributionChange.size(); ++i) {
    const double was = i < r.before.positions.size() ? r.before.positions[i].esContribution : 0.0;
    r.contributionChange[i] = r.afterResult.positions[i].esContribution - was;
  }
  return r;
}

}  // namespace xm
