#include "isolation/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace plugboard::isolation {
namespace {

constexpr int kChildFd = 3;

// The one thread every child is forked from; it lives until the process exits.
class Spawner {
 public:
  static Spawner& instance() {
    static auto* s = new Spawner;  // never destroyed: its thread must outlive every child
    return *s;
  }
  template <class F>
  auto run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    {
      std::lock_guard lock(mutex_);
      queue_.emplace_back([&task] { task(); });
    }
    cv_.notify_one();
    return result.get();
  }

 private:
  Spawner() {
    std::thread([this] {
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock(mutex_);
          cv_.wait(lock, [this] { return !queue_.empty(); });
          job = std::move(queue_.front());
          queue_.pop_front();
        }
        job();
      }
    }).detach();
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

SpawnedChild fork_child(const std::filesystem::path& binary, const std::vector<std::string>& args) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::runtime_error(std::string("socketpair failed: ") + std::strerror(errno));
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  const std::string path = binary.string();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the runtime died before the signal was armed
    // The server blocks SIGTERM, SIGINT and SIGHUP in every thread to sigwait for them; the mask
    // survives exec, and a plugin process must stay stoppable like any other.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(sv[1], kChildFd) < 0) ::_exit(127);  // dup2 clears close-on-exec on fd 3
    // Sockets the server opened without close-on-exec (listeners, clients) stay with it.
    if (::syscall(SYS_close_range, kChildFd + 1, ~0U, 0) != 0)
      for (int fd = kChildFd + 1; fd < 4096; ++fd) ::close(fd);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(sv[1]);
  return {pid, sv[0]};
}

}  // namespace

SpawnedChild spawn_with_socket(const std::filesystem::path& binary, const std::vector<std::string>& args) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(binary, ec))
    throw std::runtime_error("plugin host " + binary.string() + " does not exist");
  return Spawner::instance().run([&] { return fork_child(binary, args); });
}

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    return "signal " + std::to_string(sig) + (abbrev != nullptr ? " (SIG" + std::string(abbrev) + ")" : "");
  }
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  return "wait status " + std::to_string(status);
}

std::filesystem::path default_host_binary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::filesystem::path(".") : self.parent_path()) / "plugboard-plugin-host";
}

}  // namespace plugboard::isolation
