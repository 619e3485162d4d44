// plugboard-plugin-host: runs one plugin out of the server's process (isolation: process).
// Started by the runtime only, never by hand:
//   plugboard-plugin-host --fd 3 --manifest <file> [--memory-limit-mb N]
#include "isolation/plugin_host.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

namespace {

// Under the memory limit a leak ends in a failed allocation; ending here (rather than in
// whatever the plugin does with a bad_alloc) lets the runtime say it was memory.
void out_of_memory() {
  static const char msg[] = "plugboard-plugin-host: allocation failed under the memory limit\n";
  (void)!::write(2, msg, sizeof msg - 1);
  ::_exit(plugboard::isolation::kOutOfMemoryExit);
}

int usage() {
  std::fprintf(stderr,
               "usage: plugboard-plugin-host --fd N --manifest FILE [--memory-limit-mb N]\n"
               "(started by plugboard for plugins configured with isolation: process)\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  int fd = -1;
  long limit_mb = 0;
  const char* manifest = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--fd") == 0)
      fd = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--manifest") == 0)
      manifest = argv[i + 1];
    else if (std::strcmp(argv[i], "--memory-limit-mb") == 0)
      limit_mb = std::atol(argv[i + 1]);
    else
      return usage();
  }
  if (fd < 0 || manifest == nullptr) return usage();
#if !defined(__SANITIZE_ADDRESS__)  // ASan reserves terabytes of address space up front
  if (limit_mb > 0) {
    // RLIMIT_AS counts address space, and glibc reserves 64 MiB of it for each thread's malloc
    // arena: a few arenas keep concurrent calls from using up the limit before any real use.
    ::mallopt(M_ARENA_MAX, 2);
    const rlim_t bytes = static_cast<rlim_t>(limit_mb) << 20;
    rlimit rl{bytes, bytes};
    if (::setrlimit(RLIMIT_AS, &rl) != 0) std::perror("plugboard-plugin-host: setrlimit(RLIMIT_AS)");
  }
#endif
  std::set_new_handler(&out_of_memory);
  // Ctrl-C or a hangup at the server's terminal reaches its whole process group; the server
  // stops its plugin processes itself, after the calls in flight, so these leave them be.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  return plugboard::isolation::serve_plugin(fd, manifest);
}
