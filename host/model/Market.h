#pragma once
// The market snapshot of a request: assets with prices and volatilities, their correlations, and
// the time and rate everything is valued at. Money is in the base currency; vols are annualised
// log-return volatilities; the rate is continuously compounded per year (contract §1).

#include <string>
#include <vector>

#include <Eigen/Dense>

#include "host/model/History.h"
#include "host/model/Units.h"

namespace xm {

struct Asset {
  std::string id;
  double price = 0.0;         // base currency per unit, > 0
  double vol = 0.0;           // annualised; 0 means riskless (the price never moves)
  double volOfVol = 0.0;      // annualised vol of the implied vol of options on this asset
  double spotVolCorr = 0.0;   // correlation of the implied-vol factor with this asset's own shock
  double dailyVolume = -1.0;  // base currency traded per day (liquidity add-on); < 0: not given

  bool risky() const { return vol > 0.0; }
  bool hasVolFactor() const { return risky() && volOfVol > 0.0; }
};

struct Market {
  double asOf = 0.0;  // seconds since the Unix epoch, UTC
  std::string asOfText;
  std::string baseCurrency = "USD";
  double rate = 0.0;
  std::vector<Asset> assets;
  // assets × assets, unit diagonal; pairs not given are 0. Entries of riskless assets are ignored.
  Eigen::MatrixXd correlation;
  std::string correlationPath = "/market/correlations";  // where the user gave it, for errors
  MarketHistory history;  // daily closes per asset index (market.history or --prices)
};

}  // namespace xm
