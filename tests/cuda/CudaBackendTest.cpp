// The CUDA backend against the CPU backend (the oracle) on the same requests: identical draws,
// per-account figures within named tolerances, edge sizes. Skips, never fails, without a usable
// CUDA device (CI has none). Built with g++ alone: it sees only cuda/CudaBackend.h.
#include <gtest/gtest.h>

#include <random>

#include <cmath>
#include <cstring>

#include "api/json/JsonCodec.h"
#include "cuda/CudaBackend.h"
#include "host/clearing/Clearing.h"
#include "host/engine/MarketFactors.h"
#include "host/engine/Marking.h"
#include "host/margin/MarginEngine.h"
#include "host/model/WireNames.h"
#include "host/synthetic/SyntheticExchange.h"
#include "scenarios/ScenarioGenerator.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

// fp64: cube values differ from the CPU's by an ulp or so (CUDA's exp/log/erfc against libm)
// and block reductions sum in another order, so relative differences are ~1e-15 per figure; a
// swap at the k-th order statistic between two losses equal to rounding moves ES by less than
// that gap / k. 1e-9 of the account's ES scale leaves six orders of margin and still catches any
// real disagreement (a wrong scenario, leg or sign moves figures by percent).
constexpr double kFp64Tolerance = 1e-9;
// fp32: cube and losses rounded to 24 bits (relative 6e-8 each), sums of ~10 legs, and tail
// sets that may swap near-equal scenarios: 2e-4 of the ES scale.
constexpr double kFp32Tolerance = 2e-4;

bool cudaUsable(std::string* why) {
  const CudaStatus s = cudaStatus();
  *why = s.reason;
  return s.usable();
}

#define SKIP_WITHOUT_GPU()                                                   \
  do {                                                                       \
    std::string why;                                                         \
    if (!cudaUsable(&why)) GTEST_SKIP() << "no usable CUDA device: " << why; \
  } while (0)

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

FactorModel identityModel(int factors) {
  FactorModel m;
  m.assetFactors = factors;
  m.loading = Eigen::MatrixXd::Identity(factors, factors);
  return m;
}

TEST(CudaBackend, DrawsAreBitwiseTheCpus) {
  SKIP_WITHOUT_GPU();
  for (int factors : {1, 3, 64, 70}) {
    const int64_t first = 123457, count = 1000 + 7;
    const std::vector<double> gpu = cudaIndependentDraws(99, first, count, factors);
    ShockMatrix cpu;
    ScenarioGenerator(identityModel(factors), {99, false, 0, nullptr})
        .independentDraws(first, count, cpu);
    for (int j = 0; j < factors; ++j)
      for (int64_t s = 0; s < count; ++s)
        ASSERT_TRUE(sameBits(gpu[j * count + s], cpu(j, s)))
            << "factors " << factors << " j " << j << " s " << s;
  }
}

TEST(CudaBackend, CorrelatedShocksMatchTheCpus) {
  SKIP_WITHOUT_GPU();
  const MarginRequest req = makeSyntheticExchange(exchangePreset("demo"));
  const FactorModel model = buildFactorModel(req.market, CorrelationRepair::None);
  for (bool studentT : {false, true}) {
    const ShockSpec spec{17, studentT, 5.0, nullptr};
    const int64_t first = 777, count = 4096 + 3;
    const std::vector<double> gpu = cudaCorrelatedShocks(model, spec, first, count);
    ShockMatrix cpu;
    ScenarioGenerator(model, spec).generate(first, count, cpu);
    // At most kMaxFusedFactors (64) factors the fused kernel sums like the host: same bits.
    for (int i = 0; i < model.factors(); ++i)
      for (int64_t s = 0; s < count; ++s)
        ASSERT_TRUE(sameBits(gpu[i * count + s], cpu(i, s))) << "factor " << i << " scenario " << s;
  }
  // Above 64 factors: cuBLAS DGEMM, equal to rounding (sums of 70 terms: 1e-13).
  ExchangeSpec big = exchangePreset("exchange-M");
  big.accounts = 1;
  const MarginRequest m = makeSyntheticExchange(big);
  const FactorModel wide = buildFactorModel(m.market, CorrelationRepair::None);
  ASSERT_GT(wide.factors(), 64);
  const std::vector<double> gpu = cudaCorrelatedShocks(wide, {3, false, 0, nullptr}, 0, 1000);
  ShockMatrix cpu;
  ScenarioGenerator(wide, {3, false, 0, nullptr}).generate(0, 1000, cpu);
  for (int i = 0; i < wide.factors(); ++i)
    for (int64_t s = 0; s < 1000; ++s) ASSERT_NEAR(gpu[i * 1000 + s], cpu(i, s), 1e-13 * 8);
}

