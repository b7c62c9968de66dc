#include "api/json/JsonCodec.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <istream>

#include "api/json/JsonWriter.h"
#include "api/json/Utf8.h"
#include "host/model/WireNames.h"
#include "host/base/FaultInjection.h"
#include "host/base/Parallel.h"
#include "host/model/Time.h"
#include "host/model/Version.h"

namespace xm {
namespace {

std::string pointerEscape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

const char* typeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    case Json::value_t::binary: return "binary data";
    case Json::value_t::discarded: return "invalid";
    default: return "a number";
  }
}

std::string show(double x) {
  std::ostringstream s;
  s.precision(17);
  s << x;
  return s.str();
}

// A JSON value and where it sits in the request, with strict typed accessors.
class Node {
 public:
  Node(const Json& j, std::string path) : j_(&j), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const Json& raw() const { return *j_; }

  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(path_, (path_.empty() ? "request" : path_) + ": " + message);
  }

  // An object whose keys are all in `allowed`.
  void object(std::initializer_list<std::string_view> allowed) const {
    if (!j_->is_object()) fail(std::string("must be an object, got ") + typeName(*j_));
    for (auto it = j_->begin(); it != j_->end(); ++it) {
      bool known = false;
      for (auto a : allowed) known = known || it.key() == a;
      if (!known) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        child(it.key()).fail("unknown field; expected one of: " + list);
      }
    }
  }

  Node child(std::string_view key) const {
    static const Json kNull;
    auto it = j_->find(key);
    return Node(it == j_->end() ? kNull : *it, path_ + "/" + pointerEscape(key));
  }
  bool has(std::string_view key) const { return j_->contains(key); }
  Node at(std::string_view key) const {
    if (!has(key)) child(key).fail("required field is missing");
    return child(key);
  }

  size_t array() const {
    if (!j_->is_array()) fail(std::string("must be an array, got ") + typeName(*j_));
    return j_->size();
  }
  Node operator[](size_t i) const { return Node((*j_)[i], path_ + "/" + std::to_string(i)); }

  double number() const {
    if (!j_->is_number()) fail(std::string("must be a number, got ") + typeName(*j_));
    const double x = j_->get<double>();
    if (!std::isfinite(x)) fail("must be finite");
    return x;
  }
  double number(double lo, double hi, bool loOpen, bool hiOpen, const char* what) const {
    const double x = number();
    if ((loOpen ? !(x > lo) : !(x >= lo)) || (hiOpen ? !(x < hi) : !(x <= hi))) {
      fail(std::string("must be ") + what + ", got " + show(x));
    }
    return x;
  }
  double positive() const { return number(0, HUGE_VAL, true, true, "> 0"); }
  // A number within [lo, hi] (lo excluded when loOpen): money and sizes are bounded so that every
  // account's P&L stays finite (README, "Additions to the contract", limits).
  double bounded(double lo, double hi, bool loOpen, const char* what) const {
    return number(lo, hi, loOpen, false, what);
  }
  double nonNegative() const { return number(0, HUGE_VAL, false, true, ">= 0"); }

  uint64_t unsignedInteger() const {
    if (!j_->is_number_integer()) fail(std::string("must be an integer, got ") + typeName(*j_));
    if (j_->is_number_unsigned()) return j_->get<uint64_t>();
    const int64_t v = j_->get<int64_t>();
    if (v < 0) fail("must be a non-negative integer, got " + std::to_string(v));
    return static_cast<uint64_t>(v);
  }

  std::string string() const {
    if (!j_->is_string()) fail(std::string("must be a string, got ") + typeName(*j_));
    return j_->get<std::string>();
  }
  std::string id() const {
    std::string s = string();
    if (s.empty()) fail("must be a non-empty string");
    if (s.size() > 256) fail("must be at most 256 bytes of UTF-8, got " + std::to_string(s.size()));
    return s;
  }

  // One of the enum's wire names (host/model/WireNames.h).
  template <typename E>
  E choice() const {
    const std::string s = string();
    if (const auto e = fromWireName<E>(s)) return *e;
    fail("unknown value \"" + s + "\"; expected one of " + quotedWireNames<E>());
  }

 private:
  const Json* j_;
  std::string path_;
};

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
    market.child("correlation").fail("give either correlations (pairs) or correlation (matrix), not both");
  }
  if (market.has("correlations")) {
    const Node list = market.child("correlations");
    m.correlationPath = list.path();
    std::vector<std::vector<bool>> seen(n, std::vector<bool>(n, false));
    for (size_t i = 0; i < list.array(); ++i) {
      const Node pair = list[i];
      pair.object({"a", "b", "rho"});
      const int a = assetRef(pair.at("a")), b = assetRef(pair.at("b"));
      if (a == b) pair.child("b").fail("an asset's correlation with itself is 1; list pairs of distinct assets");
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
void parseHistory(const Node& node, Market& m, const std::unordered_map<std::string, int>& assetIndex) {
  if (!node.raw().is_object()) node.fail(std::string("must be an object of asset id to daily closes"));
  for (auto it = node.raw().begin(); it != node.raw().end(); ++it) {
    const Node series = node.child(it.key());
    auto a = assetIndex.find(it.key());
    if (a == assetIndex.end()) series.fail("unknown asset \"" + it.key() + "\"");
    if (it.key() == m.baseCurrency) series.fail("the base currency's price is 1 by definition: it has no history");
    std::vector<DailyClose>& closes = m.history[a->second];
    for (size_t i = 0; i < series.array(); ++i) {
      const Node day = series[i];
      day.object({"date", "close", "volume", "iv"});
      const long long d = dateOf(day.at("date"));
      if (!closes.empty() && d <= closes.back().day) day.child("date").fail("dates must increase strictly");
      const double close = day.at("close").number(kMinClose, kMaxClose, false, false, "within [1e-12, 1e12]");
      closes.push_back({d, close, day.has("volume") ? day.child("volume").number(0, kMaxDailyVolume, false, false, "within [0, 1e30]") : -1.0,
                        day.has("iv") ? day.child("iv").number(kMinImpliedVol, kMaxImpliedVol, false, false, "within [1e-4, 20]") : -1.0});
    }
  }
}

Market parseMarket(const Node& node, std::unordered_map<std::string, int>& assetIndex) {
  node.object({"as_of", "base_currency", "rate", "assets", "correlations", "correlation", "history"});
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
      asset.dailyVolume = a.child("daily_volume").number(kMinDailyVolume, kMaxDailyVolume, false, false, "within [1e-6, 1e30]");
    if (asset.id == m.baseCurrency && (asset.price != 1.0 || asset.vol != 0.0))
      a.fail("the base currency " + asset.id + " must have price 1 and no vol");
    m.assets.push_back(std::move(asset));
  }
  parseCorrelations(node, m, assetIndex);
  if (node.has("history")) parseHistory(node.child("history"), m, assetIndex);
  return m;
}

Instrument parseInstrument(const Node& n,
                           const std::unordered_map<std::string, int>& assetIndex) {
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
  n.object({"id", "collateral", "positions"});
  Account acct;
  acct.id = n.at("id").id();
  if (n.has("collateral")) {
    const Node list = n.child("collateral");
    for (size_t i = 0; i < list.array(); ++i) {
      const Node c = list[i];
      c.object({"asset", "amount"});
      const Node a = c.at("asset");
      const std::string id = a.string();
      auto it = assetIndex.find(id);
      if (it == assetIndex.end()) a.fail("unknown asset \"" + id + "\"");
      acct.collateral.push_back({it->second, c.at("amount").bounded(-kMaxQuantity, kMaxQuantity, false, "within [-1e15, 1e15]")});
    }
  }
  if (n.has("positions")) {
    const Node list = n.child("positions");
    for (size_t i = 0; i < list.array(); ++i) {
      const Node p = list[i];
      p.object({"instrument", "qty", "entry_price"});
      const Node ref = p.at("instrument");
      const std::string id = ref.string();
      auto it = instrumentIndex.find(id);
      if (it == instrumentIndex.end()) ref.fail("unknown instrument \"" + id + "\"");
      Position pos;
      pos.instrument = it->second;
      pos.qty = p.at("qty").bounded(-kMaxQuantity, kMaxQuantity, false, "within [-1e15, 1e15]");
      const bool spot = instruments[pos.instrument].type == InstrumentType::Spot;
      if (!spot || p.has("entry_price")) {
        const Node e = p.at("entry_price");
        pos.entryPrice = instruments[pos.instrument].type == InstrumentType::Option
                             ? e.bounded(0, kMaxEntryPrice, false, "within [0, 1e15]")
                             : e.bounded(kMinLinearEntry, kMaxEntryPrice, false, "within [1e-12, 1e15]");
      }
      acct.positions.push_back(pos);
    }
  }
  return acct;
}

MarginConfig parseConfig(const Node& n, const Limits& limits) {
  MarginConfig c;
  if (n.raw().is_null()) return c;
  n.object({"measure", "confidence", "horizon_days", "scenarios", "seed", "shocks",
            "im_multiplier", "mm_ratio", "backend", "correlation_repair", "vol_model", "precision",
            "anti_procyclicality", "add_ons"});
  if (n.has("measure"))
    c.measure = n.child("measure").choice<RiskMeasure>();
  if (n.has("confidence")) c.confidence = n.child("confidence").number(0, 1, true, true, "within (0, 1)");
  if (n.has("horizon_days"))
    c.horizonDays = n.child("horizon_days").number(0, kMaxHorizonDays, true, false, "within (0, 365]");
  if (n.has("scenarios")) {
    const Node s = n.child("scenarios");
    const uint64_t v = s.unsignedInteger();
    if (v < static_cast<uint64_t>(limits.minScenarios) || v > static_cast<uint64_t>(limits.maxScenarios)) {
      s.fail("must be within the configured limits [" + std::to_string(limits.minScenarios) + ", " +
             std::to_string(limits.maxScenarios) + "], got " + std::to_string(v));
    }
    c.scenarios = static_cast<int64_t>(v);
  }
  if (n.has("seed")) c.seed = n.child("seed").unsignedInteger();
  if (n.has("shocks")) {
    const Node s = n.child("shocks");
    if (s.raw().is_string()) {
      const std::string v = s.string();
      if (v != "normal") {
        s.fail("unknown value \"" + v + "\"; expected \"normal\", {\"student_t\": {\"dof\": 4}} or {\"fhs\": {\"lookback_days\": 1000}}");
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
  if (n.has("vol_model")) {
    const Node v = n.child("vol_model");
    if (v.raw().is_string()) {
      if (v.string() != "given") v.fail("unknown value \"" + v.string() + "\"; expected \"given\" or {\"ewma\": {\"lambda\": 0.94}}");
    } else {
      v.object({"ewma"});
      const Node e = v.at("ewma");
      e.object({"lambda"});
      c.volModel = VolModel::Ewma;
      if (e.has("lambda")) c.ewmaLambda = e.child("lambda").number(0, 1, true, true, "within (0, 1)");
    }
  }
  if (n.has("anti_procyclicality")) {
    const Node a = n.child("anti_procyclicality");
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
  if (n.has("add_ons")) {
    const Node a = n.child("add_ons");
    a.object({"liquidity", "minimum_rate"});
    if (a.has("liquidity")) {
      const Node l = a.child("liquidity");
      l.object({"coefficient", "adv_days"});
      c.addOns.liquidityCoefficient = l.at("coefficient").number(0, 100, true, false, "within (0, 100]");
      if (l.has("adv_days")) {
        const uint64_t days = l.child("adv_days").unsignedInteger();
        if (days < 1 || days > 3650) l.child("adv_days").fail("must be within [1, 3650]");
        c.addOns.advDays = static_cast<int>(days);
      }
    }
    if (a.has("minimum_rate"))
      c.addOns.minimumRate = a.child("minimum_rate").number(0, 1, false, false, "within [0, 1]");
  }
  return c;
}

}  // namespace

namespace {

// Builds a MarginRequest while nlohmann parses: each account is converted as soon as its object
// closes and its DOM dropped, so the parsed document never holds every account at once (a 1M-
// account request otherwise costs ~4 KB of DOM per account). Accounts that arrive before the
// market and instruments they refer to are kept and converted at the end; errors name the same
// JSON Pointers either way.
class RequestBuilder {
 public:
  explicit RequestBuilder(const Limits& limits) : limits_(limits) {}

  bool event(int depth, Json::parse_event_t e, Json& value) {
    using E = Json::parse_event_t;
    if (depth == 1 && e == E::key) {
      key_ = value.get<std::string>();
      if (!rootKeys_.insert(key_).second) {
        throw InputError("/" + pointerKey(key_), "/" + pointerKey(key_) + ": duplicate key");
      }
      return true;
    }
    if (depth == 1 && key_ == "accounts" && e == E::array_start) accountsArray_ = true;
    if (depth == 1 && key_ == "market" && e == E::object_end) {
      market_ = std::move(value);
      haveMarket_ = true;
      tryCatalog();
      return false;  // kept aside, converted in tryCatalog
    }
    if (depth == 1 && key_ == "instruments" && e == E::array_end) {
      instruments_ = std::move(value);
      haveInstruments_ = true;
      tryCatalog();
      return false;
    }
    const bool accountDone = depth == 2 && accountsArray_ && key_ == "accounts" &&
                             (e == E::object_end || e == E::array_end || e == E::value);
    if (accountDone && catalogReady_) {
      addAccount(value);
      return false;  // converted: drop its DOM
    }
    return true;
  }

  // A document already parsed (MessagePack, tests): take market and instruments out of it, then
  // convert the rest as finish() does.
  MarginRequest adopt(Json& doc) {
    if (!doc.is_object()) Node(doc, "").object({});  // "request: must be an object"
    if (doc.contains("market")) {
      market_ = std::move(doc["market"]);
      haveMarket_ = true;
    }
    if (doc.contains("instruments")) {
      instruments_ = std::move(doc["instruments"]);
      haveInstruments_ = true;
    }
    tryCatalog();
    return finish(doc);
  }

  MarginRequest finish(Json& doc) {
    const Node root(doc, "");
    root.object({"market", "instruments", "accounts", "config"});
    req_.config = parseConfig(root.child("config"), limits_);
    if (catalogReady_) checkVolOfVol();
    if (!haveMarket_) root.at("market");  // required: throws
    if (!haveInstruments_) root.at("instruments");
    if (!catalogReady_) {  // non-container market or instruments: let the strict reader say so
      if (!market_.is_object()) Node(market_, "/market").object({});
      Node(instruments_, "/instruments").array();
    }
    const Node accounts = root.at("accounts");
    accounts.array();
    for (size_t i = 0; i < accounts.raw().size(); ++i) addAccount(doc["accounts"][i]);
    const double work = static_cast<double>(req_.accounts.size()) * static_cast<double>(req_.config.scenarios);
    if (work > limits_.maxWork) {
      std::ostringstream msg;
      msg << "/config/scenarios: accounts x scenarios = " << work << " exceeds the limit of "
          << limits_.maxWork << " per request; split the accounts across requests";
      throw InputError("/config/scenarios", msg.str(), ErrorKind::LimitExceeded);
    }
    return std::move(req_);
  }

 private:
  static std::string pointerKey(const std::string& k) { return pointerEscape(k); }

  // An implied-vol factor needs a risky asset: a vol, or (vol_model ewma) a history.
  void checkVolOfVol() const {
    for (size_t a = 0; a < req_.market.assets.size(); ++a) {
      const Asset& asset = req_.market.assets[a];
      const bool estimated = req_.config.volModel == VolModel::Ewma && req_.market.history.count(static_cast<int>(a));
      if (asset.volOfVol > 0 && asset.vol == 0 && !estimated) {
        throw InputError("/market/assets/" + std::to_string(a) + "/vol_of_vol",
                         "/market/assets/" + std::to_string(a) + "/vol_of_vol: needs a risky asset (vol > 0, "
                         "or a history with vol_model ewma); a riskless asset has no implied-vol factor");
      }
    }
  }

  void tryCatalog() {
    if (catalogReady_ || !haveMarket_ || !haveInstruments_) return;
    if (!market_.is_object() || !instruments_.is_array()) return;  // finish() reports it
    req_.market = parseMarket(Node(market_, "/market"), assetIndex_);
    const Node list(instruments_, "/instruments");
    for (size_t i = 0; i < list.array(); ++i) {
      req_.instruments.push_back(parseInstrument(list[i], assetIndex_));
      if (!instrumentIndex_.emplace(req_.instruments.back().id, static_cast<int>(i)).second) {
        list[i].child("id").fail("duplicate instrument id \"" + req_.instruments.back().id + "\"");
      }
    }
    market_ = Json();
    instruments_ = Json();
    catalogReady_ = true;
  }

  void addAccount(const Json& value) {
    const size_t i = req_.accounts.size();
    if (static_cast<int64_t>(i) >= limits_.maxAccounts) {
      throw InputError("/accounts", "/accounts: more than the limit of " +
                       std::to_string(limits_.maxAccounts) + " accounts", ErrorKind::LimitExceeded);
    }
    const Node node(value, "/accounts/" + std::to_string(i));
    req_.accounts.push_back(parseAccount(node, assetIndex_, instrumentIndex_, req_.instruments));
    if (!accountIds_.insert(req_.accounts.back().id).second) {
      node.child("id").fail("duplicate account id \"" + req_.accounts.back().id + "\"");
    }
  }

  const Limits& limits_;
  MarginRequest req_;
  std::unordered_map<std::string, int> assetIndex_, instrumentIndex_;
  std::unordered_set<std::string> accountIds_, rootKeys_;
  std::string key_;
  Json market_, instruments_;
  bool haveMarket_ = false, haveInstruments_ = false, catalogReady_ = false, accountsArray_ = false;
};

// Where a parser stopped in `text`: the JSON Pointer of the value being read, or of the object
// whose key was being read. A SAX pass run only after a failure, so parsing pays nothing for it.
struct ParseLocation {
  std::string pointer;
  bool inKey = false;
};

class LocatingSax final : public nlohmann::json_sax<Json> {
 public:
  ParseLocation location() const {
    ParseLocation at;
    for (size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.array) {
        at.pointer += "/" + std::to_string(f.index);
      } else if (f.haveKey) {
        at.pointer += "/" + pointerEscape(f.key);
      } else {
        at.inKey = i + 1 == frames_.size();
        break;
      }
    }
    return at;
  }

  bool null() override { return completed(); }
  bool boolean(bool) override { return completed(); }
  bool number_integer(number_integer_t) override { return completed(); }
  bool number_unsigned(number_unsigned_t) override { return completed(); }
  bool number_float(number_float_t, const string_t&) override { return completed(); }
  bool string(string_t&) override { return completed(); }
  bool binary(binary_t&) override { return completed(); }
  bool start_object(std::size_t) override {
    frames_.push_back({});
    return true;
  }
  bool key(string_t& k) override {
    frames_.back().key = k;
    frames_.back().haveKey = true;
    return true;
  }
  bool end_object() override {
    frames_.pop_back();
    return completed();
  }
  bool start_array(std::size_t) override {
    frames_.emplace_back().array = true;
    return true;
  }
  bool end_array() override { return end_object(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  struct Frame {
    bool array = false;
    size_t index = 0;  // of the element being read
    std::string key;   // of the member being read
    bool haveKey = false;
  };
  bool completed() {
    if (frames_.empty()) return true;
    Frame& f = frames_.back();
    if (f.array) ++f.index;
    else f.haveKey = false;
    return true;
  }
  std::vector<Frame> frames_;
};

ParseLocation locateParseError(std::string_view text) {
  LocatingSax sax;
  Json::sax_parse(text, &sax, nlohmann::detail::input_format_t::json, false);
  return sax.location();
}

// nlohmann's message without its prefix and its quote of the raw bytes: "[json.exception...]
// parse error at line 1, column 8: syntax error while parsing value - invalid string: ill-formed
// UTF-8 byte; last read: '...'" -> "invalid string: ill-formed UTF-8 byte".
std::string parseErrorDetail(const std::string& what) {
  const size_t dash = what.find(" - ");
  std::string detail = dash == std::string::npos ? what : what.substr(dash + 3);
  const size_t last = detail.find("; last read:");
  if (last != std::string::npos) detail.resize(last);
  return detail;
}

// A request nests at most 5 levels (/accounts/0/positions/0/qty); deeper documents are refused
// before they cost recursion or memory.
constexpr int kMaxDepth = 32;

[[noreturn]] void failTooDeep() {
  throw InputError("", "request: nesting deeper than " + std::to_string(kMaxDepth) +
                           " levels; a request nests at most 5");
}

MarginRequest parseWithBuilder(std::string_view text, const Limits& limits) {
  RequestBuilder builder(limits);
  Json doc;
  try {
    doc = Json::parse(text, [&](int depth, Json::parse_event_t e, Json& v) {
      if (depth >= kMaxDepth) failTooDeep();
      return builder.event(depth, e, v);
    });
  } catch (const Json::parse_error& e) {
    std::string detail = parseErrorDetail(e.what());
    const ParseLocation at = locateParseError(text);
    const std::string where = " at byte " + std::to_string(e.byte) + " of the request)";
    const std::string stringError = "invalid string: ";
    if (detail.rfind(stringError, 0) == 0) {
      // Inside a string: name it. A key has no pointer of its own: name its object.
      detail.erase(0, stringError.size());
      const std::string what = at.inKey ? "an object key is not " : "not ";
      const std::string kind = detail.find("UTF-8") != std::string::npos ? "valid UTF-8 (" : "a valid JSON string (";
      throw InputError(at.pointer, (at.pointer.empty() ? "request" : at.pointer) + ": " + what + kind + detail + where);
    }
    throw InputError("", "malformed JSON: " + detail + " (" + where.substr(1) +
                             (at.pointer.empty() ? "" : ", inside " + at.pointer));
  } catch (const Json::exception& e) {
    // out_of_range for a number beyond double's range (found by fuzzing).
    throw InputError("", std::string("malformed JSON: ") + e.what());
  }
  if (!doc.is_object()) Node(doc, "").object({});  // "request: must be an object"
  return builder.finish(doc);
}

// Every string and key of a document (a MessagePack body: JSON text is checked by its lexer) must
// be well-formed UTF-8; the first that is not is named by its pointer (a key: by its object's).
void checkUtf8(const Json& j, std::string& path, int depth) {
  if (depth >= kMaxDepth) failTooDeep();
  auto invalid = [&](std::string_view s, bool key) {
    const auto bad = firstInvalidUtf8(s);
    if (!bad) return;
    const std::string label = path.empty() ? "request" : path;
    std::ostringstream msg;
    msg << label << ": " << (key ? "an object key" : "the string") << " is not valid UTF-8 (byte 0x"
        << std::hex << std::uppercase << static_cast<int>(static_cast<unsigned char>(s[*bad])) << std::dec
        << " at offset " << *bad << ")";
    throw InputError(path, msg.str());
  };
  if (j.is_string()) {
    invalid(j.get_ref<const std::string&>(), false);
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      invalid(it.key(), true);
      const size_t mark = path.size();
      path += "/" + pointerEscape(it.key());
      checkUtf8(it.value(), path, depth + 1);
      path.resize(mark);
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      const size_t mark = path.size();
      path += "/" + std::to_string(i);
      checkUtf8(j[i], path, depth + 1);
      path.resize(mark);
    }
  }
}

// nlohmann's DOM builder behind a depth limit: its MessagePack reader recurses once per level, so
// a body of nested one-element arrays would otherwise exhaust the stack.
class BoundedDomSax final : public nlohmann::json_sax<Json> {
 public:
  explicit BoundedDomSax(Json& out) : dom_(out, true) {}
  bool tooDeep() const { return tooDeep_; }

  bool null() override { return dom_.null(); }
  bool boolean(bool v) override { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) override { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) override { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) override { return dom_.number_float(v, s); }
  bool string(string_t& v) override { return dom_.string(v); }
  bool binary(binary_t& v) override { return dom_.binary(v); }
  bool start_object(std::size_t n) override { return enter() && dom_.start_object(n); }
  bool key(string_t& k) override { return dom_.key(k); }
  bool end_object() override {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) override { return enter() && dom_.start_array(n); }
  bool end_array() override {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t p, const std::string& t, const nlohmann::detail::exception& e) override {
    return dom_.parse_error(p, t, e);  // throws
  }

 private:
  bool enter() {
    if (++depth_ < kMaxDepth) return true;
    tooDeep_ = true;
    return false;
  }
  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  int depth_ = 0;
  bool tooDeep_ = false;
};

}  // namespace

MarginRequest parseRequestText(std::string_view text, const Limits& limits) {
  return parseWithBuilder(text, limits);
}

MarginRequest parseRequestMsgpack(std::string_view bytes, const Limits& limits) {
  Json doc;
  BoundedDomSax sax(doc);
  try {
    Json::sax_parse(bytes, &sax, nlohmann::detail::input_format_t::msgpack, true);
  } catch (const Json::exception& e) {
    throw InputError("", std::string("malformed MessagePack: ") + parseErrorDetail(e.what()));
  }
  if (sax.tooDeep()) failTooDeep();
  return parseRequest(std::move(doc), limits);
}

MarginRequest parseRequest(Json body, const Limits& limits) {
  std::string path;
  checkUtf8(body, path, 0);
  return RequestBuilder(limits).adopt(body);
}

std::string toText(const Json& j, int indent) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

Json configToJson(const MarginConfig& c) {
  Json config{{"measure", wireName(c.measure)}, {"confidence", c.confidence},
              {"horizon_days", c.horizonDays}, {"scenarios", c.scenarios}, {"seed", c.seed}};
  if (c.shocks == ShockModel::StudentT) config["shocks"] = {{"student_t", {{"dof", c.dof}}}};
  else if (c.shocks == ShockModel::Fhs) config["shocks"] = {{"fhs", {{"lookback_days", c.fhsLookbackDays}}}};
  else config["shocks"] = "normal";
  config["im_multiplier"] = c.imMultiplier;
  config["mm_ratio"] = c.mmRatio;
  config["backend"] = wireName(c.backend);
  if (c.correlationRepair != CorrelationRepair::None) config["correlation_repair"] = wireName(c.correlationRepair);
  if (c.precision != Precision::Fp64) config["precision"] = wireName(c.precision);
  if (c.volModel == VolModel::Ewma) config["vol_model"] = {{"ewma", {{"lambda", c.ewmaLambda}}}};
  if (c.antiProcyclicality.enabled) {
    const AntiProcyclicality& a = c.antiProcyclicality;
    config["anti_procyclicality"] = {{"lookback_days", a.lookbackDays},
                                     {"stress_window_days", a.stressWindowDays}, {"floor", a.floor},
                                     {"stress_weight", a.stressWeight}, {"buffer", a.buffer}};
  }
  if (c.addOns.liquidityCoefficient > 0 || c.addOns.minimumRate > 0) {
    Json addOns = Json::object();
    if (c.addOns.liquidityCoefficient > 0)
      addOns["liquidity"] = {{"coefficient", c.addOns.liquidityCoefficient}, {"adv_days", c.addOns.advDays}};
    if (c.addOns.minimumRate > 0) addOns["minimum_rate"] = c.addOns.minimumRate;
    config["add_ons"] = std::move(addOns);
  }
  return config;
}

Json requestToJson(const MarginRequest& r) {
  Json market;
  market["as_of"] = r.market.asOfText;
  market["base_currency"] = r.market.baseCurrency;
  market["rate"] = r.market.rate;
  Json assets = Json::array();
  for (const Asset& a : r.market.assets) {
    Json j{{"id", a.id}, {"price", a.price}};
    if (a.vol > 0) j["vol"] = a.vol;
    if (a.volOfVol > 0) j["vol_of_vol"] = a.volOfVol;
    if (a.spotVolCorr != 0) j["spot_vol_corr"] = a.spotVolCorr;
    if (a.dailyVolume > 0) j["daily_volume"] = a.dailyVolume;
    assets.push_back(std::move(j));
  }
  market["assets"] = std::move(assets);
  std::vector<int> risky;
  for (size_t i = 0; i < r.market.assets.size(); ++i)
    if (r.market.assets[i].risky()) risky.push_back(static_cast<int>(i));
  Json ids = Json::array(), matrix = Json::array();
  for (int i : risky) {
    ids.push_back(r.market.assets[i].id);
    Json row = Json::array();
    for (int j : risky) row.push_back(r.market.correlation(i, j));
    matrix.push_back(std::move(row));
  }
  market["correlation"] = {{"assets", ids}, {"matrix", matrix}};
  if (!r.market.history.empty()) {
    Json history = Json::object();
    for (const auto& [a, closes] : r.market.history) {
      Json series = Json::array();
      for (const DailyClose& c : closes) {
        Json day{{"date", formatDate(c.day)}, {"close", c.close}};
        if (c.volume >= 0) day["volume"] = c.volume;
        if (c.iv > 0) day["iv"] = c.iv;
        series.push_back(std::move(day));
      }
      history[r.market.assets[a].id] = std::move(series);
    }
    market["history"] = std::move(history);
  }

  auto time = [&](double t) { return formatRfc3339(t); };
  Json instruments = Json::array();
  for (const Instrument& i : r.instruments) {
    Json j{{"id", i.id}, {"type", wireName(i.type)},
           {"underlying", r.market.assets[i.underlying].id}, {"contract_size", i.contractSize}};
    if (i.type == InstrumentType::Future || i.type == InstrumentType::Option) j["expiry"] = time(i.expiry);
    if (i.type == InstrumentType::Option) {
      j["right"] = wireName(i.right);
      j["strike"] = i.strike;
      j["iv"] = i.iv;
    }
    instruments.push_back(std::move(j));
  }
  Json accounts = Json::array();
  for (const Account& a : r.accounts) {
    Json col = Json::array(), pos = Json::array();
    for (const Collateral& c : a.collateral)
      col.push_back({{"asset", r.market.assets[c.asset].id}, {"amount", c.amount}});
    for (const Position& p : a.positions) {
      Json j{{"instrument", r.instruments[p.instrument].id}, {"qty", p.qty}};
      if (r.instruments[p.instrument].type != InstrumentType::Spot) j["entry_price"] = p.entryPrice;
      pos.push_back(std::move(j));
    }
    accounts.push_back({{"id", a.id}, {"collateral", std::move(col)}, {"positions", std::move(pos)}});
  }
  return {{"market", std::move(market)}, {"instruments", std::move(instruments)},
          {"accounts", std::move(accounts)}, {"config", configToJson(r.config)}};
}

namespace {

// Accounts carry add_ons when a config asks for any (the buffer, liquidity or a minimum).
bool showAddOns(const MarginConfig& c) {
  return c.antiProcyclicality.buffer > 0 || c.addOns.liquidityCoefficient > 0 || c.addOns.minimumRate > 0;
}

}  // namespace

namespace {

// An account's fields (contract §4), written once for both writers.
template <typename Writer>
void writeAccount(Writer& w, const MarginRequest& request, int64_t index, const AccountResult& r) {
  const Account& a = request.accounts[index];
  w.beginObject()
      .field("id", a.id)
      .field("equity", r.equity)
      .field("var", r.var)
      .field("es", r.es)
      .field("es_stderr", r.esStderr)
      .field("isolated_margin", r.isolatedMargin)
      .field("diversification_benefit", r.diversificationBenefit)
      .field("initial_margin", r.initialMargin)
      .field("maintenance_margin", r.maintenanceMargin)
      .field("excess", r.excess)
      .field("status", wireName(r.status));
  auto leg = [&](const char* refKey, const std::string& ref, const LegResult& l) {
    w.beginObject()
        .field(refKey, ref)
        .field("value", l.value)
        .field("standalone_es", l.standaloneEs)
        .field("es_contribution", l.esContribution)
        .endObject();
  };
  w.key("positions").beginArray();
  for (size_t i = 0; i < r.positions.size(); ++i)
    leg("instrument", request.instruments[a.positions[i].instrument].id, r.positions[i]);
  w.endArray().key("collateral").beginArray();
  for (size_t i = 0; i < r.collateral.size(); ++i)
    leg("asset", request.market.assets[a.collateral[i].asset].id, r.collateral[i]);
  w.endArray();
  if (showAddOns(request.config)) {
    w.key("add_ons")
        .beginObject()
        .field("apc_buffer", r.apcBuffer)
        .field("liquidity", r.liquidityAddOn)
        .field("minimum", r.minimumAddOn)
        .field("gross_notional", r.grossNotional)
        .endObject();
  }
  w.endObject();
}

}  // namespace

Json accountToJson(const MarginRequest& request, int64_t index, const AccountResult& r) {
  Json j;
  JsonDomWriter w(j);
  writeAccount(w, request, index, r);
  return j;
}

void appendAccountJson(std::string& out, const MarginRequest& request, int64_t index,
                       const AccountResult& r) {
  JsonWriter w(out);
  writeAccount(w, request, index, r);
}

Json runToJson(const RunInfo& run) {
  Json j{{"backend", wireName(run.backend)}, {"device", run.device}, {"scenarios", run.scenarios},
         {"seed", run.seed}, {"tail_count", run.tailCount}, {"elapsed_ms", run.elapsedMs},
         {"version", kVersion}, {"precision", wireName(run.precision)},
         {"correlation_repair", wireName(run.correlationRepair)},
         {"stages_ms", {{"compile", run.compileMs}, {"prepare", run.prepareMs},
                        {"risk", run.riskMs}, {"margin", run.marginMs}}}};
  if (run.correlationRepair != CorrelationRepair::None) j["correlation_repair_distance"] = run.correlationRepairDistance;
  j["vol_model"] = wireName(run.volModel);
  if (run.volModel == VolModel::Ewma) {
    Json est = Json::object();
    for (const auto& e : run.estimates) {
      est[e.asset] = {{"vol", e.vol}, {"days", e.days}};
      if (e.ivDays > 0) {
        est[e.asset]["vol_of_vol"] = e.volOfVol;
        est[e.asset]["spot_vol_corr"] = e.spotVolCorr;
        est[e.asset]["iv_days"] = e.ivDays;
      }
    }
    j["ewma"] = {{"lambda", run.ewmaLambda}, {"common_days", run.ewmaCommonDays}, {"estimates", est}};
  }
  if (run.antiProcyclicality) {
    Json assets = Json::object();
    for (const auto& a : run.apc) {
      assets[a.asset] = {{"model_vol", a.modelVol}, {"long_run_vol", a.longRunVol},
                         {"stressed_vol", a.stressedVol}, {"vol", a.vol}, {"stress_level", a.stressLevel}};
    }
    const AntiProcyclicality& c = run.apcConfig;
    j["anti_procyclicality"] = {{"lookback_days", c.lookbackDays},
                                {"stress_window_days", c.stressWindowDays}, {"floor", c.floor},
                                {"stress_weight", c.stressWeight}, {"buffer", c.buffer},
                                {"assets", std::move(assets)}};
  }
  return j;
}

Json totalsToJson(const MarginTotals& t) {
  return {{"accounts", t.accounts}, {"equity", t.equity}, {"initial_margin", t.initialMargin},
          {"maintenance_margin", t.maintenanceMargin}, {"isolated_margin", t.isolatedMargin},
          {"ok", t.ok}, {"margin_call", t.marginCall}, {"liquidate", t.liquidate}};
}

Json responseToJson(const MarginRequest& request, const MarginResponse& response) {
  Json accounts = Json::array();
  for (size_t i = 0; i < response.accounts.size(); ++i)
    accounts.push_back(accountToJson(request, static_cast<int64_t>(i), response.accounts[i]));
  return {{"accounts", std::move(accounts)}, {"run", runToJson(response.run)},
          {"totals", totalsToJson(response.totals)}};
}

std::string responseToText(const MarginRequest& request, const MarginResponse& response) {
  std::string out = "{\"accounts\":[";
  for (size_t i = 0; i < response.accounts.size(); ++i) {
    if (i) out += ',';
    appendAccountJson(out, request, static_cast<int64_t>(i), response.accounts[i]);
  }
  out += "],\"run\":" + toText(runToJson(response.run)) + ",\"totals\":" +
         toText(totalsToJson(response.totals)) + "}";
  return out;
}

Json errorToJson(const std::string& code, const std::string& message, const std::string& path) {
  // The message may quote what the caller sent, and the path its keys: whatever their bytes, the
  // envelope itself is always valid UTF-8.
  return {{"error", {{"code", code}, {"message", sanitizeUtf8(message)}, {"path", sanitizeUtf8(path)}}}};
}

Json errorToJson(const InputError& e) { return errorToJson(e.code(), e.what(), e.path()); }

Json errorToJson(const ErrorReport& r) { return errorToJson(errorKindInfo(r.kind).code, r.message, r.path); }

StreamingResponseWriter::StreamingResponseWriter(const MarginRequest& request, std::ostream& out,
                                                 int indent)
    : request_(request), out_(out), indent_(indent) {
  out_ << "{\"accounts\":[";
}

void StreamingResponseWriter::accounts(int64_t first, const std::vector<AccountResult>& results) {
  // Serialise the batch's accounts in parallel, write them in request order.
  const int64_t n = static_cast<int64_t>(results.size());
  std::vector<std::string> text(n);
  ParallelErrors errors;
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t i = 0; i < n; ++i) {
    errors.capture([&] {
      faultPoint("writer.accounts");
      if (indent_ >= 0) {
        text[i] = toText(accountToJson(request_, first + i, results[i]), indent_);
      } else {
        appendAccountJson(text[i], request_, first + i, results[i]);
      }
    });
  }
  errors.rethrow();
  for (int64_t i = 0; i < n; ++i) {
    out_ << (any_ ? "," : "") << (indent_ >= 0 ? "\n" : "") << text[i];
    any_ = true;
  }
}

void StreamingResponseWriter::finish(const RunSummary& summary) {
  const char* nl = indent_ >= 0 ? "\n" : "";
  out_ << nl << "],\"run\":" << toText(runToJson(summary.run), indent_) << "," << nl
       << "\"totals\":" << toText(totalsToJson(summary.totals), indent_) << "}\n";
}

}  // namespace xm
