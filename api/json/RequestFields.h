#pragma once
// The request's fields, parsed strictly (contract §2): a JSON value with its JSON Pointer and
// typed accessors that name the field on every error, and the parsers of the market, an
// instrument, an account and the config. Internal to api/json (RequestParser.cpp uses them).

#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/json/Json.h"
#include "host/model/Errors.h"
#include "host/model/MarginRequest.h"
#include "host/model/Units.h"
#include "host/model/WireNames.h"

namespace xm::json {

std::string pointerEscape(std::string_view key);
const char* typeName(const Json& j);
std::string show(double x);

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
    if (s.size() > kMaxIdBytes)
      fail("must be at most " + std::to_string(kMaxIdBytes) + " bytes of UTF-8, got " +
           std::to_string(s.size()));
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

Market parseMarket(const Node& node, std::unordered_map<std::string, int>& assetIndex);
Instrument parseInstrument(const Node& n, const std::unordered_map<std::string, int>& assetIndex);
Account parseAccount(const Node& n, const std::unordered_map<std::string, int>& assetIndex,
                     const std::unordered_map<std::string, int>& instrumentIndex,
                     const std::vector<Instrument>& instruments);
MarginConfig parseConfig(const Node& n, const Limits& limits);
// config.flat against the instruments, into c.flat (n: the config object).
void parseFlatRates(const Node& n, const std::unordered_map<std::string, int>& instrumentIndex,
                    const std::vector<Instrument>& instruments, MarginConfig& c);
// config.grid against the market's assets, into c.grid (n: the config object).
void parseGrid(const Node& n, const std::unordered_map<std::string, int>& assetIndex, size_t assets,
               MarginConfig& c);

}  // namespace xm::json
