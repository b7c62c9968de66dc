#include "api/json/RequestParser.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <cmath>
#include <istream>
#include <limits>
#include <optional>

#include <omp.h>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "api/json/MsgpackAccounts.h"
#include "api/json/ParallelAccounts.h"
#include "api/json/RequestFields.h"
#include "api/json/Utf8.h"
#include "host/base/Files.h"
#include "host/intraday/Snapshot.h"

namespace xm {

using json::Node;
using json::pointerEscape;

namespace {

// The request's limits on its accounts (LimitExceeded): their number, and accounts x scenarios.
void checkAccountCount(int64_t count, const Limits& limits) {
  if (count <= limits.maxAccounts) return;
  throw InputError(
      "/accounts",
      "/accounts: more than the limit of " + std::to_string(limits.maxAccounts) + " accounts",
      ErrorKind::LimitExceeded);
}

void checkWork(int64_t accounts, int64_t scenarios, const Limits& limits) {
  const double work = static_cast<double>(accounts) * static_cast<double>(scenarios);
  if (work <= limits.maxWork) return;
  std::ostringstream msg;
  msg << "/config/scenarios: accounts x scenarios = " << work << " exceeds the limit of "
      << limits.maxWork << " per request; split the accounts across requests";
  throw InputError("/config/scenarios", msg.str(), ErrorKind::LimitExceeded);
}

// Builds a MarginRequest while nlohmann parses: each account is converted as soon as its object
// closes and its DOM dropped, so the parsed document never holds every account at once (a 1M-
// account request otherwise costs ~4 KB of DOM per account). Accounts that arrive before the
// market and instruments they refer to are kept and converted at the end; errors name the same
// JSON Pointers either way.
class RequestBuilder {
 public:
  RequestBuilder(const Limits& limits, const RequestOptions& options)
      : limits_(limits), options_(options) {}

