#include "api/json/RequestFields.h"

#include "api/json/AccountFields.h"

#include <cmath>
#include <limits>
#include <unordered_set>

#include "host/model/Time.h"
#include "host/model/Units.h"

namespace xm::json {

std::string pointerEscape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

const char* typeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::binary:
      return "binary data";
    case Json::value_t::discarded:
      return "invalid";
    default:
      return "a number";
  }
}

std::string show(double x) {
  std::ostringstream s;
  s.precision(17);
  s << x;
  return s.str();
}

namespace {

double parseTime(const Node& n) {
  const std::string s = n.string();
  const auto t = parseRfc3339(s);
  if (!t) n.fail("must be an RFC 3339 date-time such as 2026-11-24T00:00:00Z, got \"" + s + "\"");
  return *t;
}

void parseCorrelations(const Node& market, Market& m,
                       const std::unordered_map<std::string, int>& assetIndex) {
  const int n = static_cast<int>(m.assets.size());
  m.correlation = Eigen::MatrixXd::Identity(n, n);
  auto assetRef = [&](const Node& node) {
    const std::string id = node.string();
    auto it = assetIndex.find(id);
    if (it == assetIndex.end()) node.fail("unknown asset \"" + id + "\"");
    return it->second;
  };
  if (market.has("correlations") && market.has("correlation")) {
    market.child("correlation")
        .fail("give either correlations (pairs) or correlation (matrix), not both");
  }
  if (market.has("correlations")) {
    const Node list = market.child("correlations");
    m.correlationPath = list.path();
    std::vector<std::vector<bool>> seen(n, std::vector<bool>(n, false));
    for (size_t i = 0; i < list.array(); ++i) {
      const Node pair = list[i];
      pair.object({"a", "b", "rho"});
      const int a = assetRef(pair.at("a")), b = assetRef(pair.at("b"));
      if (a == b)
        pair.child("b").fail(
            "an asset's correlation with itself is 1; list pairs of distinct assets");
      if (seen[a][b]) pair.fail("this pair is listed twice");
      seen[a][b] = seen[b][a] = true;
      const double rho = pair.at("rho").number(-1, 1, false, false, "within [-1, 1]");
      m.correlation(a, b) = m.correlation(b, a) = rho;
    }
  } else if (market.has("correlation")) {
    const Node c = market.child("correlation");
    c.object({"assets", "matrix"});
    const Node ids = c.at("assets"), matrix = c.at("matrix");
    m.correlationPath = matrix.path();
    const size_t k = ids.array();
    std::vector<int> idx(k);
    std::vector<bool> used(n, false);
    for (size_t i = 0; i < k; ++i) {
      idx[i] = assetRef(ids[i]);
      if (used[idx[i]]) ids[i].fail("asset listed twice");
      used[idx[i]] = true;
    }
    if (matrix.array() != k) matrix.fail("must have one row per asset (" + std::to_string(k) + ")");
    for (size_t i = 0; i < k; ++i) {
      const Node row = matrix[i];
      if (row.array() != k) row.fail("must have " + std::to_string(k) + " entries");
      for (size_t j = 0; j < k; ++j) {
        const double v = row[j].number(-1, 1, false, false, "within [-1, 1]");
        if (i == j && std::abs(v - 1.0) > 1e-12) row[j].fail("a diagonal entry must be 1");
        m.correlation(idx[i], idx[j]) = v;
      }
    }
    for (size_t i = 0; i < k; ++i)
      for (size_t j = 0; j < i; ++j)
        if (std::abs(m.correlation(idx[i], idx[j]) - m.correlation(idx[j], idx[i])) > 1e-12)
          matrix[i][j].fail("the matrix must be symmetric");
  }
}

// "YYYY-MM-DD" -> days since the epoch.
long long dateOf(const Node& n) {
  const std::string s = n.string();
  const auto day = parseDate(s);
  if (!day) n.fail("must be a date such as 2023-12-31, got \"" + s + "\"");
  return *day;
}

// market.history: {"BTC": [{"date": "2023-12-30", "close": 42000.0, "volume": …}, …], …}
void parseHistory(const Node& node, Market& m,
                  const std::unordered_map<std::string, int>& assetIndex) {
  if (!node.raw().is_object())
    node.fail(std::string("must be an object of asset id to daily closes"));
  for (auto it = node.raw().begin(); it != node.raw().end(); ++it) {
    const Node series = node.child(it.key());
    auto a = assetIndex.find(it.key());
    if (a == assetIndex.end()) series.fail("unknown asset \"" + it.key() + "\"");
    if (it.key() == m.baseCurrency)
      series.fail("the base currency's price is 1 by definition: it has no history");
    std::vector<DailyClose>& closes = m.history[a->second];
    for (size_t i = 0; i < series.array(); ++i) {
      const Node day = series[i];
      day.object({"date", "close", "volume", "iv"});
      const long long d = dateOf(day.at("date"));
      if (!closes.empty() && d <= closes.back().day)
        day.child("date").fail("dates must increase strictly");
      const double close =
          day.at("close").number(kMinClose, kMaxClose, false, false, "within [1e-12, 1e12]");
      closes.push_back({d, close,
                        day.has("volume") ? day.child("volume").number(0, kMaxDailyVolume, false,
                                                                       false, "within [0, 1e30]")
                                          : -1.0,
                        day.has("iv") ? day.child("iv").number(kMinImpliedVol, kMaxImpliedVol,
                                                               false, false, "within [1e-4, 20]")
                                      : -1.0});
    }
  }
}

}  // namespace

