#pragma once
// Every enum's names on the wire (contract §2, §4), one table per enum: the JSON and MessagePack
// parsers accept exactly these names, the writers and the CLI print them, and a parse error lists
// them in this order. A room above the model specialises WireNames for its own enums beside them
// (host/clearing/Clearing.h).

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "host/model/MarginConfig.h"
#include "host/model/MarginResult.h"
#include "host/model/Portfolio.h"

namespace xm {

template <typename E>
struct WireNames;  // specialised below: `static constexpr std::array<std::pair<E, const char*>, N>
                   // table`

template <>
struct WireNames<InstrumentType> {
  static constexpr std::array<std::pair<InstrumentType, const char*>, 5> table{
      {{InstrumentType::Spot, "spot"},
       {InstrumentType::Perpetual, "perpetual"},
       {InstrumentType::Future, "future"},
       {InstrumentType::InversePerpetual, "inverse_perpetual"},
       {InstrumentType::Option, "option"}}};
};
template <>
struct WireNames<OptionRight> {
  static constexpr std::array<std::pair<OptionRight, const char*>, 2> table{
      {{OptionRight::Call, "call"}, {OptionRight::Put, "put"}}};
};
template <>
struct WireNames<RiskMeasure> {
  static constexpr std::array<std::pair<RiskMeasure, const char*>, 2> table{
      {{RiskMeasure::ES, "es"}, {RiskMeasure::VaR, "var"}}};
};
template <>
struct WireNames<BackendChoice> {
  static constexpr std::array<std::pair<BackendChoice, const char*>, 3> table{
      {{BackendChoice::Auto, "auto"}, {BackendChoice::Cpu, "cpu"}, {BackendChoice::Cuda, "cuda"}}};
};
template <>
struct WireNames<CorrelationRepair> {
  static constexpr std::array<std::pair<CorrelationRepair, const char*>, 3> table{
      {{CorrelationRepair::None, "none"},
       {CorrelationRepair::Clip, "clip"},
       {CorrelationRepair::Nearest, "nearest"}}};
};
template <>
struct WireNames<Precision> {
  static constexpr std::array<std::pair<Precision, const char*>, 2> table{
      {{Precision::Fp64, "fp64"}, {Precision::Fp32, "fp32"}}};
};
template <>
struct WireNames<SamplingMethod> {
  static constexpr std::array<std::pair<SamplingMethod, const char*>, 3> table{
      {{SamplingMethod::Mc, "mc"},
       {SamplingMethod::Antithetic, "antithetic"},
       {SamplingMethod::Sobol, "sobol"}}};
};
template <>
struct WireNames<MarginMethod> {
  static constexpr std::array<std::pair<MarginMethod, const char*>, 3> table{
      {{MarginMethod::Es, "es"}, {MarginMethod::Grid, "grid"}, {MarginMethod::Flat, "flat"}}};
};
template <>
struct WireNames<VolShiftMode> {
  static constexpr std::array<std::pair<VolShiftMode, const char*>, 2> table{
      {{VolShiftMode::Relative, "relative"}, {VolShiftMode::Absolute, "absolute"}}};
};
template <>
struct WireNames<GridAggregation> {
  static constexpr std::array<std::pair<GridAggregation, const char*>, 2> table{
      {{GridAggregation::Sum, "sum"}, {GridAggregation::Correlation, "correlation"}}};
};
template <>
struct WireNames<VolModel> {
  static constexpr std::array<std::pair<VolModel, const char*>, 2> table{
      {{VolModel::Given, "given"}, {VolModel::Ewma, "ewma"}}};
};
template <>
struct WireNames<MarginStatus> {
  static constexpr std::array<std::pair<MarginStatus, const char*>, 3> table{
      {{MarginStatus::Ok, "ok"},
       {MarginStatus::MarginCall, "margin_call"},
       {MarginStatus::Liquidate, "liquidate"}}};
};

template <typename E>
constexpr const char* wireName(E value) {
  for (const auto& [e, name] : WireNames<E>::table) {
    if (e == value) return name;
  }
  return "?";
}

template <typename E>
std::optional<E> fromWireName(std::string_view name) {
  for (const auto& [e, n] : WireNames<E>::table) {
    if (name == n) return e;
  }
  return std::nullopt;
}

// The names as a parse error lists them: "a", "b", "c".
template <typename E>
std::string quotedWireNames() {
  std::string list;
  for (const auto& [e, name] : WireNames<E>::table) {
    list += (list.empty() ? "\"" : ", \"") + std::string(name) + "\"";
  }
  return list;
}

// The names as prose: "a, b or c".
template <typename E>
std::string wireNameChoices() {
  std::string list;
  const auto& t = WireNames<E>::table;
  for (size_t i = 0; i < t.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == t.size() ? " or " : ", ") + std::string(t[i].second);
  }
  return list;
}

}  // namespace xm
