// The frame codec and messages between the runtime and plugboard-plugin-host: round trips of
// binary payloads, and every malformed or oversized frame ends in a FrameError, never a crash,
// a hang or a huge allocation.
#include "isolation/child_process.hpp"
#include "isolation/frame.hpp"
#include "isolation/messages.hpp"
#include "isolation/restart_backoff.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace plugboard::isolation;

namespace {

std::string u32(std::uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string body_of(const std::string& frame) { return frame.substr(4); }

struct SocketPair {
  int fd[2];
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0); }
  ~SocketPair() {
    ::close(fd[0]);
    if (fd[1] >= 0) ::close(fd[1]);
  }
  void send_raw(const std::string& s) {
    ASSERT_EQ(::write(fd[1], s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  void close_writer() {
    ::close(fd[1]);
    fd[1] = -1;
  }
};

void expect_frame_error(const std::string& body, const std::string& what) {
  try {
    decode_frame_body(body);
    ADD_FAILURE() << "decoded a malformed frame; expected: " << what;
  } catch (const FrameError& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Frame, RoundTripsHeadAndBinaryBlobs) {
  Message m = make_call(7, "action", "send-message", 1500, std::string("\0\xff\xfe{not json", 12));
  m.blobs.emplace_back();  // an empty blob stays an empty blob
  const std::string frame = encode_frame(m);
  ASSERT_GE(frame.size(), 4u);
  EXPECT_EQ(frame.substr(0, 4), u32(static_cast<std::uint32_t>(frame.size() - 4)));
  Message back = decode_frame_body(body_of(frame));
  EXPECT_EQ(back.head, m.head);
  ASSERT_EQ(back.blobs.size(), 2u);
  EXPECT_EQ(back.blobs[0], std::string("\0\xff\xfe{not json", 12));
  EXPECT_EQ(back.blobs[1], "");
  EXPECT_EQ(text_field(back, "op"), "action");
  EXPECT_EQ(int_field(back, "remaining_ms"), 1500);
}

TEST(Frame, MalformedBodiesAreFrameErrors) {
  const std::string head = R"({"t":"done"})";
  expect_frame_error("", "too short");
  expect_frame_error(u32(100) + head, "past the end");
  expect_frame_error(u32(3) + "[1]" + u32(0), "not a JSON object");
  expect_frame_error(u32(4) + "{oops" + u32(0), "not a JSON object");
  expect_frame_error(u32(head.size()) + head, "too short");
  expect_frame_error(u32(head.size()) + head + u32(0x7fffffff), "blob count");
  expect_frame_error(u32(head.size()) + head + u32(1) + u32(50) + "abc", "past the end");
  expect_frame_error(u32(head.size()) + head + u32(0) + "x", "trailing");
}

TEST(Frame, StreamReadsWholeFramesAndStopsCleanlyAtTheEnd) {
  SocketPair sp;
  Message a = make_done(1, 0, R"({"ok":true})");
  Message b = make_reply(2, 1);
  write_frame(sp.fd[1], a);
  write_frame(sp.fd[1], b);
  sp.close_writer();
  Message got;
  ASSERT_TRUE(read_frame(sp.fd[0], got));
  EXPECT_EQ(got.head, a.head);
  EXPECT_EQ(got.blobs, a.blobs);
  ASSERT_TRUE(read_frame(sp.fd[0], got));
  EXPECT_EQ(got.head, b.head);
  EXPECT_FALSE(read_frame(sp.fd[0], got));  // end of stream between frames: not an error
}

TEST(Frame, OversizedLengthIsRefusedBeforeAllocating) {
  SocketPair sp;
  sp.send_raw(u32(0xffffffff));
  Message got;
  try {
    read_frame(sp.fd[0], got);
    FAIL() << "read an oversized frame";
  } catch (const FrameError& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds the limit"), std::string::npos) << e.what();
  }
}

TEST(Frame, AMessageOverTheLimitIsRefusedBeforeItIsBuilt) {
  Message m = make_done(1, 0, std::string(kMaxFrameBytes, 'x'));
  EXPECT_THROW(encode_frame(m), FrameTooLarge);
}

TEST(Frame, LimitIsConfigurablePerRead) {
  SocketPair sp;
  write_frame(sp.fd[1], make_done(1, 0, std::string(1000, 'x')));
  Message got;
  EXPECT_THROW(read_frame(sp.fd[0], got, 100), FrameError);
}

TEST(Frame, TruncatedFrameIsAnError) {
  SocketPair sp;
  const std::string frame = encode_frame(make_done(1, 0, "hello"));
  sp.send_raw(frame.substr(0, frame.size() - 2));
  sp.close_writer();
  Message got;
  EXPECT_THROW(read_frame(sp.fd[0], got), FrameError);
  SocketPair half;
  half.send_raw(std::string("\x10\x00", 2));  // a length prefix cut in two
  half.close_writer();
  EXPECT_THROW(read_frame(half.fd[0], got), FrameError);
}

TEST(Frame, WritingToAClosedPeerIsAnErrorNotASignal) {
  int fd[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
  ::close(fd[1]);
  EXPECT_THROW(write_frame(fd[0], make_reply(1, 0)), FrameError);  // and no SIGPIPE
  ::close(fd[0]);
}

TEST(Messages, MissingOrMistypedFieldsAreProtocolErrors) {
  Message m = make_reply(3, 0);
  EXPECT_EQ(int_field(m, "seq"), 3);
  EXPECT_THROW(text_field(m, "seq"), FrameError);
  EXPECT_THROW(int_field(m, "t"), FrameError);
  EXPECT_THROW(int_field(m, "nope"), FrameError);
  EXPECT_THROW(blob(m, 0), FrameError);
  EXPECT_FALSE(bool_field(m, "nope"));
}

TEST(RestartBackoff, DoublesUpToTheMaximumAndResetsAfterAHealthyRun) {
  using ms = std::chrono::milliseconds;
  RestartBackoff b(ms(100), ms(500), ms(10000));
  EXPECT_EQ(b.on_death(ms(5)), ms(100));
  EXPECT_EQ(b.on_death(ms(5)), ms(200));
  EXPECT_EQ(b.on_death(ms(5)), ms(400));
  EXPECT_EQ(b.on_death(ms(5)), ms(500));
  EXPECT_EQ(b.on_death(ms(5)), ms(500));
  EXPECT_EQ(b.on_death(ms(20000)), ms(100));  // it had been healthy: start over
  EXPECT_EQ(b.on_death(ms(5)), ms(200));
}

TEST(ChildProcess, WaitStatusNamesTheSignal) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGSEGV, SIG_DFL);
    ::raise(SIGSEGV);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(describe_wait_status(status), "signal 11 (SIGSEGV)");
  const pid_t exits = ::fork();
  if (exits == 0) ::_exit(3);
  ASSERT_EQ(::waitpid(exits, &status, 0), exits);
  EXPECT_EQ(describe_wait_status(status), "exit status 3");
}

TEST(ChildProcess, MissingHostBinaryIsAClearError) {
  try {
    spawn_with_socket("/nonexistent/plugboard-plugin-host", {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}
