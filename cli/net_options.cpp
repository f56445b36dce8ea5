#include "cli/net_options.hpp"

#include "net/cluster_file.hpp"

namespace knhk::cli {
namespace po = boost::program_options;

void add_max_datagram_option(po::options_description& options, std::optional<std::size_t>& out,
                             const char* what) {
  options.add_options()(
      "max-datagram",
      po::value<std::string>()->value_name("BYTES")->notifier([&out](const std::string& text) {
        try {
          out = net::parse_max_datagram(text, "--max-datagram");
        } catch (const net::ConfigError& e) {
          throw po::error(e.what());  // reported with the usage, exit code 2
        }
      }),
      what);
}

}  // namespace knhk::cli
