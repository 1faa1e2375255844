// Checkpoints: the committed offset of every followed file, keyed by source and file
// identity, kept in one file under state_dir. save() is atomic (write a temporary file,
// fsync, rename over the old one, fsync the directory); load() returns an empty table for a
// missing, corrupt or half-written file and says why, never throws.
// Free functions on plain values; safe for concurrent use on different directories.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tail/file_identity.h"

namespace logpulse::tail {

struct CheckpointEntry {
  std::string source;
  FileIdentity identity;
  std::uint64_t offset = 0;
  bool in_cut_line = false;  // offset is inside a cut line: skip to its end (written "N+")
  std::string path;  // where it was last seen: a rotated file is looked for beside it
  // When the checkpoint holding this entry was written (the file's mtime, set by load: not
  // part of the text form); 0 for entries handed over in memory.
  std::int64_t written_at_ns = 0;
};

// What is saved together with the offsets so that a restart counts every line once: the
// rule metrics' state and the records a multiline source was still joining. Opaque text
// lines for this unit (no newlines inside).
struct CheckpointState {
  std::vector<std::string> metric_lines;
  std::vector<std::pair<std::string, std::string>> pending_records;  // key, record
  std::vector<std::pair<std::string, std::string>> windows;          // window name, contents
  std::vector<std::string> alert_lines;                              // alert/alert_checkpoint.h
};

struct CheckpointLoad {
  std::vector<CheckpointEntry> entries;
  CheckpointState state;
  std::string problem;  // empty when the file was absent or read cleanly
};

std::string checkpoint_path(const std::string& state_dir);
CheckpointLoad load_checkpoints(const std::string& state_dir);
// Throws std::system_error when the state directory cannot be written.
void save_checkpoints(const std::string& state_dir, const std::vector<CheckpointEntry>& entries,
                      const CheckpointState& state = {});

// Text form, exposed for tests.
std::string encode_checkpoints(const std::vector<CheckpointEntry>& entries, const CheckpointState& state = {});
CheckpointLoad decode_checkpoints(const std::string& text);

}  // namespace logpulse::tail
