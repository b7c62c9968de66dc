#include "host/market/PriceFiles.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "host/base/Files.h"
#include "host/model/Errors.h"
#include "host/model/MarginConfig.h"
#include "host/model/Time.h"

namespace xm {
namespace {

constexpr size_t kMaxLineBytes = 4096;

std::vector<std::string_view> splitCsv(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string_view> out;
  size_t begin = 0;
  for (;;) {
    const size_t comma = line.find(',', begin);
    out.push_back(line.substr(
        begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin));
    if (comma == std::string_view::npos) return out;
    begin = comma + 1;
  }
}

// A whole field as a finite number (strtod's syntax), or nullopt.
std::optional<double> number(std::string_view field) {
  const std::string s(field);
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(s.c_str(), &end);
  if (errno || end == s.c_str() || *end || !std::isfinite(x)) return std::nullopt;
  return x;
}

}  // namespace

std::vector<DailyClose> parsePriceCsv(std::string_view text, const std::string& name,
                                      long long lastDay) {
  auto fail = [&](size_t line, const std::string& what) {
    throw InputError("", name + ":" + std::to_string(line) + ": " + what);
  };
  size_t pos = 0, lineNo = 0;
  std::string_view line;
  auto next = [&]() {
    if (pos >= text.size()) return false;
    const size_t nl = text.find('\n', pos);
    line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineNo;
    if (line.size() > kMaxLineBytes)
      fail(lineNo, "line longer than " + std::to_string(kMaxLineBytes) + " bytes");
    if (line.find('\0') != std::string_view::npos) fail(lineNo, "a NUL byte: not a CSV text file");
    return true;
  };
  if (!next()) fail(1, "empty file");
  const std::vector<std::string_view> header = splitCsv(line);
  int dateCol = -1, closeCol = -1, volumeCol = -1;
  for (size_t c = 0; c < header.size(); ++c) {
    if (header[c] == "Date" || header[c] == "date") dateCol = static_cast<int>(c);
    if (header[c] == "Close" || header[c] == "close") closeCol = static_cast<int>(c);
    if (header[c] == "Volume" || header[c] == "volume") volumeCol = static_cast<int>(c);
  }
  if (dateCol < 0 || closeCol < 0) fail(1, "the header must name Date and Close columns");
  std::vector<DailyClose> closes;
  long long previous = 0;
  bool any = false;
  while (next()) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string_view> f = splitCsv(line);
    if (static_cast<int>(f.size()) <= std::max(dateCol, closeCol)) fail(lineNo, "too few columns");
    const auto day = parseDate(std::string(f[dateCol]));
    if (!day) fail(lineNo, "bad date \"" + std::string(f[dateCol]) + "\"");
    const auto close = number(f[closeCol]);
    if (!close || *close < kMinClose || *close > kMaxClose)
      fail(lineNo,
           "bad close \"" + std::string(f[closeCol]) + "\": must be a number within [1e-12, 1e12]");
    double volume = -1.0;  // an empty Volume cell: not known that day
    if (volumeCol >= 0 && volumeCol < static_cast<int>(f.size()) && !f[volumeCol].empty()) {
      const auto v = number(f[volumeCol]);
      if (!v || *v < 0 || *v > kMaxDailyVolume)
        fail(lineNo,
             "bad volume \"" + std::string(f[volumeCol]) + "\": must be a number within [0, 1e30]");
      volume = *v;
    }
    if (any && *day <= previous) fail(lineNo, "dates must increase strictly");
    previous = *day;
    any = true;
    if (*day <= lastDay) closes.push_back({*day, *close, volume});
  }
  return closes;
}

PriceFolder directoryFolder(const std::string& dir) {
  if (!std::filesystem::is_directory(dir))
    throw InputError("", "price folder " + dir + " is not a directory", ErrorKind::IoError);
  return {dir, [dir](const std::string& file) -> std::optional<std::string> {
            const std::string path = dir + "/" + file;
            std::error_code ec;
            if (!std::filesystem::exists(path, ec)) return std::nullopt;
            return readInputFile(path);
          }};
}

PriceFolder memoryFolder(std::string label, std::map<std::string, std::string> files) {
  return {std::move(label),
          [files = std::move(files)](const std::string& file) -> std::optional<std::string> {
            auto it = files.find(file);
            if (it == files.end()) return std::nullopt;
            return it->second;
          }};
}

int loadPriceFiles(const PriceFolder& folder, Market& market, const std::string& suffix) {
  const long long asOfDay = dayOf(market.asOf);
  int loaded = 0;
  for (size_t a = 0; a < market.assets.size(); ++a) {
    const std::string id = market.assets[a].id;
    if (id == market.baseCurrency) continue;
    if (id.find('/') != std::string::npos || id.find('\0') != std::string::npos || id == "." ||
        id == "..") {
      throw InputError("", "asset id \"" + id + "\" cannot name a file in " + folder.label,
                       ErrorKind::Usage);
    }
    const std::optional<std::string> text = folder.read(id + suffix);
    if (!text) continue;  // this asset keeps the request's figures
    market.history[static_cast<int>(a)] =
        parsePriceCsv(*text, folder.label + "/" + id + suffix, asOfDay);
    ++loaded;
  }
  return loaded;
}

int loadPriceFiles(const std::string& dir, Market& market, const std::string& suffix) {
  return loadPriceFiles(directoryFolder(dir), market, suffix);
}

int attachImpliedVol(const MarketHistory& indices, Market& market) {
  int attached = 0;
  for (const auto& [a, index] : indices) {
    auto it = market.history.find(a);
    if (it == market.history.end()) continue;
    size_t j = 0;
    bool any = false;
    for (DailyClose& c : it->second) {  // both in increasing day order
      while (j < index.size() && index[j].day < c.day) ++j;
      if (j < index.size() && index[j].day == c.day) {
        c.iv = index[j].close / 100.0;
        if (c.iv < kMinImpliedVol || c.iv > kMaxImpliedVol) {
          throw InputError("", "implied-vol index of " + market.assets[a].id + " on " +
                                   formatDate(c.day) + ": " + std::to_string(index[j].close) +
                                   "% is outside [0.01, 2000] percent");
        }
        any = true;
      }
    }
    attached += any;
  }
  return attached;
}

int loadImpliedVolFiles(const PriceFolder& folder, Market& market) {
  Market indices;
  indices.asOf = 1e12;  // every row: it only attaches to closes the history already holds
  indices.baseCurrency = market.baseCurrency;
  indices.assets = market.assets;
  loadPriceFiles(folder, indices, "-DVOL_1d.csv");
  return attachImpliedVol(indices.history, market);
}

int loadImpliedVolFiles(const std::string& dir, Market& market) {
  return loadImpliedVolFiles(directoryFolder(dir), market);
}

}  // namespace xm
