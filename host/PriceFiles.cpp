#include "host/PriceFiles.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "host/Errors.h"
#include "host/Time.h"

namespace xm {
namespace {

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) {
    if (!field.empty() && field.back() == '\r') field.pop_back();
    out.push_back(field);
  }
  return out;
}

}  // namespace

int loadPriceFiles(const std::string& dir, Market& market, const std::string& suffix) {
  if (!std::filesystem::is_directory(dir)) throw InputError("", "price folder " + dir + " is not a directory", "io_error");
  const long long asOfDay = dayOf(market.asOf);
  int loaded = 0;
  for (size_t a = 0; a < market.assets.size(); ++a) {
    const std::string id = market.assets[a].id;
    if (id == market.baseCurrency) continue;
    const std::string path = dir + "/" + id + suffix;
    std::ifstream in(path);
    if (!in) continue;
    auto fail = [&](size_t line, const std::string& what) {
      throw InputError("", path + ":" + std::to_string(line) + ": " + what);
    };
    std::string line;
    if (!std::getline(in, line)) fail(1, "empty file");
    const std::vector<std::string> header = splitCsv(line);
    int dateCol = -1, closeCol = -1, volumeCol = -1;
    for (size_t c = 0; c < header.size(); ++c) {
      if (header[c] == "Date" || header[c] == "date") dateCol = static_cast<int>(c);
      if (header[c] == "Close" || header[c] == "close") closeCol = static_cast<int>(c);
      if (header[c] == "Volume" || header[c] == "volume") volumeCol = static_cast<int>(c);
    }
    if (dateCol < 0 || closeCol < 0) fail(1, "the header must name Date and Close columns");
    std::vector<DailyClose> closes;
    for (size_t n = 2; std::getline(in, line); ++n) {
      if (line.empty() || line == "\r") continue;
      const std::vector<std::string> f = splitCsv(line);
      if (static_cast<int>(f.size()) <= std::max(dateCol, closeCol)) fail(n, "too few columns");
      const auto parsed = parseDate(f[dateCol]);
      if (!parsed) fail(n, "bad date \"" + f[dateCol] + "\"");
      const long long day = *parsed;
      char* end = nullptr;
      errno = 0;
      const double close = std::strtod(f[closeCol].c_str(), &end);
      if (errno || end == f[closeCol].c_str() || *end || !std::isfinite(close) || close <= 0) {
        fail(n, "bad close \"" + f[closeCol] + "\": must be a finite number > 0");
      }
      double volume = -1.0;  // an empty Volume cell: not known that day
      if (volumeCol >= 0 && volumeCol < static_cast<int>(f.size()) && !f[volumeCol].empty()) {
        errno = 0;
        volume = std::strtod(f[volumeCol].c_str(), &end);
        if (errno || *end || !std::isfinite(volume) || volume < 0) {
          fail(n, "bad volume \"" + f[volumeCol] + "\": must be a finite number >= 0");
        }
      }
      if (!closes.empty() && day <= closes.back().day) fail(n, "dates must increase strictly");
      if (day <= asOfDay) closes.push_back({day, close, volume});
    }
    market.history[static_cast<int>(a)] = std::move(closes);
    ++loaded;
  }
  return loaded;
}

int loadImpliedVolFiles(const std::string& dir, Market& market) {
  Market indices;
  indices.asOf = 1e12;  // every row: it only attaches to closes the history already holds
  indices.baseCurrency = market.baseCurrency;
  indices.assets = market.assets;
  loadPriceFiles(dir, indices, "-DVOL_1d.csv");
  int attached = 0;
  for (const auto& [a, index] : indices.history) {
    auto it = market.history.find(a);
    if (it == market.history.end()) continue;
    size_t j = 0;
    bool any = false;
    for (DailyClose& c : it->second) {  // both in increasing day order
      while (j < index.size() && index[j].day < c.day) ++j;
      if (j < index.size() && index[j].day == c.day) {
        c.iv = index[j].close / 100.0;
        any = true;
      }
    }
    attached += any;
  }
  return attached;
}

}  // namespace xm