Market parseMarket(const Node& node, std::unordered_map<std::string, int>& assetIndex) {
  node.object(
      {"as_of", "base_currency", "rate", "assets", "correlations", "correlation", "history"});
  Market m;
  const Node asOf = node.at("as_of");
  m.asOfText = asOf.string();
  m.asOf = parseTime(asOf);
  if (node.has("base_currency")) m.baseCurrency = node.child("base_currency").id();
  if (node.has("rate")) m.rate = node.child("rate").number(-1, 1, false, false, "within [-1, 1]");
  const Node assets = node.at("assets");
  const size_t n = assets.array();
  if (n == 0) assets.fail("must list at least one asset");
  for (size_t i = 0; i < n; ++i) {
    const Node a = assets[i];
    a.object({"id", "price", "vol", "vol_of_vol", "spot_vol_corr", "daily_volume"});
    Asset asset;
    asset.id = a.at("id").id();
    if (!assetIndex.emplace(asset.id, static_cast<int>(i)).second) {
      a.child("id").fail("duplicate asset id \"" + asset.id + "\"");
    }
    asset.price = a.at("price").bounded(0, kMaxPrice, true, "within (0, 1e12]");
    if (a.has("vol")) asset.vol = a.child("vol").number(0, 20, false, false, "within [0, 20]");
    if (a.has("vol_of_vol")) {
      asset.volOfVol = a.child("vol_of_vol").number(0, 20, false, false, "within [0, 20]");
    }
    if (a.has("spot_vol_corr"))
      asset.spotVolCorr = a.child("spot_vol_corr").number(-1, 1, false, false, "within [-1, 1]");
    if (a.has("daily_volume"))
      asset.dailyVolume =
          a.child("daily_volume")
              .number(kMinDailyVolume, kMaxDailyVolume, false, false, "within [1e-6, 1e30]");
    if (asset.id == m.baseCurrency && (asset.price != 1.0 || asset.vol != 0.0))
      a.fail("the base currency " + asset.id + " must have price 1 and no vol");
    m.assets.push_back(std::move(asset));
  }
  parseCorrelations(node, m, assetIndex);
  if (node.has("history")) parseHistory(node.child("history"), m, assetIndex);
  return m;
}

Instrument parseInstrument(const Node& n, const std::unordered_map<std::string, int>& assetIndex) {
  Instrument ins;
  const Node typeNode = n.at("type");
  ins.type = typeNode.choice<InstrumentType>();
  switch (ins.type) {
    case InstrumentType::Future:
      n.object({"id", "type", "underlying", "contract_size", "expiry"});
      break;
    case InstrumentType::Option:
      n.object({"id", "type", "underlying", "contract_size", "expiry", "right", "strike", "iv"});
      break;
    default:
      n.object({"id", "type", "underlying", "contract_size"});
  }
  ins.id = n.at("id").id();
  const Node u = n.at("underlying");
  const std::string uid = u.string();
  auto it = assetIndex.find(uid);
  if (it == assetIndex.end()) u.fail("unknown asset \"" + uid + "\"");
  ins.underlying = it->second;
  ins.contractSize = n.at("contract_size").bounded(0, kMaxContractSize, true, "within (0, 1e9]");
  if (ins.type == InstrumentType::Future || ins.type == InstrumentType::Option) {
    ins.expiry = parseTime(n.at("expiry"));
  }
  if (ins.type == InstrumentType::Option) {
    ins.right = n.at("right").choice<OptionRight>();
    ins.strike = n.at("strike").bounded(0, kMaxStrike, true, "within (0, 1e15]");
    ins.iv = n.at("iv").number(kMinImpliedVol, kMaxImpliedVol, false, false, "within [1e-4, 20]");
  }
  return ins;
}