// config.sampling on the device: antithetic pairs and scrambled Sobol points are pure functions
// of (seed, scenario, factor) drawn by the same XM_HD code, so a range of the set - starting
// mid-pair, mid-replication - has the host's bits, Student-t mixing included (antithetic).
TEST(CudaBackend, SampledShocksMatchTheCpus) {
  SKIP_WITHOUT_GPU();
  const MarginRequest req = makeSyntheticExchange(exchangePreset("demo"));
  const FactorModel model = buildFactorModel(req.market, CorrelationRepair::None);
  struct Case {
    Sampling sampling;
    int replications;
    bool studentT;
    int64_t scenarios, first, count;
  };
  for (const Case& c : {Case{Sampling::Antithetic, 1, false, 8192, 777, 4096 + 3},
                        Case{Sampling::Antithetic, 1, true, 8192, 0, 8192},
                        Case{Sampling::Sobol, 8, false, 5003, 0, 5003},
                        Case{Sampling::Sobol, 7, false, 10000, 1234, 5001}}) {
    ShockSpec spec{29, c.studentT, 5.0, nullptr};
    spec.sampling = c.sampling;
    spec.replications = c.replications;
    spec.scenarios = c.scenarios;
    const std::vector<double> gpu = cudaCorrelatedShocks(model, spec, c.first, c.count);
    ShockMatrix cpu;
    ScenarioGenerator(model, spec).generate(c.first, c.count, cpu);
    for (int i = 0; i < model.factors(); ++i)
      for (int64_t s = 0; s < c.count; ++s)
        ASSERT_TRUE(sameBits(gpu[i * c.count + s], cpu(i, s)))
            << "sampling " << static_cast<int>(c.sampling) << " R " << c.replications << " factor "
            << i << " scenario " << c.first + s;
  }
}

void expectAgree(MarginRequest req, Precision precision, const std::string& what) {
  const double tol = precision == Precision::Fp64 ? kFp64Tolerance : kFp32Tolerance;
  req.config.precision = precision;
  req.config.backend = BackendChoice::Cpu;
  const MarginResponse cpu = computeMargin(req);
  req.config.backend = BackendChoice::Cuda;
  const MarginResponse gpu = computeMargin(req);
  ASSERT_EQ(gpu.run.backend, BackendChoice::Cuda);
  ASSERT_EQ(gpu.run.precision, precision);
  ASSERT_EQ(cpu.accounts.size(), gpu.accounts.size());
  for (size_t i = 0; i < cpu.accounts.size(); ++i) {
    const AccountResult& c = cpu.accounts[i];
    const AccountResult& g = gpu.accounts[i];
    const double scale = std::max({1.0, std::abs(c.es), c.isolatedMargin});
    SCOPED_TRACE(what + ", account " + std::to_string(i) + " (" + req.accounts[i].id + "), seed " +
                 std::to_string(req.config.seed) + ", scenarios " +
                 std::to_string(req.config.scenarios) + ", precision " + wireName(precision));
    EXPECT_NEAR(g.var, c.var, tol * scale);
    EXPECT_NEAR(g.es, c.es, tol * scale);
    EXPECT_NEAR(g.esStderr, c.esStderr, tol * scale + 1e-3 * c.esStderr);
    EXPECT_NEAR(g.isolatedMargin, c.isolatedMargin, tol * scale);
    EXPECT_EQ(g.status, c.status);
    for (size_t l = 0; l < c.positions.size(); ++l) {
      EXPECT_NEAR(g.positions[l].esContribution, c.positions[l].esContribution, tol * scale)
          << "position " << l;
      EXPECT_NEAR(g.positions[l].standaloneEs, c.positions[l].standaloneEs, tol * scale)
          << "position " << l;
    }
    for (size_t l = 0; l < c.collateral.size(); ++l) {
      EXPECT_NEAR(g.collateral[l].esContribution, c.collateral[l].esContribution, tol * scale)
          << "collateral " << l;
    }
  }
}

MarginRequest exchange(int64_t accounts, int64_t scenarios, uint64_t seed) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = accounts;
  spec.scenarios = scenarios;
  spec.seed = seed;
  MarginRequest req = makeSyntheticExchange(spec);
  req.config.seed = seed;
  return req;
}

