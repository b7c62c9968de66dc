// The help texts of `xmargin` and its commands, apart from the commands' logic. Keep them true:
// every option a command takes is listed in its text and in Commands.cpp's table.
#include "api/cli/HelpText.h"

namespace xm {

extern const char* const kUsage = R"(xmargin — Monte Carlo cross-margining for crypto derivatives

Usage:
  xmargin run REQUEST.json [--out FILE] [--pretty] [--batch-accounts N] [--max-scenarios N]
  xmargin demo [--accounts N] [--scenarios N] [--top N]
  xmargin generate PRESET --out FILE [--accounts N] [--scenarios N] [--seed N]
  xmargin backtest --prices DIR --portfolio FILE --start DATE --end DATE [--config FILE]
  xmargin simulate REQUEST.json [--out FILE] [--format json|table]
  xmargin run REQUEST.json --snapshot MARKET.json [--marks MARKS.json]
  xmargin whatif WHATIF.json --snapshot MARKET.json [--marks MARKS.json]
  xmargin neutralize REQUEST.json [--snapshot MARKET.json] [--marks MARKS.json]
  xmargin report [RESPONSE.json] [--simulation SIM.json] [--backtest BT.json] --out report.html
  xmargin serve [--host 127.0.0.1] [--port 8080] [--token-file FILE] [options]
  xmargin info
  xmargin --version

Commands:
  run       Margin every account of a request (contract §2) and print the response (§4).
  demo      Margin a built-in synthetic exchange on the real 2023-12-31 market and summarise it.
  generate  Write a synthetic exchange request: demo, exchange-S, exchange-M or exchange-L.
  backtest  Margin a fixed portfolio every day on real closes; VaR exceedances, Kupiec and
            Christoffersen tests, the Basel zone, margin breaches and margin jumps.
  simulate  After t0: liquidations, the insurance fund, auto-deleveraging or socialized loss,
            circuit breakers and Cover-2 along Monte Carlo, stress and replayed paths.
  whatif    An account's margin before and after some trades, on a market snapshot.
  neutralize  For each account below its margin, the least-cost trades that restore it.
  report    One self-contained HTML risk report of a run (and a simulation's, a backtest's).
  serve     Serve the HTTP API (margin, simulate, snapshots, what-if, neutralize, info, health,
            metrics).
  info      The version and the backends this binary has, as JSON.

`xmargin COMMAND --help` describes a command. Exit status: 0 success, 2 bad input or usage
(the error object on stderr), 1 an internal or device failure.
)";

extern const char* const kRunHelp = R"(xmargin run REQUEST.json [options]

Margins every account of the request and prints the response JSON (or writes it with --out).
REQUEST.json may be - for standard input. A request whose first byte opens a MessagePack map
(0x80-0x8f, 0xde, 0xdf; no JSON text begins so) is read as MessagePack.

Options:
  --out FILE            write the response to FILE (atomically: complete or not at all)
  --pretty              indent the JSON
  --batch-accounts N    accounts per batch (default: the backend's choice); results do not
                        depend on it
  --max-scenarios N     the largest config.scenarios accepted (default 1000000)
  --threads N           worker threads (default: all cores)
  --format F            json (default), msgpack (the same document as MessagePack) or csv:
                        --out DIR then gets accounts.csv, positions.csv, collateral.csv and
                        run.json (contract §14)
  --progress MODE       progress on stderr: auto (on a terminal only, the default), tty, json
                        (one JSON line per second for schedulers) or off
  --quiet               no progress
  --backend B           override config.backend: auto, cpu or cuda
  --precision P         override config.precision: fp64 or fp32
  --prices DIR          daily closes for market.history from DIR/<ASSET>-USD_1d.csv (Date and
                        Close columns, e.g. data/prices), for config.vol_model "ewma", shocks
                        "fhs" and anti_procyclicality; its Volume column feeds the liquidity
                        add-on
  --implied-vol DIR     implied-vol indices DIR/<ASSET>-DVOL_1d.csv (date, close in percent, e.g.
                        data/implied_vol) attached to the history as `iv`: with vol_model ewma
                        they give option underlyings' vol_of_vol and spot_vol_corr, and FHS
                        replays their residuals
  --snapshot FILE       the market, instruments and config from FILE (a snapshot definition,
                        contract §10); REQUEST names it by FILE's name without .json
                        ({"snapshot": "market", "accounts": [...]}). Snapshots run on the CPU
  --marks FILE          with --snapshot: move it to new marks first (as POST
                        /v1/snapshots/{id}/marks: "prices", "implied_vols")
)";

