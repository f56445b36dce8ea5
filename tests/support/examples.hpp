// Where the bundled example scenarios are: ctest sets KNHK_SOURCE_DIR to the source tree;
// a test binary run by hand from the source tree finds them under ".".
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace knhk::testing {

inline std::filesystem::path examples_dir() {
  const char* src = std::getenv("KNHK_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "scenarios" / "examples";
}

// `relative` names a file below scenarios/examples/, e.g. "pbft/crash.yaml".
inline std::string example(const std::string& relative) {
  return (examples_dir() / relative).string();
}

}  // namespace knhk::testing