  bool event(int depth, Json::parse_event_t e, Json& value) {
    using E = Json::parse_event_t;
    if (depth == 1 && e == E::key) {
      key_ = value.get<std::string>();
      if (!rootKeys_.insert(key_).second) {
        throw InputError("/" + pointerKey(key_), "/" + pointerKey(key_) + ": duplicate key");
      }
      return true;
    }
    if (depth == 1 && key_ == "accounts" && options_.noAccounts) refuseAccounts();
    if (depth == 1 && key_ == "accounts" && e == E::array_start) accountsArray_ = true;
    // Values at depth 1 are kept (nlohmann would leave a discarded primitive in the object and
    // later erase it in place of the next discarded one); finish() takes them out.
    if (depth == 1 && key_ == "snapshot" && options_.snapshots && e != E::array_start &&
        e != E::object_start) {
      adoptSnapshot(value);
      return true;
    }
    if (depth == 1 && isExtra(key_) && (e == E::object_end || e == E::array_end)) {
      extras_[key_] = std::move(value);
      return false;
    }
    if (depth == 1 && key_ == "market" && e == E::object_end) {
      refuseBesideSnapshot("market");
      market_ = std::move(value);
      haveMarket_ = true;
      tryCatalog();
      return false;  // kept aside, converted in tryCatalog
    }
    if (depth == 1 && key_ == "instruments" && e == E::array_end) {
      refuseBesideSnapshot("instruments");
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
  ParsedRequest adopt(Json& doc) {
    if (!doc.is_object()) Node(doc, "").object({});  // "request: must be an object"
    takeCatalogue(doc);
    return finish(doc);
  }

  // The extras, the snapshot, the market and the instruments taken out of a parsed document (an
  // object), and the catalogue read when it is complete.
  void takeCatalogue(Json& doc) {
    for (const std::string& key : options_.extraKeys) {
      if (doc.contains(key)) {
        extras_[key] = std::move(doc[key]);
        doc.erase(key);
      }
    }
    if (options_.snapshots && doc.contains("snapshot")) {
      adoptSnapshot(doc["snapshot"]);
      doc.erase("snapshot");
      for (const char* key : {"market", "instruments"})
        if (doc.contains(key)) refuseBesideSnapshot(key);
    }
    if (doc.contains("market")) {
      market_ = std::move(doc["market"]);
      haveMarket_ = true;
    }
    if (doc.contains("instruments")) {
      instruments_ = std::move(doc["instruments"]);
      haveInstruments_ = true;
    }
    tryCatalog();
  }

  // The catalogue accounts are parsed against, once the market and instruments (or the snapshot)
  // have been read.
  bool catalogReady() const { return catalogReady_; }
  const std::unordered_map<std::string, int>& assets() const { return *assets_; }
  const std::unordered_map<std::string, int>& instrumentIds() const { return *instrumentIds_; }

  ParsedRequest finish(Json& doc) {
    if (doc.is_object()) {
      if (snapshot_) doc.erase("snapshot");
      for (const std::string& key : options_.extraKeys) {
        if (!doc.contains(key)) continue;
        if (!extras_.contains(key)) extras_[key] = std::move(doc[key]);
        doc.erase(key);
      }
    }
    const Node root(doc, "");
    if (snapshot_) {
      if (root.has("config")) refuseBesideSnapshot("config");
      root.object({"snapshot", "accounts"});
    } else if (options_.snapshots) {
      root.object({"market", "instruments", "accounts", "config", "snapshot"});
    } else {
      root.object({"market", "instruments", "accounts", "config"});
    }
    if (options_.noAccounts && root.has("accounts")) refuseAccounts();
    if (!snapshot_) req_.config = parseConfig(root.child("config"), limits_);
    if (catalogReady_ && !snapshot_) checkVolOfVol();  // a snapshot's was checked at its PUT
    if (!haveMarket_) root.at("market");               // required: throws
    if (!haveInstruments_) root.at("instruments");
    if (!catalogReady_) {  // non-container market or instruments: let the strict reader say so
      if (!market_.is_object()) Node(market_, "/market").object({});
      Node(instruments_, "/instruments").array();
    }
    if (!snapshot_) {
      const Node config = root.child("config");
      if (config.raw().is_object()) {
        parseFlatRates(config, instrumentIndex_, req_.instruments, req_.config);
        parseGrid(config, assetIndex_, req_.market.assets.size(), req_.config);
      }
    }
    if (!options_.noAccounts) {
      const Node accounts = root.at("accounts");
      accounts.array();
      for (size_t i = 0; i < accounts.raw().size(); ++i) addAccount(doc["accounts"][i]);
    }
    checkWork(seenAccounts_, req_.config.scenarios, limits_);
    if (snapshot_ && !options_.noAccounts) {
      // The snapshot's catalogue for the response writers (a what-if needs none: not copied).
      std::vector<Account> accounts = std::move(req_.accounts);
      req_ = snapshot_->requestWith(std::move(accounts));
    }
    return {std::move(req_), std::move(snapshot_), std::move(extras_)};
  }

 private:
  static std::string pointerKey(const std::string& k) { return pointerEscape(k); }

  // An implied-vol factor needs a risky asset: a vol, or (vol_model ewma) a history.
  void checkVolOfVol() const {
    for (size_t a = 0; a < req_.market.assets.size(); ++a) {
      const Asset& asset = req_.market.assets[a];
      const bool estimated =
          req_.config.volModel == VolModel::Ewma && req_.market.history.count(static_cast<int>(a));
      if (asset.volOfVol > 0 && asset.vol == 0 && !estimated) {
        throw InputError(
            "/market/assets/" + std::to_string(a) + "/vol_of_vol",
            "/market/assets/" + std::to_string(a) +
                "/vol_of_vol: needs a risky asset (vol > 0, "
                "or a history with vol_model ewma); a riskless asset has no implied-vol factor");
      }
    }
  }

  bool isExtra(const std::string& key) const {
    for (const std::string& k : options_.extraKeys)
      if (k == key) return true;
    return false;
  }

  // "snapshot": the market, instruments and config of a stored snapshot (contract §10).
  void adoptSnapshot(const Json& value) {
    const Node node(value, "/snapshot");
    const std::string id = node.string();
    checkSnapshotId(id, "/snapshot");
    snapshot_ = options_.snapshots(id, "/snapshot");
    if (haveMarket_) refuseBesideSnapshot("market");
    if (haveInstruments_) refuseBesideSnapshot("instruments");
    req_.config = snapshot_->definition().config;
    instrumentList_ = &snapshot_->definition().instruments;
    assets_ = &snapshot_->assetIndex();
    instrumentIds_ = &snapshot_->instrumentIndex();
    haveMarket_ = haveInstruments_ = catalogReady_ = true;
  }

  [[noreturn]] void refuseAccounts() const {
    throw InputError("/accounts",
                     "/accounts: not allowed here: a snapshot carries no accounts (send them in "
                     "requests naming it), and a what-if takes one \"account\"");
  }

  void refuseBesideSnapshot(const char* key) const {
    if (!snapshot_) return;
    const std::string path = std::string("/") + key;
    throw InputError(path, path +
                               ": a request on a snapshot takes the snapshot's market, "
                               "instruments and config; send either \"snapshot\" or all three");
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
    const int64_t i = seenAccounts_++;
    checkAccountCount(i + 1, limits_);
    const Node node(value, "/accounts/" + std::to_string(i));
    if (options_.legCounts) options_.legCounts->push_back(legsOf(value));
    if (i < options_.keepFirst || i >= options_.keepLast) {
      // Another rank's account: its id still takes part in the duplicate check (one that is
      // not a string is for its own rank to refuse).
      if (value.is_object() && value.contains("id") && value["id"].is_string()) {
        const std::string& id = value["id"].get_ref<const std::string&>();
        if (!accountIds_.insert(id).second)
          node.child("id").fail("duplicate account id \"" + id + "\"");
      }
      return;
    }
    Account account = parseAccount(node, *assets_, *instrumentIds_, *instrumentList_);
    if (!accountIds_.insert(account.id).second)
      node.child("id").fail("duplicate account id \"" + account.id + "\"");
    if (options_.accountSink)
      options_.accountSink(std::move(account));
    else
      req_.accounts.push_back(std::move(account));
  }

  // An account's positions plus collateral holdings as the text has them (0 for what is not an
  // array: the account's own parse refuses it).
  static int32_t legsOf(const Json& account) {
    if (!account.is_object()) return 0;
    size_t n = 0;
    for (const char* key : {"positions", "collateral"}) {
      const auto it = account.find(key);
      if (it != account.end() && it->is_array()) n += it->size();
    }
    return static_cast<int32_t>(std::min<size_t>(n, INT32_MAX));
  }

  const Limits& limits_;
  const RequestOptions& options_;
  MarginRequest req_;
  std::shared_ptr<const MarketSnapshot> snapshot_;
  Json extras_ = Json::object();
  std::unordered_map<std::string, int> assetIndex_, instrumentIndex_;
  // The catalogue accounts are parsed against: the request's own, or the snapshot's.
  const std::unordered_map<std::string, int>* assets_ = &assetIndex_;
  const std::unordered_map<std::string, int>* instrumentIds_ = &instrumentIndex_;
  const std::vector<Instrument>* instrumentList_ = &req_.instruments;
  std::unordered_set<std::string> accountIds_, rootKeys_;
  std::string key_;
  Json market_, instruments_;
  bool haveMarket_ = false, haveInstruments_ = false, catalogReady_ = false, accountsArray_ = false;
  int64_t seenAccounts_ = 0;  // every account of the text, kept or not
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
    if (f.array)
      ++f.index;
    else
      f.haveKey = false;
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

// `parse(callback)` parses the text (whole, or streamed); `text()` gives it whole to locate an
// error (only then).
template <typename Parse, typename Text>
ParsedRequest parseWithBuilder(const Parse& parse, const Text& textForErrors, const Limits& limits,
                               const RequestOptions& options) {
  RequestBuilder builder(limits, options);
  Json doc;
  try {
    doc = parse([&](int depth, Json::parse_event_t e, Json& v) {
      if (depth >= kMaxDepth) failTooDeep();
      return builder.event(depth, e, v);
    });
  } catch (const Json::parse_error& e) {
    std::string detail = parseErrorDetail(e.what());
    const auto text = textForErrors();
    const ParseLocation at = locateParseError(text.view());
    const std::string where = " at byte " + std::to_string(e.byte) + " of the request)";
    const std::string stringError = "invalid string: ";
    if (detail.rfind(stringError, 0) == 0) {
      // Inside a string: name it. A key has no pointer of its own: name its object.
      detail.erase(0, stringError.size());
      const std::string what = at.inKey ? "an object key is not " : "not ";
      const std::string kind =
          detail.find("UTF-8") != std::string::npos ? "valid UTF-8 (" : "a valid JSON string (";
      throw InputError(at.pointer, (at.pointer.empty() ? "request" : at.pointer) + ": " + what +
                                       kind + detail + where);
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

// The text in memory already.
struct TextView {
  std::string_view text;
  std::string_view view() const { return text; }
};
ParsedRequest parseWithBuilder(std::string_view text, const Limits& limits,
                               const RequestOptions& options) {
  return parseWithBuilder([&](const Json::parser_callback_t& cb) { return Json::parse(text, cb); },
                          [&] { return TextView{text}; }, limits, options);
}

// Whether a parallel reader may read `size` bytes under `options`: every account kept, none
// streamed, and a request large enough to be worth the threads.
bool parallelApplies(size_t size, const RequestOptions& options) {
  return !options.noAccounts && options.keepFirst == 0 && options.keepLast == INT64_MAX &&
         !options.legCounts && !options.accountSink && size >= options.parallelFromBytes;
}

// `read()`, or nullopt where it throws an error of the request: the strict reader then names it.
template <typename Read>
std::optional<ParsedRequest> orStrict(const Read& read) {
  try {
    return read();
  } catch (const InputError&) {
    return std::nullopt;
  } catch (const Json::exception&) {
    return std::nullopt;
  }
}

// The parallel readers' pieces: options.pieceBytes, else a sixteenth of the text per thread
// (the last piece read is not left alone for long) within [64 KiB, 1 MiB].
size_t pieceBytesFor(size_t size, const RequestOptions& options) {
  if (options.pieceBytes > 0) return options.pieceBytes;
  return std::clamp<size_t>(size / (16 * static_cast<size_t>(omp_get_max_threads())),
                            size_t{64} << 10, size_t{1} << 20);
}

// A parallel read's request with its accounts (read in `pieces`), or an InputError past a limit
// (the caller's orStrict hands the request to the strict reader, which says so where it does).
ParsedRequest withAccounts(ParsedRequest parsed, std::vector<Account> accounts,
                           const Limits& limits, int64_t pieces) {
  const auto count = static_cast<int64_t>(accounts.size());
  checkAccountCount(count, limits);
  checkWork(count, parsed.request.config.scenarios, limits);
  parsed.request.accounts = std::move(accounts);
  parsed.accountPieces = pieces;
  return parsed;
}

// Where the rest of a request resumes after its accounts: a JSON array's close, the end of a
// MessagePack array's last account.
size_t restResumesAt(const json::AccountsLayout& layout) { return layout.close; }
size_t restResumesAt(const json::MsgpackAccountsLayout& layout) { return layout.end; }

// The parallel readers' course, for a request whose accounts are all kept: the accounts of a
// layout (guess() first, layOut() only where the guess fails) are read in pieces on every thread,
// readAccounts(layout, catalogue), while the calling thread reads the rest of the request,
// readRest(layout, builder) (it emplaces the builder and returns the document without the
// accounts' contents, or nullopt); the accounts are then resolved against the catalogue the
// builder read. Nullopt whenever anything is not valid: the caller then reads the request
// strictly, which names the first error.
template <typename Layout, typename Guess, typename LayOut, typename ReadRest,
          typename ReadAccounts>
std::optional<ParsedRequest> readInParallel(const Limits& limits, const RequestOptions& options,
                                            const Guess& guess, const LayOut& layOut,
                                            const ReadRest& readRest,
                                            const ReadAccounts& readAccounts) {
  // The bytes around the accounts whose catalogue options.catalogueRead was handed, named by
  // where the rest resumes after the accounts: the same place, the same rest, so the same
  // catalogue (handed once). A different one comes only after a wrong
  // guess whose rest still read as a request: handed again, it replaces it.
  size_t handed = std::string_view::npos;
  auto readWith = [&](const Layout& layout) {
    return orStrict([&]() -> std::optional<ParsedRequest> {
      std::optional<RequestBuilder> builder;
      std::optional<ParsedRequest> parsed;
      auto accounts = readAccounts(layout, [&]() -> std::optional<json::Catalogue> {
        std::optional<Json> doc = readRest(layout, builder);
        if (!doc || !builder->catalogReady()) return std::nullopt;
        parsed = builder->finish(*doc);  // its accounts: none yet
        const size_t around = restResumesAt(layout);
        if (options.catalogueRead && around != handed) {
          handed = around;
          options.catalogueRead(parsed->request);
        }
        return json::Catalogue{&builder->assets(), &builder->instrumentIds(),
                               &parsed->request.instruments};
      });
      if (!accounts) return std::nullopt;
      return withAccounts(std::move(*parsed), std::move(*accounts), limits,
                          static_cast<int64_t>(layout.cuts.size()) + 1);
    });
  };
  if (const std::optional<Layout> guessed = guess())
    if (auto parsed = readWith(*guessed)) return parsed;
  const std::optional<Layout> layout = layOut();
  if (!layout) return std::nullopt;
  return readWith(*layout);
}

// The parallel JSON reader (ParallelAccounts.h): the rest is the text without the accounts'
// contents, read by the builder as usual.
std::optional<ParsedRequest> parseInParallel(std::string_view text, const Limits& limits,
                                             const RequestOptions& options) {
  if (!parallelApplies(text.size(), options)) return std::nullopt;
  const size_t piece = pieceBytesFor(text.size(), options);
  return readInParallel<json::AccountsLayout>(
      limits, options, [&] { return json::guessAccountsLayout(text, piece); },
      [&] { return json::layOutAccounts(text, piece, options.textDone); },
      [&](const json::AccountsLayout& layout,
          std::optional<RequestBuilder>& builder) -> std::optional<Json> {
        std::string rest;
        rest.reserve(layout.open + 1 + (text.size() - layout.close));
        rest.append(text.substr(0, layout.open + 1));
        rest.append(text.substr(layout.close));
        builder.emplace(limits, options);
        Json doc = Json::parse(rest, [&](int depth, Json::parse_event_t e, Json& v) {
          if (depth >= kMaxDepth) failTooDeep();
          return builder->event(depth, e, v);
        });
        if (!doc.is_object()) return std::nullopt;
        return doc;
      },
      [&](const json::AccountsLayout& layout, const auto& catalogue) {
        return json::readAccounts(text, layout, catalogue, options.textDone);
      });
}

ParsedRequest parseTextRequest(std::string_view text, const Limits& limits,
                               const RequestOptions& options) {
  if (auto parsed = parseInParallel(text, limits, options)) return std::move(*parsed);
  return parseWithBuilder(text, limits, options);
}

// A file read in 1 MiB pieces, as an input iterator for nlohmann's parser.
class FileChars {
 public:
  explicit FileChars(const std::string& path) : in_(path, std::ios::binary), buffer_(1 << 20) {
    if (!in_) throw InputError("", "cannot open " + path, ErrorKind::IoError);
  }
  bool atEnd() {
    if (at_ < size_) return false;
    if (!in_) return true;
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    size_ = static_cast<size_t>(in_.gcount());
    at_ = 0;
    if (in_.bad()) throw InputError("", "reading the request failed", ErrorKind::IoError);
    return size_ == 0;
  }
  char current() const { return buffer_[at_]; }
  void next() { ++at_; }

 private:
  std::ifstream in_;
  std::vector<char> buffer_;
  size_t at_ = 0, size_ = 0;
};

class FileIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  FileIterator() = default;  // the end
  explicit FileIterator(FileChars* chars) : chars_(chars) {}
  const char& operator*() const {
    value_ = chars_->current();
    return value_;
  }
  FileIterator& operator++() {
    chars_->next();
    return *this;
  }
  bool operator==(const FileIterator& o) const { return ended() == o.ended(); }
  bool operator!=(const FileIterator& o) const { return !(*this == o); }

 private:
  bool ended() const { return chars_ == nullptr || chars_->atEnd(); }
  FileChars* chars_ = nullptr;
  mutable char value_ = 0;
};

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
        << std::hex << std::uppercase << static_cast<int>(static_cast<unsigned char>(s[*bad]))
        << std::dec << " at offset " << *bad << ")";
    throw InputError(path, msg.str());
  };
  if (j.is_string()) {
    invalid(j.get_ref<const std::string&>(), false);
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      invalid(it.key(), true);
      const size_t mark = path.size();
      path += '/';
      path += pointerEscape(it.key());
      checkUtf8(it.value(), path, depth + 1);
      path.resize(mark);
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      const size_t mark = path.size();
      path += '/';
      path += std::to_string(i);
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
  bool number_float(number_float_t v, const string_t& s) override {
    return dom_.number_float(v, s);
  }
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
  bool parse_error(std::size_t p, const std::string& t,
                   const nlohmann::detail::exception& e) override {
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

bool isMsgpackMap(std::string_view bytes) {
  if (bytes.empty()) return false;
  const auto b = static_cast<unsigned char>(bytes[0]);
  return (b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf;
}

MarginRequest parseRequestText(std::string_view text, const Limits& limits) {
  return parseTextRequest(text, limits, {}).request;
}

MarginRequest parseRequestMsgpack(std::string_view bytes, const Limits& limits) {
  return parseRequestMsgpack(bytes, limits, {}).request;
}

MarginRequest parseRequest(Json body, const Limits& limits) {
  return parseRequest(std::move(body), limits, {}).request;
}

ParsedRequest parseRequestText(std::string_view text, const Limits& limits,
                               const RequestOptions& options) {
  return parseTextRequest(text, limits, options);
}

ParsedRequest parseRequestFile(const std::string& path, const Limits& limits,
                               const RequestOptions& options) {
  FileChars chars(path);
  return parseWithBuilder(
      [&](const Json::parser_callback_t& cb) {
        return Json::parse(FileIterator(&chars), FileIterator(), cb);
      },
      [&] {
        struct Mapped {
          std::unique_ptr<InputText> input;
          std::string_view view() const { return input->text(); }
        };
        return Mapped{std::make_unique<InputText>(path, "request")};
      },
      limits, options);
}

// The parallel MessagePack reader (MsgpackAccounts.h): the rest is the root map with its accounts'
// array emptied, read as a document.
std::optional<ParsedRequest> parseMsgpackInParallel(std::string_view bytes, const Limits& limits,
                                                    const RequestOptions& options) {
  if (!parallelApplies(bytes.size(), options)) return std::nullopt;
  const size_t piece = pieceBytesFor(bytes.size(), options);
  return readInParallel<json::MsgpackAccountsLayout>(
      limits, options, [&] { return json::guessMsgpackAccountsLayout(bytes, piece); },
      [&] {
        return json::layOutMsgpackAccounts(bytes, piece, options.textDone,
                                           options.walkAccountsFrom);
      },
      [&](const json::MsgpackAccountsLayout& layout,
          std::optional<RequestBuilder>& builder) -> std::optional<Json> {
        std::string rest;
        rest.reserve(layout.header + 1 + (bytes.size() - layout.end));
        rest.append(bytes.substr(0, layout.header));
        rest.push_back(static_cast<char>(0x90));  // an empty array
        rest.append(bytes.substr(layout.end));
        Json doc;
        BoundedDomSax sax(doc);
        Json::sax_parse(rest, &sax, nlohmann::detail::input_format_t::msgpack, true);
        if (sax.tooDeep() || !doc.is_object()) return std::nullopt;
        std::string path;
        checkUtf8(doc, path, 0);
        builder.emplace(limits, options);
        builder->takeCatalogue(doc);
        return doc;
      },
      [&](const json::MsgpackAccountsLayout& layout, const auto& catalogue) {
        return json::readMsgpackAccounts(bytes, layout, catalogue, options.textDone);
      });
}

ParsedRequest parseRequestMsgpack(std::string_view bytes, const Limits& limits,
                                  const RequestOptions& options) {
  if (auto parsed = parseMsgpackInParallel(bytes, limits, options)) return std::move(*parsed);
  Json doc;
  BoundedDomSax sax(doc);
  try {
    Json::sax_parse(bytes, &sax, nlohmann::detail::input_format_t::msgpack, true);
  } catch (const Json::exception& e) {
    throw InputError("", std::string("malformed MessagePack: ") + parseErrorDetail(e.what()));
  }
  if (sax.tooDeep()) failTooDeep();
  return parseRequest(std::move(doc), limits, options);
}

ParsedRequest parseRequest(Json body, const Limits& limits, const RequestOptions& options) {
  std::string path;
  checkUtf8(body, path, 0);
  return RequestBuilder(limits, options).adopt(body);
}

}  // namespace xm