extern const char* const kWhatifHelp = R"(xmargin whatif WHATIF.json --snapshot FILE [options]

An account's margin before and after some trades (contract §10), on the snapshot built from
FILE: WHATIF.json is {"snapshot": "<FILE's name without .json>", "account": {...},
"trades": [{"instrument", "qty", "price"}]}; each trade adds a position line at its price.
Prints both accounts' figures, the incremental initial margin and each position's change of ES
contribution, as POST /v1/whatif does.

Options:
  --snapshot FILE       the snapshot definition: a request's market, instruments and config
  --marks FILE          move the snapshot to new marks first ("prices", "implied_vols")
  --out FILE            write the answer to FILE (atomically)
  --pretty              indent the JSON
  --threads N           worker threads (default: all cores)
  --prices DIR, --implied-vol DIR   market history for the snapshot, as for run
)";

extern const char* const kNeutralizeHelp = R"(xmargin neutralize REQUEST.json [options]

Position neutralization (contract §10): for each account of the request below its initial
margin (or below "neutralize": {"target_coverage": c} times it), the trades that restore it at
the least cost: reductions of its positions (the highest Euler ES contribution per unit of cost
first) and, when "hedge_instruments" allows, hedges. Each proposal is verified on the
scenarios, and returned with its figures; one that cannot be restored gets the best found.
"neutralize" also takes fee_rate, step and max_moves. REQUEST.json is a full request, or one
naming the --snapshot.

Options:
  --snapshot FILE       the market, instruments and config from FILE (REQUEST names it)
  --marks FILE          with --snapshot: move it to new marks first
  --out FILE            write the answer to FILE (atomically)
  --pretty              indent the JSON
  --threads N           worker threads (default: all cores)
  --prices DIR, --implied-vol DIR   market history, as for run
)";

extern const char* const kDemoHelp = R"(xmargin demo [options]

Builds a realistic synthetic exchange on the real 2023-12-31 close of 14 crypto assets
(vols and correlations estimated from 2023, BTC/ETH implied-vol dynamics from Deribit DVOL),
margins every account and prints a summary: accounts by status, margin saved by
cross-margining, the riskiest accounts.

Options:
  --accounts N     accounts (default 2000)
  --scenarios N    Monte Carlo scenarios (default 10000)
  --top N          riskiest accounts to list (default 10)
  --threads N      worker threads (default: all cores)
)";

extern const char* const kGenerateHelp = R"(xmargin generate PRESET --out FILE [options]

Writes a synthetic exchange request. Presets:
  demo         2,000 accounts, 14 assets, 120 instruments (60+ options), 10,000 scenarios
  exchange-S   10,000 accounts, 20 assets, 200 instruments (100+ options), 10,000 scenarios
  exchange-M   100,000 accounts, 50 assets, 2,000 instruments (1,500+ options), 10,000 scenarios
  exchange-L   1,000,000 accounts, as exchange-M, 100,000 scenarios

Options:
  --out FILE       where to write the request (required)
  --accounts N     override the preset's account count
  --scenarios N    override the preset's scenario count
  --seed N         generator seed (default 20231231)
  --positions N    mean positions per account (default: the preset's, 8 or 10)
  --format F       json (default) or msgpack (the same document as MessagePack, which
                   `xmargin run` and POST /v1/margin read as well)
  --progress MODE  auto (default: on a terminal only), tty, json or off: accounts built
  --quiet          no progress and no summary line
)";

