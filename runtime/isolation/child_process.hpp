// Starting and describing plugin host processes. Every child is forked from one long-lived
// thread: PR_SET_PDEATHSIG fires when the *thread* that forked a child ends, so forking from a
// request thread that a pool later retires would kill a healthy child.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace plugboard::isolation {

struct SpawnedChild {
  pid_t pid = -1;
  int fd = -1;  // our end of the socketpair (close-on-exec)
};

// Runs `binary` with `args`, its end of a fresh socketpair as fd 3, every other inherited fd
// above stderr closed, and SIGKILL as its parent-death signal. Throws std::runtime_error.
SpawnedChild spawn_with_socket(const std::filesystem::path& binary, const std::vector<std::string>& args);

// "signal 11 (SIGSEGV)", "exit status 3": how a child ended, from a waitpid status.
std::string describe_wait_status(int status);

// plugboard-plugin-host beside the running executable.
std::filesystem::path default_host_binary();

}  // namespace plugboard::isolation
