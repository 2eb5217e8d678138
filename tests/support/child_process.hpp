// A child process started with posix_spawn, its standard output read through a pipe.
#ifndef WEBHOOKD_TESTS_SUPPORT_CHILD_PROCESS_HPP
#define WEBHOOKD_TESTS_SUPPORT_CHILD_PROCESS_HPP

#include <stdexcept>
#include <string>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace webhookd::test {

// A child process whose standard output is read through a pipe.
struct child {
  pid_t pid = -1;
  int out = -1;

  static child spawn(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    child c;
    const int rc = posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) throw std::runtime_error("posix_spawn");
    c.out = fds[0];
    return c;
  }

  // Everything the child wrote until it exited (the pipe's end of file).
  std::string read_all() {
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(out, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    close(out);
    return text;
  }

  int wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  }
};


} // namespace webhookd::test

#endif
