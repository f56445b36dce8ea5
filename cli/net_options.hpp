// Options shared by the commands that send datagrams (`knhk node`, `client`, `cluster
// up`, `keygen`): one definition, so the flag reads and fails the same way everywhere.
#pragma once

#include <cstddef>
#include <optional>

#include <boost/program_options.hpp>

namespace knhk::cli {

// Adds `--max-datagram BYTES`. A bad value (not a number, below the minimum, above
// 65,000) fails option parsing with the accepted range: parse_options prints it with
// the usage and the command exits 2. `out` is set only when the flag is given and must
// outlive the parsing.
void add_max_datagram_option(boost::program_options::options_description& options,
                             std::optional<std::size_t>& out, const char* what);

}  // namespace knhk::cli
