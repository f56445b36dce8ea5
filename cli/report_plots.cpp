#include "cli/report_plots.hpp"

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace knhk::cli {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// The child's environment: ours, with the module directory first on PYTHONPATH and
// matplotlib's display-free backend.
std::vector<std::string> child_environment(const PlotTools& tools) {
  std::vector<std::string> env;
  std::string python_path = tools.module_dir;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("PYTHONPATH=")) {
      // An empty entry would mean the current directory.
      if (kv.size() > 11) python_path.append(":").append(kv.substr(11));
    } else if (!kv.starts_with("MPLBACKEND=")) {
      env.emplace_back(kv);
    }
  }
  env.push_back("PYTHONPATH=" + python_path);
  env.push_back("MPLBACKEND=Agg");
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& words) {
  std::vector<char*> out;
  for (auto& w : words) out.push_back(w.data());
  out.push_back(nullptr);
  return out;
}

// Copies the child's stdout and stderr to `io` until both are closed (polling both, so
// neither pipe can fill up and stall the child).
void relay(int out_fd, int err_fd, CommandIo io) {
  std::array<pollfd, 2> fds{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}}};
  std::array<std::ostream*, 2> sinks{&io.out, &io.err};
  char buf[4096];
  int open = 2;
  while (open > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->write(buf, n);
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

}  // namespace

PlotTools default_plot_tools() {
  return {env_or("KNHK_PYTHON", KNHK_PYTHON), env_or("KNHK_PLOT_SCRIPT", KNHK_PLOT_SCRIPT),
          env_or("KNHK_PY_MODULE_DIR", KNHK_PY_MODULE_DIR)};
}

std::optional<std::string> plot_tools_problem(const PlotTools& tools) {
  if (::access(tools.python.c_str(), X_OK) != 0)
    return "--plots needs Python 3 with numpy and matplotlib, but " + tools.python +
           " cannot be run (install python3-numpy python3-matplotlib, or run scripts/setup)";
  if (::access(tools.script.c_str(), R_OK) != 0)
    return "the plotting script " + tools.script + " is missing";
  return std::nullopt;
}

int write_plots(const PlotTools& tools, const std::string& out_dir,
                const std::vector<std::string>& files, CommandIo io) {
  std::vector<std::string> argv{tools.python, tools.script, "--out", out_dir};
  argv.insert(argv.end(), files.begin(), files.end());
  auto env = child_environment(tools);
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) {
    io.err << "knhk report: cannot create a pipe: " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
    posix_spawn_file_actions_addclose(&actions, fd);
  pid_t pid = 0;
  auto argv_ptrs = pointers(argv);
  auto env_ptrs = pointers(env);
  int spawned = ::posix_spawn(&pid, tools.python.c_str(), &actions, nullptr, argv_ptrs.data(),
                              env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (spawned == 0) relay(out_pipe[0], err_pipe[0], io);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  if (spawned != 0) {
    io.err << "knhk report: cannot run " << tools.python << ": " << std::strerror(spawned) << "\n";
    return kExitUsage;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  io.err << "knhk report: the plotting script was killed by signal " << WTERMSIG(status) << "\n";
  return kExitUsage;
}

}  // namespace knhk::cli
