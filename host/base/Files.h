#pragma once
// Files in and out, so that no fault loses or half-writes a result.
//
// In: an input is a regular file (or "-", standard input). A missing or unreadable path, a
// directory, a FIFO or a device is an InputError with code io_error naming the path: a FIFO with
// no writer would block forever, so streams come on standard input. Read errors say so too.
//
// Out: writeFileAtomically() leaves the target complete or as it was, whatever happens to the
// process. The text goes to an unnamed file in the target's directory (O_TMPFILE: a SIGKILL or a
// power cut leaves nothing behind; where the file system lacks it, a hidden temporary file that
// is removed on every failure the process survives), is flushed to the disk (fsync), and only
// then gets its name by an atomic rename over the target. A full disk or a file-size limit is an
// io_error and the target is untouched. A target that exists and is not a regular file
// (/dev/stdout, /dev/null, a FIFO) is written directly: renaming over it would replace it.

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace xm {

// The whole of `path` ("-": standard input). `what` names the input in messages ("--portfolio").
std::string readInputFile(const std::string& path, const std::string& what = "");

// A regular file mapped read-only (no copy: its pages are the kernel's page cache), or standard
// input read whole for "-". The file must not be truncated while mapped.
class InputText {
 public:
  explicit InputText(const std::string& path, const std::string& what = "");
  ~InputText();
  InputText(const InputText&) = delete;
  InputText& operator=(const InputText&) = delete;
  std::string_view text() const { return text_; }
  // A reader is done with text()[begin, end) for now: a mapped file's whole pages in that range
  // leave this process's memory (read again, they come back from the file). Nothing for text
  // read from standard input.
  void dropPages(size_t begin, size_t end) const;

 private:
  std::string owned_;
  void* map_ = nullptr;
  size_t mapSize_ = 0;
  std::string_view text_;
};

// Calls write(stream) with a stream to the target and commits it as described above. Exceptions
// from `write` propagate after the partial output is discarded.
void writeFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// Whether `path` names an existing regular file (false for a missing path).
bool isRegularFile(const std::string& path);

}  // namespace xm
