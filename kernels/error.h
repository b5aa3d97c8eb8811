// parley::Error — the one exception type library code throws for bad input (a corrupt file, a
// malformed request). Messages name the file and the field. Hot paths never throw; asserts are
// for programmer errors only.
#pragma once

#include <stdexcept>
#include <string>

namespace parley {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace parley
