// The HJ 212-2017 packet parser (lib/hj212/packet.h): framing a TCP byte
// stream, the data segment, the data area. Invariants:
//   - every byte fed is accounted for once: items cover the stream in order,
//     without gaps or overlaps, and what is left is Pending();
//   - framing does not depend on how the stream is split across reads: fed
//     in two pieces (cut where the first byte says) or byte by byte, the
//     same packets come out, and the same bytes are left pending;
//   - a packet that came out, framed again (Frame), reads back as itself;
//   - a data segment or data area that does not parse is INVALID_ARGUMENT;
//     one that parses and asks for an answer gets a 9014 answer that parses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/hj212/packet.h"
#include "tests/fuzz/fuzz_check.h"

namespace cuofeng {
namespace {

struct Framed {
  std::vector<std::string> packets;
  uint64_t covered = 0;
  size_t pending = 0;
};

// Feeds `pieces` one after the other, taking every item after each.
Framed Frame(const std::vector<absl::string_view>& pieces) {
  hj212::FrameReader reader;
  Framed out;
  for (absl::string_view piece : pieces) {
    reader.Feed(piece);
    while (auto item = reader.Next()) {
      FUZZ_CHECK(item->offset == out.covered,
                 absl::StrCat("item at ", item->offset, " after ", out.covered, " bytes"));
      FUZZ_CHECK(item->bytes > 0, "an item of no bytes");
      FUZZ_CHECK(item->ok || !item->reason.empty(), "a rejection without a reason");
      out.covered += item->bytes;
      if (item->ok) out.packets.push_back(item->data);
    }
  }
  out.pending = reader.Pending();
  return out;
}

void CheckSegment(const std::string& data) {
  auto packet = hj212::ParseDataSegment(data);
  if (!packet.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(packet.status()), packet.status().ToString());
    return;
  }
  if (hj212::IsDataUpload(packet->cn)) {
    auto area = hj212::ParseDataArea(packet->cp);
    if (!area.ok()) {
      FUZZ_CHECK(absl::IsInvalidArgument(area.status()), area.status().ToString());
    }
  }
  if (packet->WantsAnswer()) {
    const std::string answer = hj212::DataAnswer(*packet);
    Framed again = Frame({answer});
    FUZZ_CHECK(again.packets.size() == 1 && again.pending == 0,
               absl::StrCat("the answer does not frame: ", absl::CHexEscape(answer)));
    auto parsed = hj212::ParseDataSegment(again.packets[0]);
    FUZZ_CHECK(parsed.ok() && parsed->cn == hj212::kDataAnswer,
               absl::StrCat("the answer does not parse as 9014: ", absl::CHexEscape(answer)));
  }
}

}  // namespace
}  // namespace cuofeng

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cuofeng;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const Framed whole = Frame({input});
  FUZZ_CHECK(whole.covered + whole.pending == size,
             absl::StrCat(whole.covered, " covered + ", whole.pending, " pending != ", size));
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  const Framed two = Frame({input.substr(0, cut), input.substr(cut)});
  FUZZ_CHECK(two.packets == whole.packets && two.pending == whole.pending,
             absl::StrCat("split at ", cut, ": ", two.packets.size(), " packets, ", two.pending,
                          " pending; whole: ", whole.packets.size(), ", ", whole.pending,
                          "\n  input: ", absl::CHexEscape(input)));
  if (size <= 512) {
    std::vector<absl::string_view> bytes;
    for (size_t i = 0; i < size; ++i) bytes.push_back(input.substr(i, 1));
    const Framed each = Frame(bytes);
    FUZZ_CHECK(each.packets == whole.packets && each.pending == whole.pending,
               absl::StrCat("byte by byte: ", each.packets.size(), " packets, ", each.pending,
                            " pending; whole: ", whole.packets.size(), ", ", whole.pending,
                            "\n  input: ", absl::CHexEscape(input)));
  }
  for (const std::string& packet : whole.packets) {
    const Framed again = Frame({hj212::Frame(packet)});
    FUZZ_CHECK(again.packets.size() == 1 && again.packets[0] == packet && again.pending == 0,
               absl::StrCat("Frame(packet) does not read back: ", absl::CHexEscape(packet)));
    CheckSegment(packet);
  }
  return 0;
}
