// Files through which a running `plugboard serve` and the CLI on the same box talk: the pid
// file (`plugins reload` signals that process) and the plugin status file (the server writes
// what each load produced, so `plugins reload` can report the outcome). Both live in the
// data directory, which only the operator's account can write.
#pragma once

#include "plugins/registry.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>

#include <sys/types.h>

namespace plugboard::app {

std::filesystem::path pid_file(const std::filesystem::path& data_dir);
std::filesystem::path plugin_status_file(const std::filesystem::path& data_dir);

// Writes this process's pid (replacing a stale file); removes it again on the way out.
void write_pid_file(const std::filesystem::path& data_dir);
void remove_pid_file(const std::filesystem::path& data_dir);
// The pid in the file; nullopt when there is no file or it holds no pid.
std::optional<pid_t> read_pid_file(const std::filesystem::path& data_dir);

// {"pid":P,"generation":N,"loaded":[{"id","version","actions","manifest"}],"skipped":[{"manifest","reason"}]},
// replaced atomically (written aside, then renamed) so a reader never sees half of it.
void write_plugin_status(const std::filesystem::path& data_dir, std::uint64_t generation,
                         const plugins::Registry& registry);
// The last status written; nullopt when there is none or it cannot be read.
std::optional<boost::json::object> read_plugin_status(const std::filesystem::path& data_dir);

}  // namespace plugboard::app