extern const char* const kBacktestHelp =
    R"(xmargin backtest --prices DIR --portfolio FILE --start DATE --end DATE [options]

For every day t from --start to --end (YYYY-MM-DD) that has every asset's close on t and on
t + horizon_days, margins each account of FILE with the market of day t (closes, vols and history
up to t only) and compares its VaR and initial margin with the loss realised from t to
t + horizon_days. Prints JSON per account: days, var_exceedances, margin_breaches, kupiec_p,
christoffersen_p, conditional_coverage_p, zone (Basel traffic light at this many days),
mean_margin, max_margin_jump (largest one-day rise of initial margin, as a fraction), methods
(per margin method: margin_breaches, breach_rate, mean_margin), ...

FILE: {"instruments": [...], "accounts": [...], "market": {...}} as in a request, without prices
(they come from DIR); "market" (optional) gives base_currency, rate, the assets' vols for
vol_model "given" and correlations. A future or option may roll: "tenor_days" instead of
"expiry", an option "moneyness" instead of "strike", and take "iv": "index" (with --implied-vol).
entry_price may be left out.

Options:
  --prices DIR      DIR/<ASSET>-USD_1d.csv with Date, Close (and Volume) columns, e.g. data/prices
  --portfolio FILE  the portfolio (required)
  --start DATE      first day margined (required)
  --end DATE        last day margined (required)
  --config FILE     the request's config object as JSON (vol_model, shocks, confidence, ...);
                    default: the contract's defaults
  --implied-vol DIR DIR/<ASSET>-DVOL_1d.csv implied-vol indices (e.g. data/implied_vol): options
                    with "iv": "index" are valued at the day's index, and option underlyings
                    get vol_of_vol and spot_vol_corr estimated from it
  --method M        config.method: es (default), grid or flat (contract §11); its initial margin
                    is the one margin_breaches counts against
  --compare LIST    config.compare, comma-separated (e.g. grid,flat): each account's "methods"
                    then gives margin_breaches, breach_rate and mean_margin per method; grid takes
                    config.grid (or its documented defaults), flat needs config.flat
  --format F        json (default) or table
  --out FILE        write the report to FILE (atomically)
  --series FILE     also write date,account,var,es,initial_margin,loss per day as CSV, and
                    im_<method> for each compared method
  --threads N       worker threads (default: all cores)
  --progress MODE   auto (default: on a terminal only), tty, json or off: days margined
  --quiet           no progress
)";

extern const char* const kServeHelp = R"(xmargin serve [options]

Serves the HTTP API until SIGTERM or SIGINT, then stops accepting, lets in-flight requests
finish and exits 0.
  POST /v1/margin   a margin request (JSON, or MessagePack with Content-Type application/msgpack;
                    Accept: application/msgpack for a MessagePack answer); it may name a
                    stored snapshot instead of carrying its market, instruments and config
  POST /v1/simulate the clearing simulation
  PUT, GET, DELETE /v1/snapshots/{id}; GET /v1/snapshots; POST /v1/snapshots/{id}/marks
                    market snapshots kept between requests (contract §10)
  POST /v1/whatif   an account's margin before and after trades, on a snapshot
  POST /v1/neutralize  least-cost trades restoring accounts below margin
  POST /v1/report   an HTML risk report of the response (simulation, backtest) in the body
  GET  /v1/report   with --report: the report of the latest margin run and simulation
  GET  /v1/info     version, backend, device, limits
  GET  /healthz     liveness, never authenticated
  GET  /readyz      readiness
  GET  /metrics     Prometheus text format

