#include "host/synthetic/SyntheticExchange.h"

#include <algorithm>
#include <cmath>

#include "host/engine/Instruments.h"
#include "host/engine/Pricing.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"
#include "host/synthetic/MarketData.h"
#include "scenarios/Philox.h"
#include "scenarios/PortableMath.h"

namespace xm {
namespace {

// The synthetic alts trade like a small real coin (DOT, LTC): 50M USD a day.
constexpr double kAltDailyVolume = 5e7;

// Counter-based stream for the generator: draw i of the stream is Philox(i, stream, seed).
class Rng {
 public:
  Rng(uint64_t seed, uint32_t stream) : seed_(seed), stream_(stream) {}
  double uniform() {
    const Philox4x32 r = philox4x32_10(static_cast<uint32_t>(i_), static_cast<uint32_t>(i_ >> 32),
                                       stream_, 0xE7C4A11Eu, static_cast<uint32_t>(seed_),
                                       static_cast<uint32_t>(seed_ >> 32));
    ++i_;
    return uniformOpen53(r.v[0], r.v[1]);
  }
  double normal() { return normalQuantile(uniform()); }
  int below(int n) { return std::min(n - 1, static_cast<int>(uniform() * n)); }
  double logUniform(double lo, double hi) { return lo * std::exp(uniform() * std::log(hi / lo)); }
  bool chance(double p) { return uniform() < p; }

