#pragma once
// The help texts of `xmargin` (kUsage) and of each command (`xmargin COMMAND --help`).

namespace xm {

extern const char* const kUsage;
extern const char* const kRunHelp;
extern const char* const kDemoHelp;
extern const char* const kGenerateHelp;
extern const char* const kBacktestHelp;
extern const char* const kServeHelp;
extern const char* const kInfoHelp;
extern const char* const kSimulateHelp;
extern const char* const kWhatifHelp;
extern const char* const kNeutralizeHelp;
extern const char* const kReportHelp;

}  // namespace xm
