#pragma once
namespace xm {
constexpr const char* kVersion = "0.1.0";
}