Options:
  --host ADDR          address to bind (default 127.0.0.1: loopback only)
  --port N             port (default 8080; 0 picks a free one, printed on stdout)
  --token-file FILE    require "Authorization: Bearer <first line of FILE>" on /v1 routes;
                       or set XMARGIN_TOKEN in the environment (not both). Tokens are never
                       taken on the command line.
  --workers N          concurrent margin computations (default: hardware threads)
  --queue N            requests allowed to wait for a worker; beyond it 503 (default 64)
  --timeout-ms N       per-request time limit from its head's arrival: the body's upload,
                       waiting and computing included (default 30000)
  --max-body-bytes N   larger bodies get 413, after decoding and whatever their framing
                       (default 67108864)
  --max-connections N  open connections; past it a new one gets 503 and is closed (default
                       1024; the descriptor limit is raised to fit)
  --header-timeout-ms N  a request's line and headers must arrive whole within N ms of their
                       first byte, else 408 and close (default 10000). No thread waits on a
                       client before its head is whole: slow clients cannot starve others
  --idle-timeout-ms N  close a keep-alive connection idle for N ms (default 5000)
  --max-scenarios N    the largest config.scenarios accepted (default 1000000)
  --max-work N         the largest accounts x scenarios per request (default 1e11)
  --access-log         one line per request on stderr
  --report             keep the latest margin run and simulation: GET /v1/report is their page
  --snapshot-memory N  bytes of snapshots kept; beyond it the least recently used are evicted
                       (default 2147483648)
)";

extern const char* const kInfoHelp = R"(xmargin info

Prints, as JSON, the version, the backends this binary has (compiled, usable, the device, and why
one cannot be used) and the request limits.
)";

extern const char* const kSimulateHelp = R"(xmargin simulate REQUEST.json [options]

What happens after t0 (contract §9): margins every account of a request (as `run`), then follows
the exchange along paths — Monte Carlo paths of `clearing.steps` steps, named stress paths, a
historical replay — marking every account each step, liquidating those below maintenance margin
with a square-root price impact that cascades, and carrying their deficits through the waterfall:
the insurance fund, then auto-deleveraging ("adl"), socialized loss ("socialized") or nothing
("none"). REQUEST.json is a margin request with a `clearing` object. Prints JSON {"t0": the
margin response, "simulation": the figures}, or with --format table a report.

Options:
  --out FILE         write the answer to FILE (complete or untouched)
  --format F         json (default) or table
  --pretty           indent the JSON
  --prices DIR       daily closes into market.history (as for run; a replay needs them)
  --implied-vol DIR  implied-vol indices into market.history (as for run)
  --threads N        OpenMP threads
  --progress MODE    auto (default: on a terminal only), tty, json or off: accounts at t0,
                     then paths
  --quiet            no progress
)";

extern const char* const kReportHelp = R"(xmargin report [RESPONSE.json] [options]

Writes one self-contained HTML page of a run (contract §13): totals and statuses, the margin
cross-margining saves, the coverage of initial margin (equity / IM) against the call and
liquidation lines, the riskiest accounts with each position's ES contribution, diversification by
account size, exposure by asset, the methods compared; with --simulation the insurance fund's
drawdown, liquidations and where the deficits went; with --backtest the accounts' tests and, with
--series, margin and realised loss through time with exceedances marked. Charts are inline SVG
drawn by xmargin: the file opens offline. RESPONSE.json (`xmargin run`'s output, - for standard
input) is read as a stream: a million accounts take no more memory than ten.

Options:
  --out FILE          write the page to FILE (complete or untouched); else standard output
  --request FILE      the run's request (or simulate request): exposure by asset with notionals
  --simulation FILE   `xmargin simulate`'s JSON; its t0 is the run when no RESPONSE.json is given
  --backtest FILE     `xmargin backtest`'s JSON
  --series FILE       `xmargin backtest --series`'s CSV (with --backtest)
  --title TEXT        the page's title (default "xmargin risk report")
)";

}  // namespace xm