Account parseAccount(const Node& n, const std::unordered_map<std::string, int>& assetIndex,
                     const std::unordered_map<std::string, int>& instrumentIndex,
                     const std::vector<Instrument>& instruments) {
  return parseAccountAs(n, assetIndex, instrumentIndex, instruments);
}

namespace {

// config.shocks: "normal", {"student_t": {"dof"}} or {"fhs": {"lookback_days"}}.
void parseShocks(const Node& s, MarginConfig& c) {
  if (s.raw().is_string()) {
    const std::string v = s.string();
    if (v != "normal") {
      s.fail("unknown value \"" + v +
             "\"; expected \"normal\", {\"student_t\": {\"dof\": 4}} or {\"fhs\": "
             "{\"lookback_days\": 1000}}");
    }
  } else if (s.raw().is_object() && s.has("fhs")) {
    s.object({"fhs"});
    const Node f = s.at("fhs");
    f.object({"lookback_days"});
    c.shocks = ShockModel::Fhs;
    if (f.has("lookback_days")) {
      const uint64_t days = f.child("lookback_days").unsignedInteger();
      if (days < 20 || days > 100000) f.child("lookback_days").fail("must be within [20, 100000]");
      c.fhsLookbackDays = static_cast<int>(days);
    }
  } else {
    s.object({"student_t", "fhs"});
    const Node t = s.at("student_t");
    t.object({"dof"});
    c.shocks = ShockModel::StudentT;
    c.dof = t.at("dof").number(2, 1e6, true, false, "> 2 (the variance must be finite)");
  }
}

// config.vol_model: "given" or {"ewma": {"lambda"}}.
void parseVolModel(const Node& v, MarginConfig& c) {
  if (v.raw().is_string()) {
    if (v.string() != "given")
      v.fail("unknown value \"" + v.string() +
             "\"; expected \"given\" or {\"ewma\": {\"lambda\": 0.94}}");
  } else {
    v.object({"ewma"});
    const Node e = v.at("ewma");
    e.object({"lambda"});
    c.volModel = VolModel::Ewma;
    if (e.has("lambda")) c.ewmaLambda = e.child("lambda").number(0, 1, true, true, "within (0, 1)");
  }
}

// config.anti_procyclicality (MarginConfig.h): at least one of its three tools.
void parseAntiProcyclicality(const Node& a, MarginConfig& c) {
  a.object({"lookback_days", "stress_window_days", "floor", "stress_weight", "buffer"});
  AntiProcyclicality& apc = c.antiProcyclicality;
  if (a.has("lookback_days")) {
    const uint64_t days = a.child("lookback_days").unsignedInteger();
    if (days < 30 || days > 100000) a.child("lookback_days").fail("must be within [30, 100000]");
    apc.lookbackDays = static_cast<int>(days);
  }
  if (a.has("stress_window_days")) {
    const uint64_t days = a.child("stress_window_days").unsignedInteger();
    if (days < 5 || days > static_cast<uint64_t>(apc.lookbackDays))
      a.child("stress_window_days").fail("must be within [5, lookback_days]");
    apc.stressWindowDays = static_cast<int>(days);
  }
  if (a.has("floor")) {
    if (!a.child("floor").raw().is_boolean()) a.child("floor").fail("must be a boolean");
    apc.floor = a.child("floor").raw().get<bool>();
  }
  if (a.has("stress_weight"))
    apc.stressWeight = a.child("stress_weight").number(0, 1, false, false, "within [0, 1]");
  if (a.has("buffer")) apc.buffer = a.child("buffer").number(0, 10, false, false, "within [0, 10]");
  apc.enabled = apc.floor || apc.stressWeight > 0 || apc.buffer > 0;
  if (!apc.enabled) a.fail("names no measure: set floor, stress_weight or buffer");
}

// config.add_ons: the liquidity add-on and the minimum rate.
void parseAddOns(const Node& a, MarginConfig& c) {
  a.object({"liquidity", "minimum_rate"});
  if (a.has("liquidity")) {
    const Node l = a.child("liquidity");
    l.object({"coefficient", "adv_days"});
    c.addOns.liquidityCoefficient =
        l.at("coefficient").number(0, 100, true, false, "within (0, 100]");
    if (l.has("adv_days")) {
      const uint64_t days = l.child("adv_days").unsignedInteger();
      if (days < 1 || days > 3650) l.child("adv_days").fail("must be within [1, 3650]");
      c.addOns.advDays = static_cast<int>(days);
    }
  }
  if (a.has("minimum_rate"))
    c.addOns.minimumRate = a.child("minimum_rate").number(0, 1, false, false, "within [0, 1]");
}

// config.sampling and config.replications (docs/sampling.md), after scenarios, confidence and
// shocks: what each method needs of them.
void parseSampling(const Node& n, MarginConfig& c) {
  if (n.has("sampling")) {
    const Node s = n.child("sampling");
    if (s.raw().is_object() && s.has("importance")) {
      s.fail(
          "importance sampling was measured and is not offered: one mean shift for the whole "
          "exchange helps the accounts exposed to its direction and multiplies the error of "
          "those hedged against it (docs/sampling.md); use \"sobol\"");
    }
    c.sampling = s.choice<SamplingMethod>();
  }
  const Node s = n.child("sampling");
  if (n.has("replications")) {
    const Node r = n.child("replications");
    if (c.sampling != SamplingMethod::Sobol)
      r.fail("given, but config.sampling is not \"sobol\" (only its replications are counted)");
    const uint64_t v = r.unsignedInteger();
    if (v < 2 || v > static_cast<uint64_t>(kMaxReplications))
      r.fail("must be within [2, " + std::to_string(kMaxReplications) +
             "] (two at least: their spread is es_stderr)");
    c.replications = static_cast<int>(v);
  }
  if (c.sampling == SamplingMethod::Antithetic) {
    if (c.shocks == ShockModel::Fhs)
      s.fail(
          "antithetic sampling negates normal draws; filtered historical simulation replays "
          "days, whose negations are not history: use \"mc\" with fhs");
    if (c.scenarios % 2 != 0)
      n.child("scenarios")
          .fail(
              "must be even with antithetic sampling (scenarios come in "
              "pairs), got " +
              std::to_string(c.scenarios));
  }
  if (c.sampling == SamplingMethod::Sobol) {
    if (c.shocks != ShockModel::Normal)
      s.fail(std::string("sobol points are mapped to normal shocks; config.shocks is ") +
             (c.shocks == ShockModel::Fhs ? "fhs" : "student_t") +
             ", whose mixing or replayed days are not part of the low-discrepancy set: use "
             "\"mc\" or \"antithetic\" with it");
    // Each replication's tail must weigh at least one of its scenarios.
    const int64_t need =
        static_cast<int64_t>(std::ceil(c.replications / (1.0 - c.confidence) * (1.0 - 1e-9)));
    if (c.scenarios < need)
      n.child("scenarios")
          .fail("sobol with " + std::to_string(c.replications) + " replications at confidence " +
                show(c.confidence) + " needs at least " + std::to_string(need) +
                " scenarios (each replication's tail must hold a scenario), got " +
                std::to_string(c.scenarios));
  }
}

}  // namespace

