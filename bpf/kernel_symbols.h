// Kernel stack addresses to function names, from /proc/kallsyms: what the
// page-fault copy counter (bpf/page_fault_copies.cc) needs to turn a fault's
// stack into the routine that copied and its path.
//
//   const KernelSymbols& symbols = KernelSymbols::OfRunningKernel();
//   symbols.NameOf(0xffffffff81234567)      // "filemap_read"
//   symbols.Describe(0xffffffff81234567)    // "filemap_read+0x1a7"
//
// Only text symbols are kept (types t, T, w, W; module and BPF program
// symbols included), sorted by address. An address belongs to the closest
// symbol at or below it.
#ifndef BPF_KERNEL_SYMBOLS_H_
#define BPF_KERNEL_SYMBOLS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::bpf {

class KernelSymbols {
 public:
  // Parses kallsyms text ("ffffffff81000000 T _stext", module symbols with
  // a trailing "\t[module]"). Throws CopyCounterUnavailable when it holds no
  // text symbol, or when every address is 0: the kernel hides them from
  // this process (kallsyms_show_value: with kernel.kptr_restrict 0 only
  // when kernel.perf_event_paranoid <= 1 or with CAP_SYSLOG, with 1 only
  // with CAP_SYSLOG, with 2 never). The reason says so, with both sysctls
  // as read under `sysctl_dir` when readable.
  static KernelSymbols Parse(
      std::string text, const std::string& sysctl_dir = "/proc/sys/kernel");

  // Reads and parses `path`; throws CopyCounterUnavailable when it cannot be
  // read (naming the call and errno), or as Parse.
  static KernelSymbols Load(const std::string& path = "/proc/kallsyms");

  // The running kernel's symbols, read once per process (Load), the first
  // time it is called; later calls return the same table. Throws as Load
  // (and again on the next call, which retries).
  static const KernelSymbols& OfRunningKernel();

  // The function that contains `address`: the closest text symbol at or
  // below it. "" below the first symbol or more than kMaxFunctionSize past
  // the closest one (not a kernel function's address).
  std::string_view NameOf(uint64_t address) const;

  // "name+0x1a7" ("name" at the symbol itself); "0xffffffffc0001234" when
  // NameOf finds none.
  std::string Describe(uint64_t address) const;

  size_t size() const { return addresses_.size(); }

  // No kernel function is this large; an offset beyond it means the address
  // lies past the last symbol of a region (or in none).
  static constexpr uint64_t kMaxFunctionSize = 1 << 20;

 private:
  KernelSymbols() = default;

  // One symbol: index into both vectors, sorted by address.
  std::vector<uint64_t> addresses_;
  std::vector<std::string_view> names_;  // views into *text_
  // The parsed text, shared so that copies keep the views valid.
  std::shared_ptr<const std::string> text_;
  // The index of the symbol for `address`, or -1.
  long IndexOf(uint64_t address) const;
};

}  // namespace ipcproof::bpf

#endif  // BPF_KERNEL_SYMBOLS_H_
