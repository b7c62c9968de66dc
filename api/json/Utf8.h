#pragma once
// UTF-8 as RFC 3629 defines it: what a request's strings must be, and how text of unknown origin
// (a parser's message quoting the bytes it stopped at, a file name, a command-line argument) is
// made safe to put into a JSON answer.
//
// Well-formed means: no byte C0, C1 or F5..FF, no overlong form, no surrogate (U+D800..U+DFFF),
// nothing above U+10FFFF, no truncated sequence. JSON text is checked by the lexer itself; a
// MessagePack body is not, so parseRequest() checks every string and key of the document with
// firstInvalidUtf8() before reading it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace xm {

// The offset of the first byte that does not begin or continue a well-formed sequence, or
// nullopt when all of `text` is well-formed UTF-8.
std::optional<size_t> firstInvalidUtf8(std::string_view text);

// `text` with every byte that is not part of a well-formed sequence replaced by U+FFFD: the
// result is always valid UTF-8, and well-formed input comes back unchanged.
std::string sanitizeUtf8(std::string_view text);

}  // namespace xm