MarginConfig parseConfig(const Node& n, const Limits& limits) {
  MarginConfig c;
  if (n.raw().is_null()) return c;
  n.object({"measure",
            "confidence",
            "horizon_days",
            "scenarios",
            "seed",
            "shocks",
            "im_multiplier",
            "mm_ratio",
            "backend",
            "correlation_repair",
            "vol_model",
            "precision",
            "anti_procyclicality",
            "add_ons",
            "method",
            "compare",
            "flat",
            "grid",
            "grid_aggregation",
            "sampling",
            "replications"});
  if (n.has("measure")) c.measure = n.child("measure").choice<RiskMeasure>();
  if (n.has("confidence"))
    c.confidence = n.child("confidence").number(0, 1, true, true, "within (0, 1)");
  if (n.has("horizon_days"))
    c.horizonDays =
        n.child("horizon_days").number(0, kMaxHorizonDays, true, false, "within (0, 365]");
  if (n.has("scenarios")) {
    const Node s = n.child("scenarios");
    const uint64_t v = s.unsignedInteger();
    if (v < static_cast<uint64_t>(limits.minScenarios) ||
        v > static_cast<uint64_t>(limits.maxScenarios)) {
      s.fail("must be within the configured limits [" + std::to_string(limits.minScenarios) + ", " +
             std::to_string(limits.maxScenarios) + "], got " + std::to_string(v));
    }
    c.scenarios = static_cast<int64_t>(v);
  }
  if (n.has("seed")) c.seed = n.child("seed").unsignedInteger();
  if (n.has("shocks")) parseShocks(n.child("shocks"), c);
  if (n.has("im_multiplier"))
    c.imMultiplier = n.child("im_multiplier").number(0, 1e3, true, false, "within (0, 1000]");
  if (n.has("mm_ratio")) c.mmRatio = n.child("mm_ratio").number(0, 1, true, false, "within (0, 1]");
  if (n.has("backend")) {
    c.backend = n.child("backend").choice<BackendChoice>();
  }
  if (n.has("correlation_repair")) {
    c.correlationRepair = n.child("correlation_repair").choice<CorrelationRepair>();
  }
  if (n.has("precision")) {
    c.precision = n.child("precision").choice<Precision>();
  }
  if (n.has("vol_model")) parseVolModel(n.child("vol_model"), c);
  if (n.has("anti_procyclicality")) parseAntiProcyclicality(n.child("anti_procyclicality"), c);
  if (n.has("add_ons")) parseAddOns(n.child("add_ons"), c);
  if (n.has("sampling") || n.has("replications")) parseSampling(n, c);
  if (n.has("method")) c.method = n.child("method").choice<MarginMethod>();
  if (n.has("grid_aggregation"))
    c.gridAggregation = n.child("grid_aggregation").choice<GridAggregation>();
  if (n.has("compare")) {
    const Node list = n.child("compare");
    for (size_t i = 0; i < list.array(); ++i) {
      const MarginMethod m = list[i].choice<MarginMethod>();
      if (m == c.method) list[i].fail("is config.method already: compare names the others");
      for (MarginMethod seen : c.compare)
        if (seen == m) list[i].fail("named twice");
      c.compare.push_back(m);
    }
  }
  return c;
}

