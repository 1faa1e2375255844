#!/usr/bin/env python3
"""File life cycle: deletion with unread bytes, delete and re-create (inode reuse),
files and directories that appear later, glob discovery (directories and excluded names
ignored), symlinks whose target changes.
"""
import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LINES = "logpulse_lines_read_total"
FOLLOWED = "logpulse_files_followed"


class Lifecycle:
    def test_delete_and_recreate_same_name(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 5))
        d = self.run_daemon([self.source([log], rotate_wait="1s")])
        d.settle(LINES, 5, source="app")
        os.unlink(log)
        self.append(log, self.lines("b", 3))
        d.settle(LINES, 8, source="app")
        self.append(log, self.lines("c", 2))
        d.settle(LINES, 10, source="app")

    def test_recreated_file_with_same_first_bytes_is_new(self):
        # Same name, same first bytes (same fingerprint), maybe the same inode (the old
        # one is released after rotate_wait): a file seen missing and then present is new.
        log = self.path("app.log")
        head = self.lines("same", 3)
        self.append(log, head)
        d = self.run_daemon([self.source([log], rotate_wait="500ms")])
        d.settle(LINES, 3, source="app")
        old_ino = os.stat(log).st_ino
        os.unlink(log)
        # Let the daemon notice the deletion and release the old inode.
        harness.wait_for(lambda: d.value(FOLLOWED, source="app") == 0, timeout=10,
                         message="files_followed should drop to 0 after deletion",
                         on_timeout=d.stderr_tail)
        self.append(log, head + self.lines("more", 5))
        d.settle(LINES, 3 + 8, source="app")
        sys.stderr.write("(inode reused: %s) " % (os.stat(log).st_ino == old_ino))

    def test_file_missing_at_start_appears_later(self):
        log = self.path("late.log")
        d = self.run_daemon([self.source([log], start_at="end")])
        d.assert_stays(LINES, 0, duration=0.3, source="app")
        self.append(log, self.lines("late", 6))   # appeared after start: read from 0
        d.settle(LINES, 6, source="app")
        self.append(log, self.lines("more", 1))
        d.settle(LINES, 7, source="app")

    def test_directory_missing_at_start_appears_later(self):
        sub = os.path.join(self.tmp, "later", "deeper")
        d = self.run_daemon([self.source([os.path.join(sub, "*.log")], start_at="end")])
        d.assert_stays(LINES, 0, duration=0.3, source="app")
        os.makedirs(sub)
        self.append(os.path.join(sub, "x.log"), self.lines("x", 4))
        d.settle(LINES, 4, source="app")
        self.append(os.path.join(sub, "y.log"), self.lines("y", 2))
        d.settle(LINES, 6, source="app")
        self.assertEqual(d.value(FOLLOWED, source="app"), 2)

    def test_glob_new_files_directories_and_excludes(self):
        self.append(self.path("a.log"), self.lines("a", 2))
        d = self.run_daemon([self.source([self.path("*.log")], exclude=["skip*", "*.gz"])])
        d.settle(LINES, 2, source="app")
        os.mkdir(self.path("dir.log"))                          # a directory: ignored
        self.append(self.path("dir.log", "inner.log"), self.lines("inner", 9))
        self.append(self.path("skip-me.log"), self.lines("skip", 7))  # excluded
        self.append(self.path("old.log.gz"), self.lines("gz", 5))     # not matched
        self.append(self.path("notes.txt"), self.lines("txt", 5))     # not matched
        self.append(self.path("b.log"), self.lines("b", 3))
        self.append(self.path("c.log"), self.lines("c", 4))
        d.settle(LINES, 2 + 3 + 4, source="app", duration=1.5)  # > rescan_interval
        self.assertEqual(d.value(FOLLOWED, source="app"), 3)

    def test_exclude_matches_base_name_only(self):
        sub = self.path("gzdir")
        os.mkdir(sub)
        self.append(os.path.join(sub, "app.log"), self.lines("a", 3))
        # "gz*" would match the directory part of the path, not the base name.
        d = self.run_daemon([self.source([os.path.join(sub, "*.log")], exclude=["gz*"])])
        d.settle(LINES, 3, source="app")

    def test_symlink_target_changes(self):
        t1, t2 = self.path("target1.log"), self.path("target2.log")
        link = self.path("current")
        self.append(t1, self.lines("t1", 4))
        os.symlink(t1, link)
        d = self.run_daemon([self.source([link])])
        d.settle(LINES, 4, source="app")
        self.append(t1, self.lines("t1more", 2))
        d.settle(LINES, 6, source="app")
        self.append(t2, self.lines("t2", 5))
        tmp_link = self.path(".current.tmp")
        os.symlink(t2, tmp_link)
        os.rename(tmp_link, link)          # ln -sfn, atomically
        d.settle(LINES, 11, source="app")
        self.append(t2, self.lines("t2more", 3))
        d.settle(LINES, 14, source="app")


class LifecycleAuto(Lifecycle, harness.LogpulseTestCase):
    WATCHER = "auto"


class LifecyclePoll(Lifecycle, harness.LogpulseTestCase):
    WATCHER = "poll"


class DeletionWithUnreadBytes:
    def test_deleted_file_unread_bytes_are_read(self):
        log = self.path("app.log")
        self.append(log, self.lines("a", 5))
        d = self.run_daemon([self.source([log])])
        d.settle(LINES, 5, source="app", duration=0.2)
        # Append and delete at once: in poll mode the next poll is up to 2s away, so the
        # bytes can only be read through the descriptor the daemon already holds.
        self.append(log, self.lines("b", 7))
        os.unlink(log)
        d.settle(LINES, 12, source="app")

    def test_deleted_directory_unread_bytes_are_read(self):
        sub = self.path("sub")
        os.mkdir(sub)
        log = os.path.join(sub, "app.log")
        self.append(log, self.lines("a", 5))
        d = self.run_daemon([self.source([os.path.join(sub, "*.log")])])
        d.settle(LINES, 5, source="app", duration=0.2)
        self.append(log, self.lines("b", 4))
        shutil.rmtree(sub)
        d.settle(LINES, 9, source="app")


class DeletionAuto(DeletionWithUnreadBytes, harness.LogpulseTestCase):
    WATCHER = "auto"


class DeletionPollSlow(DeletionWithUnreadBytes, harness.LogpulseTestCase):
    WATCHER = "poll"
    POLL_INTERVAL = "2s"
    RESCAN_INTERVAL = "2s"


if __name__ == "__main__":
    harness.main()
