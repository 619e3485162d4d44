// The new-file polling trigger, on Drive's Changes API rather than files.list: a page token
// marks a point in the drive's change log, so nothing is missed between polls and nothing is
// listed twice, however many files the folder holds.
//
// The first poll only takes changes/getStartPageToken as the cursor (no backfill of what was
// already there). Each later poll follows changes.list from the cursor through nextPageToken
// until Google hands out newStartPageToken, the cursor for the next poll. The host commits the
// cursor only after the poll's events are stored, so a crash repeats a page, never skips one;
// the file id is the event id, so the host drops repeats (and later edits of the same file).
//
// "New" means created since the subscription started watching: the change log also reports
// edits, moves and shares of older files, which are not new files.
#include "actions.hpp"
#include "drive_api.hpp"
#include "params.hpp"

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace google_drive {
namespace {

constexpr std::string_view kFolderMime = "application/vnd.google-apps.folder";
// At most this many change pages per poll; the rest waits for the next poll, from the page
// token reached, so one huge backlog cannot hold a poll past its deadline.
constexpr int kMaxPagesPerPoll = 20;
// Google's clock stamps createdTime, ours the start of watching: allow for the two to differ.
constexpr long long kClockSkewSeconds = 60;

// The file resource fields each change carries; the event's data is this resource.
constexpr std::string_view kChangeFields =
    "nextPageToken,newStartPageToken,changes(changeType,removed,fileId,time,file(id,name,mimeType,parents,"
    "createdTime,modifiedTime,webViewLink,iconLink,size,md5Checksum,trashed,description,owners(displayName,"
    "emailAddress)))";

// Seconds since the epoch of an RFC 3339 UTC time ("2024-01-15T10:30:00.123Z"); -1 when malformed.
long long epoch_seconds(const std::string& t) {
  std::tm tm{};
  int year = 0;
  int month = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6)
    return -1;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  return static_cast<long long>(timegm(&tm));
}

bool has_parent(const json::object& file, const std::string& folder) {
  const json::value* parents = file.if_contains("parents");
  if (parents == nullptr || !parents->is_array()) return false;
  for (const json::value& p : parents->get_array())
    if (p.is_string() && p.get_string() == folder) return true;
  return false;
}

std::string change_list_url(const std::string& page_token) {
  return "/drive/v3/changes?pageToken=" + url_encode(page_token) +
         "&pageSize=100&includeRemoved=true&supportsAllDrives=true&includeItemsFromAllDrives=true&spaces="
         "drive"
         "&fields=" +
         url_encode(kChangeFields);
}

struct Filter {
  std::string folder_id;  // empty: anywhere in the drive
  bool include_folders = false;
  long long since = 0;  // epoch seconds; files created before are not new
};

// The change's file when it is a new file the subscription wants, else null.
const json::object* wanted(const json::object& change, const Filter& f) {
  if (bool_param(change, "removed")) return nullptr;
  if (const std::string type = string_param(change, "changeType"); !type.empty() && type != "file")
    return nullptr;
  const json::value* fv = change.if_contains("file");
  if (fv == nullptr || !fv->is_object()) return nullptr;
  const json::object& file = fv->get_object();
  if (bool_param(file, "trashed")) return nullptr;
  if (!f.include_folders && string_param(file, "mimeType") == kFolderMime) return nullptr;
  if (!f.folder_id.empty() && !has_parent(file, f.folder_id)) return nullptr;
  const long long created = epoch_seconds(string_param(file, "createdTime"));
  if (created >= 0 && created < f.since - kClockSkewSeconds) return nullptr;
  return &file;
}

}  // namespace

std::vector<plugboard::TriggerEvent> poll_new_files(plugboard::Context& ctx, const json::object& config) {
  const json::value state = ctx.state();
  const json::object* cursor = state.is_object() ? &state.get_object() : nullptr;
  std::string page_token = cursor != nullptr ? string_param(*cursor, "page_token") : "";
  std::string started_at = cursor != nullptr ? string_param(*cursor, "started_at") : "";

  if (page_token.empty()) {  // first poll: start watching from now
    json::object start = get(ctx, "changes.getStartPageToken",
                             "/drive/v3/changes/startPageToken?supportsAllDrives=true&fields=startPageToken");
    page_token = string_param(start, "startPageToken");
    if (page_token.empty())
      throw plugboard::ActionError{
          "INVALID_RESPONSE", "Google Drive gave no startPageToken", {{"retryable", true}}};
    ctx.set_state(json::object{{"page_token", page_token}, {"started_at", utc_now()}});
    return {};
  }

  Filter filter;
  filter.folder_id = string_param(config, "folder_id");
  filter.include_folders = bool_param(config, "include_folders");
  filter.since = epoch_seconds(started_at);

  std::vector<plugboard::TriggerEvent> events;
  for (int page = 0; page < kMaxPagesPerPoll && !ctx.cancelled(); ++page) {
    json::object list = get(ctx, "changes.list", change_list_url(page_token));
    if (const json::value* changes = list.if_contains("changes"); changes != nullptr && changes->is_array()) {
      for (const json::value& c : changes->get_array()) {
        const json::object* file = c.is_object() ? wanted(c.get_object(), filter) : nullptr;
        if (file == nullptr) continue;
        plugboard::TriggerEvent e;
        e.id = string_param(*file, "id");
        e.data = *file;
        e.occurred_at = string_param(*file, "createdTime");
        events.push_back(std::move(e));
      }
    }
    if (std::string next = string_param(list, "nextPageToken"); !next.empty()) {
      page_token = std::move(next);
      continue;
    }
    page_token = string_param(list, "newStartPageToken");
    if (page_token.empty())
      throw plugboard::ActionError{
          "INVALID_RESPONSE",
          "Google Drive's changes.list gave neither nextPageToken nor newStartPageToken",
          {{"retryable", true}}};
    break;
  }
  ctx.set_state(json::object{{"page_token", page_token}, {"started_at", started_at}});
  return events;
}

}  // namespace google_drive