// config.flat (contract §11): {"ID": {"imf", "mmf"}} or {"ID": {"tiers": [{"notional_up_to",
// "imf", "mmf"}]}}; every derivative needs one when method or compare names flat.
void parseFlatRates(const Node& config, const std::unordered_map<std::string, int>& instrumentIndex,
                    const std::vector<Instrument>& instruments, MarginConfig& c) {
  const bool used = c.uses(MarginMethod::Flat);
  if (!config.has("flat")) {
    if (!used) return;
    config.child("flat").fail("required: method or compare names flat");
  }
  const Node flat = config.child("flat");
  if (!used) flat.fail("given, but neither config.method nor config.compare names flat");
  if (!flat.raw().is_object())
    flat.fail(std::string("must be an object, got ") + typeName(flat.raw()));
  c.flat.assign(instruments.size(), {});
  for (auto it = flat.raw().begin(); it != flat.raw().end(); ++it) {
    const Node rate = flat.child(it.key());
    const auto found = instrumentIndex.find(it.key());
    if (found == instrumentIndex.end()) rate.fail("unknown instrument (not in instruments)");
    auto fraction = [](const Node& x) { return x.number(0, 1, true, false, "within (0, 1]"); };
    std::vector<FlatTier>& tiers = c.flat[found->second];
    if (rate.has("tiers")) {
      rate.object({"tiers"});
      const Node list = rate.child("tiers");
      const size_t n = list.array();
      if (n == 0) list.fail("must hold at least one tier");
      for (size_t i = 0; i < n; ++i) {
        const Node t = list[i];
        t.object({"notional_up_to", "imf", "mmf"});
        FlatTier tier;
        tier.notionalUpTo =
            i + 1 == n && !t.has("notional_up_to") ? HUGE_VAL : t.at("notional_up_to").positive();
        tier.imf = fraction(t.at("imf"));
        tier.mmf = fraction(t.at("mmf"));
        if (tier.mmf > tier.imf) t.child("mmf").fail("must not exceed imf");
        if (!tiers.empty() && !(tier.notionalUpTo > tiers.back().notionalUpTo))
          t.child("notional_up_to").fail("must rise from tier to tier");
        tiers.push_back(tier);
      }
    } else {
      rate.object({"imf", "mmf"});
      FlatTier tier{HUGE_VAL, fraction(rate.at("imf")), fraction(rate.at("mmf"))};
      if (tier.mmf > tier.imf) rate.child("mmf").fail("must not exceed imf");
      tiers.push_back(tier);
    }
  }
  for (size_t i = 0; i < instruments.size(); ++i) {
    if (c.flat[i].empty() && instruments[i].type != InstrumentType::Spot) {
      flat.fail("no rate for instrument \"" + instruments[i].id +
                "\": every derivative needs one when method or compare names flat");
    }
  }
}