TEST(CudaBackend, AgreesWithCpuOnASyntheticExchange) {
  SKIP_WITHOUT_GPU();
  for (Precision p : {Precision::Fp64, Precision::Fp32}) {
    expectAgree(exchange(300, 5000, 11), p, "normal");
    MarginRequest t = exchange(200, 4000, 12);
    t.config.shocks = ShockModel::StudentT;
    t.config.dof = 4;
    expectAgree(t, p, "student-t");
  }
}

// The replications' tails on the device (contiguous blocks, one k each, Sobol's fractional last
// weight) and the antithetic pair-aware error: the CPU's figures, errors and contributions.
TEST(CudaBackend, AgreesWithCpuUnderEachSampling) {
  SKIP_WITHOUT_GPU();
  for (Precision p : {Precision::Fp64, Precision::Fp32}) {
    MarginRequest a = exchange(300, 6000, 41);
    a.config.sampling = SamplingMethod::Antithetic;
    expectAgree(a, p, "antithetic");
    MarginRequest s = exchange(300, 6000, 42);
    s.config.sampling = SamplingMethod::Sobol;
    expectAgree(s, p, "sobol, 8 replications");
    MarginRequest odd = exchange(40, 5003, 43);
    odd.config.sampling = SamplingMethod::Sobol;
    odd.config.replications = 7;  // blocks of 714 and 715, k not an integer
    expectAgree(odd, p, "sobol, 7 replications of unequal size");
  }
}

TEST(CudaBackend, EdgeSizes) {
  SKIP_WITHOUT_GPU();
  for (Precision p : {Precision::Fp64, Precision::Fp32}) {
    expectAgree(exchange(5, 1, 21), p, "1 scenario");
    expectAgree(exchange(1, 5000, 22), p, "1 account");
    expectAgree(exchange(37, 1000 + 13, 23), p, "scenarios and accounts not multiples of 32");
    MarginRequest wide = exchange(20, 3000, 24);
    wide.config.confidence = 0.5;  // k = 1500: a large tail
    expectAgree(wide, p, "k = S / 2");
    MarginRequest empty = exchange(10, 2000, 25);
    empty.accounts[3].positions.clear();
    empty.accounts[3].collateral.clear();
    empty.accounts[4].positions.clear();  // collateral only
    expectAgree(empty, p, "accounts without positions");
  }
}

// The stress grid (contract §11) on the device: the same points revalued by the same XM_HD
// pricing code, the same aggregation kernel, the block maximum. Worst points must be the same
// points (a tie broken differently would show in `move`/`vol`); losses within rounding.
TEST(CudaBackend, StressGridMatchesTheCpus) {
  SKIP_WITHOUT_GPU();
  for (GridAggregation aggregation : {GridAggregation::Sum, GridAggregation::Correlation}) {
    MarginRequest req = exchange(3000, 2000, 41);  // beyond one device chunk of small batches
    req.config.method = MarginMethod::Grid;
    req.config.gridAggregation = aggregation;
    req.config.grid.assign(req.market.assets.size(), GridParams{});
    for (GridParams& g : req.config.grid) {
      g.points = 16;
      g.extremeMultiple = 3.0;
      g.extremeFraction = 0.35;
    }
    req.config.backend = BackendChoice::Cpu;
    const MarginResponse cpu = computeMargin(req);
    for (Precision p : {Precision::Fp64, Precision::Fp32}) {  // the grid is fp64 in both
      req.config.precision = p;
      req.config.backend = BackendChoice::Cuda;
      const MarginResponse gpu = computeMargin(req);
      ASSERT_EQ(gpu.run.backend, BackendChoice::Cuda);
      for (size_t i = 0; i < cpu.accounts.size(); ++i) {
        const AccountResult& c = cpu.accounts[i];
        const AccountResult& g = gpu.accounts[i];
        SCOPED_TRACE("account " + std::to_string(i));
        const double scale = std::max(1.0, c.grid.im);
        EXPECT_NEAR(g.grid.im, c.grid.im, kFp64Tolerance * scale);
        EXPECT_NEAR(g.initialMargin, c.initialMargin, kFp64Tolerance * scale);
        ASSERT_EQ(g.gridFigures.underlyings.size(), c.gridFigures.underlyings.size());
        for (size_t u = 0; u < c.gridFigures.underlyings.size(); ++u) {
          EXPECT_NEAR(g.gridFigures.underlyings[u].loss, c.gridFigures.underlyings[u].loss,
                      kFp64Tolerance * scale);
          EXPECT_EQ(g.gridFigures.underlyings[u].move, c.gridFigures.underlyings[u].move);
          EXPECT_EQ(g.gridFigures.underlyings[u].vol, c.gridFigures.underlyings[u].vol);
        }
        for (size_t l = 0; l < c.positions.size(); ++l) {
          EXPECT_NEAR(g.positions[l].gridContribution, c.positions[l].gridContribution,
                      kFp64Tolerance * scale);
        }
      }
    }
  }
}