 private:
  uint64_t seed_;
  uint32_t stream_;
  uint64_t i_ = 0;
};

struct Chain {
  int asset;  // index into market.assets
  double weight;
};

}  // namespace

ExchangeSpec exchangePreset(const std::string& name) {
  ExchangeSpec s;
  s.name = name;
  if (name == "demo") return s;
  if (name == "exchange-S") {
    s.accounts = 10000;
    s.assets = 20;
    s.instruments = 200;
    s.minOptions = 100;
    return s;
  }
  if (name == "exchange-M" || name == "exchange-L") {
    s.accounts = name == "exchange-M" ? 100000 : 1000000;
    s.assets = 50;
    s.instruments = 2000;
    s.minOptions = 1500;
    s.positionsPerAccount = 10.0;
    s.scenarios = name == "exchange-M" ? 10000 : 100000;
    return s;
  }
  throw InputError("/preset", "unknown preset \"" + name +
                                  "\"; expected demo, exchange-S, exchange-M or exchange-L");
}

namespace {

// The market of the exchange: USD (riskless), the real assets of 2023-12-31, then synthetic alts
// loading on BTC, with the real correlations (and beta-implied ones for the alts).
void buildMarket(const ExchangeSpec& spec, Market& m) {
  m.asOfText = kRealMarketAsOf;
  m.asOf = *parseRfc3339(m.asOfText);
  m.baseCurrency = "USD";
  m.rate = 0.0;

  // Assets: USD (riskless), the real ones, then synthetic alts loading on BTC.
  const auto& real = realAssets();
  const int nReal = static_cast<int>(real.size());
  const int nRisky = spec.assets;
  Rng mk(spec.seed, 1);
  m.assets.push_back({"USD", 1.0, 0.0, 0.0, 0.0});
  std::vector<double> beta;  // synthetic alts' loading on BTC
  for (int i = 0; i < nRisky; ++i) {
    if (i < nReal) {
      m.assets.push_back(
          {real[i].id, real[i].price, real[i].vol, real[i].volOfVol, real[i].spotVolCorr});
      m.assets.back().dailyVolume = real[i].adv30;
    } else {
      m.assets.push_back({"ALT" + std::to_string(i - nReal + 1), mk.logUniform(0.05, 50.0),
                          0.6 + 0.6 * mk.uniform(), 0.0, 0.0});
      m.assets.back().dailyVolume = kAltDailyVolume;
      beta.push_back(0.35 + 0.4 * mk.uniform());
    }
  }
  const int n = static_cast<int>(m.assets.size());
  m.correlation = Eigen::MatrixXd::Identity(n, n);
  m.correlationPath = "/market/correlation/matrix";
  const auto& c = realCorrelations();
  auto realCorr = [&](int i, int j) { return c[static_cast<size_t>(i) * nReal + j]; };
  for (int i = 0; i < nRisky; ++i) {
    for (int j = 0; j < nRisky; ++j) {
      if (i == j) continue;
      double rho;
      if (i < nReal && j < nReal) {
        rho = realCorr(i, j);
      } else if (i >= nReal && j >= nReal) {
        rho = beta[i - nReal] * beta[j - nReal];
      } else {  // one synthetic: it is beta * BTC + noise
        const int r = i < nReal ? i : j, s = i < nReal ? j : i;
        rho = beta[s - nReal] * realCorr(0, r);
      }
      m.correlation(i + 1, j + 1) = rho;
    }
  }
}

// Perpetuals on every asset, two inverse perpetuals, two spot pairs, quarterly futures on BTC,
// ETH and SOL, then option chains on them. Returns how many instruments come before the options.
int buildInstruments(const ExchangeSpec& spec, const Market& m, std::vector<Instrument>& ins) {
  const auto& real = realAssets();
  const int nRisky = spec.assets;
  const double t0 = m.asOf;
  for (int a = 1; a <= nRisky; ++a) {
    ins.push_back({m.assets[a].id + "-PERP", InstrumentType::Perpetual, a, 1.0, 0, {}, 0, 0});
  }
  const int btc = 1, eth = 2, sol = std::min(4, nRisky);
  ins.push_back({"BTC-PERP-INV", InstrumentType::InversePerpetual, btc, 100.0, 0, {}, 0, 0});
  ins.push_back({"ETH-PERP-INV", InstrumentType::InversePerpetual, eth, 10.0, 0, {}, 0, 0});
  ins.push_back({"BTC-SPOT", InstrumentType::Spot, btc, 1.0, 0, {}, 0, 0});
  ins.push_back({"ETH-SPOT", InstrumentType::Spot, eth, 1.0, 0, {}, 0, 0});
  const double quarterly[] = {89, 180, 271};  // 2024-03-29, 06-28, 09-27, 08:00 UTC
  const char* quarterlyName[] = {"29MAR24", "28JUN24", "27SEP24"};
  for (int a : {btc, eth, sol}) {
    for (int q = 0; q < 3; ++q) {
      ins.push_back({m.assets[a].id + "-" + quarterlyName[q],
                     InstrumentType::Future,
                     a,
                     1.0,
                     t0 + (quarterly[q] + 8.0 / 24) * kSecondsPerDay,
                     {},
                     0,
                     0});
    }
  }
  const int linear = static_cast<int>(ins.size());
  const int options = std::max(spec.minOptions, spec.instruments - linear);
  const Chain chains[] = {{btc, 0.5}, {eth, 0.35}, {sol, 0.15}};
  const double expiries[] = {5, 26, 54, 89, 180};  // days to Deribit-style Friday expiries
  Rng oc(spec.seed, 2);
  for (const Chain& ch : chains) {
    const int count = ch.asset == sol ? options - static_cast<int>(ins.size() - linear)
                                      : static_cast<int>(std::lround(ch.weight * options));
    const Asset& u = m.assets[ch.asset];
    const double atm = ch.asset == btc || ch.asset == eth ? real[ch.asset - 1].atmIv : u.vol;
    for (int o = 0; o < count; ++o) {
      const double days = expiries[o % 5];
      const double t = days / kDaysPerYear;
      // Strikes spread ~2.5 standard deviations either side, rounded like an exchange would.
      const double z = -2.5 + 5.0 * ((o / 5) % 21) / 20.0 + 0.1 * oc.normal();
      const double raw = u.price * std::exp(z * atm * std::sqrt(t));
      const double tick = std::pow(10.0, std::floor(std::log10(u.price)) - 1);
      const double strike = std::max(tick, std::round(raw / tick) * tick);
      const double lnK = std::log(strike / u.price);
      const double iv =
          atm * (1.0 + 0.35 * lnK * lnK / std::max(t, 0.02) * 0.1) + (lnK < 0 ? -0.08 * lnK : 0.0);
      const bool call = z > 0 ? !oc.chance(0.2) : oc.chance(0.2);
      const std::string id = u.id + "-" + std::to_string(static_cast<int>(days)) + "D-" +
                             std::to_string(static_cast<long long>(strike * 1000)) + "m-" +
                             (call ? "C" : "P") + "-" + std::to_string(o);
      ins.push_back({id, InstrumentType::Option, ch.asset, 1.0,
                     t0 + (days + 8.0 / 24) * kSecondsPerDay,
                     call ? OptionRight::Call : OptionRight::Put, strike, iv});
    }
  }
  return linear;
}

// Account k: a trading style (directional, hedger, option seller, market maker), its positions
// and collateral worth its gross notional over a leverage; its own random stream.
Account buildAccount(const ExchangeSpec& spec, int64_t k, const Market& m,
                     const std::vector<Instrument>& ins, int linear,
                     const std::vector<double>& valueNow) {
  const int nRisky = spec.assets;
  const int nIns = static_cast<int>(ins.size());
  const int nOptions = nIns - linear;
  auto price = [&](int a) { return m.assets[a].price; };
  Account acct;
  Rng r(spec.seed ^ 0x5EED5EEDull, static_cast<uint32_t>(k + 16));
  acct.id = "acct-" + std::to_string(k + 1);
  const int count = 1 + r.below(static_cast<int>(2 * spec.positionsPerAccount - 1));
  const double style = r.uniform();
  const double bias = r.chance(0.6) ? 1.0 : -1.0;  // net long or net short
  const double size = r.logUniform(2e3, 2e6);      // typical notional per position
  double gross = 0.0;
  auto add = [&](int i, double notional, double sign) {
    const Instrument& x = ins[i];
    if (x.type == InstrumentType::Spot) sign = 1.0;  // spot is bought, not shorted
    const double s = price(x.underlying);
    double qty = sign * notional / (s * x.contractSize);
    if (traitsOf(x.type).inverse) qty = sign * notional / x.contractSize;  // sized in face
    qty = std::round(qty * 1e4) / 1e4;
    if (qty == 0.0) qty = sign * 1e-4;
    double entry = traitsOf(x.type).option ? valueNow[i] * (0.7 + 0.6 * r.uniform())
                                           : s * std::exp(0.05 * r.normal());
    if (x.type == InstrumentType::Future) entry = s * std::exp(0.01 + 0.03 * r.normal());
    acct.positions.push_back({i, qty, std::max(entry, 1e-8)});
    gross += notional;
  };
  auto option = [&]() { return linear + r.below(nOptions); };
  for (int p = 0; p < count; ++p) {
    const double notional = size * r.logUniform(0.3, 3.0);
    if (style < 0.45) {  // directional: perps and futures, mostly one way
      add(r.chance(0.5) ? r.below(std::min(nRisky, 6)) : r.below(linear), notional,
          r.chance(0.8) ? bias : -bias);
    } else if (style < 0.65) {  // hedger: perp against options on the same underlying
      if (p % 2 == 0) {
        add(r.below(3), notional, bias);
      } else {
        add(option(), notional * 0.5, -bias);
      }
    } else if (style < 0.8) {  // option seller
      add(option(), notional * 0.3, -1.0);
    } else {  // market maker: both sides of everything
      add(r.below(nIns), notional * 0.5, r.chance(0.5) ? 1.0 : -1.0);
    }
  }
  // Collateral in 1-3 assets worth gross / leverage.
  const double u = r.uniform();
  const double leverage = u < 0.8
                              ? r.logUniform(1.5, 10.0)
                              : (u < 0.95 ? r.logUniform(10.0, 20.0) : r.logUniform(20.0, 50.0));
  const double value = std::max(1000.0, gross / leverage);
  const int holdings = 1 + r.below(3);
  const int pool[] = {0, 1, 2, std::min(13, nRisky)};  // USD, BTC, ETH, USDT
  for (int h = 0; h < holdings; ++h) {
    const int a = pool[(h + r.below(4)) % 4];
    bool seen = false;
    for (const Collateral& c2 : acct.collateral) seen = seen || c2.asset == a;
    if (seen) continue;
    acct.collateral.push_back({a, std::round(value / holdings / price(a) * 1e6) / 1e6});
  }
  return acct;
}

}  // namespace

MarginRequest makeSyntheticExchange(const ExchangeSpec& spec, ProgressListener* progress) {
  XM_ASSERT(spec.assets >= 2 && spec.instruments >= spec.assets && spec.accounts >= 0,
            "exchange spec out of range");
  MarginRequest req;
  buildMarket(spec, req.market);
  const Market& m = req.market;
  const int linear = buildInstruments(spec, m, req.instruments);
  std::vector<double> valueNow(req.instruments.size());
  for (size_t i = 0; i < req.instruments.size(); ++i) {
    const Instrument& x = req.instruments[i];
    const double s = m.assets[x.underlying].price;
    const double t = yearsToExpiry(x, m);
    valueNow[i] = traitsOf(x.type).option
                      ? blackScholes(x.right == OptionRight::Call, s, x.strike, t, x.iv, m.rate)
                      : s;
  }
  req.accounts.resize(spec.accounts);
  for (int64_t k = 0; k < spec.accounts; ++k) {
    req.accounts[k] = buildAccount(spec, k, m, req.instruments, linear, valueNow);
    if (progress && ((k + 1) % 1024 == 0 || k + 1 == spec.accounts))
      progress->progress("accounts", k + 1, spec.accounts);
  }

  MarginConfig& cfg = req.config;
  cfg.scenarios = spec.scenarios;
  cfg.confidence = spec.confidence;
  cfg.seed = 1;
  return req;
}

}  // namespace xm