namespace {

// One underlying's grid parameters over `p` (the defaults, or "*" for a named asset).
void parseGridParams(const Node& n, GridParams& p) {
  n.object(
      {"range", "points", "vol_shift", "extreme", "short_option_minimum", "net_notional_minimum"});
  if (n.has("range")) p.range = n.child("range").number(0, 1, true, true, "within (0, 1)");
  if (n.has("points")) {
    const uint64_t points = n.child("points").unsignedInteger();
    if (points < 2 || points > 101) n.child("points").fail("must be within [2, 101]");
    p.points = static_cast<int>(points);
  }
  if (n.has("vol_shift")) {
    const Node v = n.child("vol_shift");
    v.object({"mode", "up", "down", "scale_by_expiry"});
    if (v.has("mode")) p.volMode = v.child("mode").choice<VolShiftMode>();
    if (v.has("up")) p.volUp = v.child("up").number(0, 10, false, false, "within [0, 10]");
    if (v.has("down")) p.volDown = v.child("down").number(0, 10, false, false, "within [0, 10]");
    if (v.has("scale_by_expiry")) {
      if (!v.child("scale_by_expiry").raw().is_boolean())
        v.child("scale_by_expiry").fail("must be a boolean");
      p.scaleByExpiry = v.child("scale_by_expiry").raw().get<bool>();
    }
  }
  if (n.has("extreme")) {
    const Node e = n.child("extreme");
    e.object({"multiple", "fraction"});
    p.extremeMultiple = e.at("multiple").number(1, 100, true, false, "within (1, 100]");
    p.extremeFraction = e.at("fraction").number(0, 1, true, false, "within (0, 1]");
  }
  if (n.has("short_option_minimum")) {
    p.shortOptionMinimum =
        n.child("short_option_minimum").number(0, 1, false, false, "within [0, 1]");
  }
  if (n.has("net_notional_minimum")) {
    p.netNotionalMinimum =
        n.child("net_notional_minimum").number(0, 1, false, false, "within [0, 1]");
  }
  if (p.extremeMultiple * p.range >= 1.0) {
    n.child(n.has("extreme") ? "extreme" : "range")
        .fail("extreme.multiple x range must stay below 1: a price cannot fall to zero or below");
  }
}

}  // namespace

// config.grid (contract §11): {"ASSET": {...}, "*": {...}}, each underlying's parameters over the
// "*" entry's, over the defaults.
void parseGrid(const Node& config, const std::unordered_map<std::string, int>& assetIndex,
               size_t assets, MarginConfig& c) {
  const bool used = c.uses(MarginMethod::Grid);
  if (!used && config.has("grid_aggregation")) {
    config.child("grid_aggregation")
        .fail("given, but neither config.method nor config.compare names grid");
  }
  if (!config.has("grid")) {
    if (used) c.grid.assign(assets, GridParams{});
    return;
  }
  const Node grid = config.child("grid");
  if (!used) grid.fail("given, but neither config.method nor config.compare names grid");
  if (!grid.raw().is_object())
    grid.fail(std::string("must be an object, got ") + typeName(grid.raw()));
  GridParams defaults;
  if (grid.has("*")) parseGridParams(grid.child("*"), defaults);
  c.grid.assign(assets, defaults);
  for (auto it = grid.raw().begin(); it != grid.raw().end(); ++it) {
    if (it.key() == "*") continue;
    const Node entry = grid.child(it.key());
    const auto found = assetIndex.find(it.key());
    if (found == assetIndex.end()) entry.fail("unknown asset (not in market.assets)");
    parseGridParams(entry, c.grid[found->second]);
  }
}

}  // namespace xm::json