TEST(CudaBackend, ManyAccountsAcrossChunksAndBatches) {
  SKIP_WITHOUT_GPU();
  MarginRequest req = exchange(5000, 2000, 31);
  req.config.backend = BackendChoice::Cuda;
  const MarginResponse whole = computeMargin(req);
  const MarginResponse split = computeMargin(req, {777});  // engine batches of 777
  for (size_t i = 0; i < whole.accounts.size(); ++i) {
    ASSERT_TRUE(sameBits(whole.accounts[i].es, split.accounts[i].es)) << "account " << i;
    ASSERT_TRUE(sameBits(whole.accounts[i].var, split.accounts[i].var)) << "account " << i;
  }
  expectAgree(req, Precision::Fp64, "5000 accounts");
}

// The clearing simulation's per-step work: the device's unit values and equities match the
// CPU's (the same XM_HD functions; CUDA's exp and erfc within a few ulp of the host's, as in the
// margin run), and a whole simulation with its marking on the GPU gives the CPU's figures.
TEST(CudaBackend, ClearingMarkerMatchesTheCpus) {
  SKIP_WITHOUT_GPU();
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = 3000;
  const MarginRequest r = makeSyntheticExchange(spec);
  MarkingBook book;
  book.accounts = static_cast<int>(r.accounts.size());
  book.instruments = static_cast<int>(r.instruments.size());
  book.assets = static_cast<int>(r.market.assets.size());
  book.rate = 0.03;
  for (const Instrument& ins : r.instruments) {
    MarkingInstrument k;
    k.kind = ins.type == InstrumentType::Option ? 2 : ins.type == InstrumentType::Future ? 1 : 0;
    k.underlying = ins.underlying;
    k.call = ins.right == OptionRight::Call;
    k.strike = ins.strike;
    k.iv = ins.iv;
    k.years = (ins.expiry - r.market.asOf) / kSecondsPerYear;
    book.instrument.push_back(k);
  }
  book.legBegin.push_back(0);
  book.collBegin.push_back(0);
  for (const Account& a : r.accounts) {
    for (const Position& p : a.positions) {
      book.legInstrument.push_back(p.instrument);
      book.legQty.push_back(p.qty);
      book.bPerQty.push_back(1.0);
      book.aPerQty.push_back(-p.entryPrice);
    }
    for (const Collateral& c : a.collateral) {
      book.collAsset.push_back(c.asset);
      book.collAmount.push_back(c.amount);
    }
    book.legBegin.push_back(static_cast<int64_t>(book.legInstrument.size()));
    book.collBegin.push_back(static_cast<int64_t>(book.collAsset.size()));
  }
  const int states = 37;  // not a multiple of anything
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.7, 1.3);
  std::vector<double> prices(static_cast<size_t>(states) * book.assets), ivMult(prices.size()),
      elapsed(states);
  for (int s = 0; s < states; ++s) {
    elapsed[s] = s / 8760.0;
    for (int a = 0; a < book.assets; ++a) {
      prices[s * book.assets + a] = r.market.assets[a].price * u(rng);
      ivMult[s * book.assets + a] = u(rng);
    }
  }
  std::vector<double> cpuUnits(static_cast<size_t>(states) * book.instruments),
      gpuUnits(cpuUnits.size());
  std::vector<double> cpu(static_cast<size_t>(states) * book.accounts), gpu(cpu.size());
  makeCpuMarker(book)->mark(states, prices.data(), ivMult.data(), elapsed.data(), cpuUnits.data(),
                            cpu.data());
  makeCudaMarker(book)->mark(states, prices.data(), ivMult.data(), elapsed.data(), gpuUnits.data(),
                             gpu.data());
  for (size_t k = 0; k < cpuUnits.size(); ++k) {
    ASSERT_NEAR(gpuUnits[k], cpuUnits[k], 1e-12 * std::max(1.0, std::abs(cpuUnits[k]))) << k;
  }
  for (size_t k = 0; k < cpu.size(); ++k) {
    ASSERT_NEAR(gpu[k], cpu[k], 1e-9 * std::max(1.0, std::abs(cpu[k]))) << k;
  }

  MarginRequest small = r;
  small.accounts.resize(500);
  small.config.scenarios = 2000;
  ClearingConfig c;
  c.paths = 40;
  c.steps = 6;
  c.insuranceFund = 1e5;
  c.stressPaths = {
      {"crash", std::vector<std::vector<double>>(small.market.assets.size(), {-0.3}), 1}};
  small.config.backend = BackendChoice::Cpu;
  const ClearingResult onCpu = simulateClearing(small, c);
  small.config.backend = BackendChoice::Cuda;
  const ClearingResult onGpu = simulateClearing(small, c);
  EXPECT_EQ(onGpu.backend, BackendChoice::Cuda);
  // Equities a few ulp apart decide the same liquidations here (no account sits within 1e-9 of
  // its maintenance margin), so the figures agree to rounding.
  EXPECT_EQ(onCpu.named[0].outcome.liquidations.size(), onGpu.named[0].outcome.liquidations.size());
  for (size_t i = 0; i < small.accounts.size(); ++i) {
    EXPECT_NEAR(onGpu.named[0].outcome.deficit[i], onCpu.named[0].outcome.deficit[i],
                1e-6 * std::max(1.0, onCpu.named[0].outcome.deficit[i]));
  }
  EXPECT_EQ(onCpu.monteCarlo.probLiquidated, onGpu.monteCarlo.probLiquidated);
  EXPECT_NEAR(onGpu.monteCarlo.fundEnd.mean, onCpu.monteCarlo.fundEnd.mean,
              1e-6 * std::max(1.0, std::abs(onCpu.monteCarlo.fundEnd.mean)));
}

