// What passes between the host and the guest's init (guest_init.cc), in both
// directions, and nothing else:
//
//  - the plan (/ipcproof/plan in the initramfs, written by the host, read by
//    the init): which modules to load, which system calls to probe, which
//    binaries to run with which arguments and time limits. Text, one item a
//    line, each field percent-escaped so an argument may hold spaces:
//
//      ipcproof-plan 1
//      heartbeat 5
//      module veth /ipcproof/modules/veth.ko
//      probe pidfd_open 434
//      binary conformance/pipe/pipe_test
//      /ipcproof/bin/conformance/pipe/pipe_test 600 arg
//      --ipcproof_time_scale=10 end
//
//  - the result stream (the init writes it to /dev/ttyS1, QEMU to a file):
//    framed records, each a header line "@ipcproof KIND NAME LENGTH\n", then
//    exactly LENGTH bytes, then "\n". The payload is raw bytes (a gtest XML,
//    /proc/config.gz): the serial line is in raw mode, so nothing is
//    translated. The last record is "end", whose payload is the number of
//    records before it: a guest that stops early (panic, power cut, killed
//    QEMU) can never look complete.
//
// The init links this file too (statically): it uses nothing but the
// standard library.
#ifndef TOOLS_KERNELS_GUEST_WIRE_H_
#define TOOLS_KERNELS_GUEST_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::kernels {

// ---- Escaping of one plan field or record name: bytes <= ' ', '%' and
// ---- >= 0x7f become %XX, so a field never holds a space or a newline.
std::string EscapeField(std::string_view raw);
// Throws std::runtime_error on a bad %XX.
std::string UnescapeField(std::string_view escaped);

// ---- The plan.

struct PlanModule {
  std::string name;        // "veth"
  std::string guest_path;  // "/ipcproof/modules/veth.ko"
};

struct PlanProbe {
  std::string name;  // "pidfd_open"
  long number = 0;   // x86-64 system call number
};

struct PlanBinary {
  std::string name;        // "conformance/pipe/pipe_test"
  std::string guest_path;  // "/ipcproof/bin/conformance/pipe/pipe_test"
  int time_limit_seconds = 0;
  std::vector<std::string> args;  // without --gtest_output (the init adds it)
};

struct Plan {
  // How often the init says it is alive while a binary runs (a "tick"
  // record), so the host can tell a hung guest from a long binary.
  int heartbeat_seconds = 5;
  std::vector<PlanModule> modules;  // load in this order
  std::vector<PlanProbe> probes;
  std::vector<PlanBinary> binaries;  // run in this order
};

std::string EncodePlan(const Plan& plan);
// Throws std::runtime_error naming the line and what was wrong.
Plan DecodePlan(std::string_view text);

// ---- The result stream.

// Record kinds the init sends, in the order it sends them.
inline constexpr char kRecordHello[] = "hello";  // first; payload: version
inline constexpr char kRecordUname[] = "uname";  // sysname\nrelease\n...
inline constexpr char kRecordTaintedBefore[] = "tainted-before";
inline constexpr char kRecordMountError[] = "mount-error";  // name: target
inline constexpr char kRecordNote[] = "note";  // what the init wants said
inline constexpr char kRecordFilesystems[] = "filesystems";  // raw file
inline constexpr char kRecordNamespaces[] = "namespaces";    // one a line
inline constexpr char kRecordConfigGz[] = "config-gz";  // raw /proc/config.gz
inline constexpr char kRecordModuleLoaded[] = "module-loaded";  // name
inline constexpr char kRecordModuleError[] = "module-error";    // name, why
// name: the system call; "enosys", or "answers" and how.
inline constexpr char kRecordProbe[] = "probe";
inline constexpr char kRecordStart[] = "start";    // name: binary
inline constexpr char kRecordTick[] = "tick";      // name: binary
inline constexpr char kRecordOutput[] = "output";  // tail of stdout+stderr
inline constexpr char kRecordXml[] = "xml";        // its gtest XML
// "exit N" | "signal N" | "timeout" | "not started: why", then a line
// "seconds S".
inline constexpr char kRecordResult[] = "result";
inline constexpr char kRecordTaintedAfter[] = "tainted-after";
inline constexpr char kRecordFatal[] = "fatal";  // the init gave up: why
inline constexpr char kRecordEnd[] = "end";      // payload: records before

inline constexpr std::string_view kRecordMagic = "@ipcproof ";

struct Record {
  std::string kind;
  std::string name;  // unescaped; "" when the record has none
  std::string payload;
};

// The bytes of one record.
std::string EncodeRecord(std::string_view kind, std::string_view name,
                         std::string_view payload);
// The header line alone (for a payload streamed from a file).
std::string EncodeRecordHeader(std::string_view kind, std::string_view name,
                               uint64_t length);

struct DecodedStream {
  std::vector<Record> records;  // every complete record, in order
  // "" when the stream is well formed up to its end (which may still lack an
  // end record); else what is wrong and where ("at byte 812 (record 7): ...").
  std::string error;
  // The stream stops inside a record (the guest was cut off mid-write): set
  // with error.
  bool truncated = false;
  size_t consumed = 0;   // bytes of complete records
  bool has_end = false;  // an end record whose count matched
};

// Decodes a whole stream, or a prefix of one (a stream still growing: a
// truncated last record is then only unfinished). Never throws.
DecodedStream DecodeResultStream(std::string_view bytes);

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_GUEST_WIRE_H_