TEST(CudaBackend, AutoPicksTheGpu) {
  SKIP_WITHOUT_GPU();
  MarginRequest req = exchange(3, 1000, 41);
  req.config.backend = BackendChoice::Auto;
  EXPECT_EQ(computeMargin(req).run.backend, BackendChoice::Cuda);
}

// The nightly run's overlap on the device: the session opened, run and closed on the preparing
// thread (it holds the device's lock), the figures computeMargin's on the device, bit for bit.
TEST(CudaBackend, EarlyPreparationOnTheDeviceMatchesComputeMargin) {
  SKIP_WITHOUT_GPU();
  MarginRequest req = exchange(700, 4000, 61);
  req.config.backend = BackendChoice::Cuda;
  const MarginResponse plain = computeMargin(req);
  MarginRequest catalogue = req;
  catalogue.accounts.clear();
  EarlyPreparation early;
  early.start(catalogue, {});
  const MarginResponse overlapped = computeMargin(req, {}, early);
  EXPECT_EQ(overlapped.run.backend, BackendChoice::Cuda);
  ASSERT_EQ(plain.accounts.size(), overlapped.accounts.size());
  for (size_t i = 0; i < plain.accounts.size(); ++i) {
    EXPECT_TRUE(sameBits(plain.accounts[i].es, overlapped.accounts[i].es)) << i;
    EXPECT_TRUE(sameBits(plain.accounts[i].initialMargin, overlapped.accounts[i].initialMargin))
        << i;
  }
  // And the device is free again: a plain run after it opens its own session.
  EXPECT_EQ(computeMargin(req).run.backend, BackendChoice::Cuda);
}

TEST(CudaBackend, WithoutADeviceCudaIsAClearErrorAndAutoFallsBack) {
  std::string why;
  if (cudaUsable(&why)) GTEST_SKIP() << "a CUDA device is present";
  MarginRequest req = exchange(3, 1000, 51);
  req.config.backend = BackendChoice::Auto;
  EXPECT_EQ(computeMargin(req).run.backend, BackendChoice::Cpu);
  req.config.backend = BackendChoice::Cuda;
  try {
    computeMargin(req);
    FAIL() << "cuda accepted without a device";
  } catch (const InputError& e) {
    EXPECT_EQ(e.code(), "backend_unavailable");
    EXPECT_EQ(e.httpStatus(), 503);
    EXPECT_NE(std::string(e.what()).find("not available"), std::string::npos);
  }
  EXPECT_THROW(cudaIndependentDraws(1, 0, 10, 2), BackendError);
}

}  // namespace
}  // namespace xm
