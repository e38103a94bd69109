// From one enterprise's decision to its list entries: the enterprise's own
// entry and one per piece of equipment (SP6, T78: down to line, process and
// equipment, with the safety measures), one per distinct effective date;
// exemptions and livelihood caps applied; data gaps said where they are
// (DATA_COMPLETENESS); "stop x% counted by line" resolved to whole lines.
#ifndef CUOFENG_LIB_RULES_ENTRIES_H_
#define CUOFENG_LIB_RULES_ENTRIES_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/rules/decision.h"

namespace cuofeng {

// NameIndex finds a registry resource by its name; the keys are views of the
// snapshot's own names (no copies).
template <typename T>
using NameIndex = absl::flat_hash_map<absl::string_view, const T*>;

// RegistryNames finds a process or a line by its name, as an index of the
// whole snapshot would (the last registered of that name), looking among
// the plant's own first: a name under another plant (or none) is looked up
// in an index of the whole snapshot, made on the first such need.
class RegistryNames {
 public:
  RegistryNames(const std::vector<v1::Process>* processes,
                const std::vector<v1::ProductionLine>* lines)
      : all_processes_(processes), all_lines_(lines) {}

  const v1::Process* Process(const PlantFacts& plant, absl::string_view name) const;
  const v1::ProductionLine* Line(const PlantFacts& plant, absl::string_view name) const;

 private:
  void Index() const;

  const std::vector<v1::Process>* all_processes_;
  const std::vector<v1::ProductionLine>* all_lines_;
  mutable std::once_flag indexed_;
  mutable NameIndex<v1::Process> processes_;
  mutable NameIndex<v1::ProductionLine> lines_;
};

// EntryContext is what the builder reads besides the plant.
struct EntryContext {
  const v1::Season* season = nullptr;
  const v1::RuleSpec* data_spec = nullptr;   // DATA_COMPLETENESS; nullptr: no data reasons
  const v1::RuleSpec* lines_spec = nullptr;  // STOP_COUNTED_BY_LINE; nullptr: not resolved
  const RegistryNames* names = nullptr;
};

// PlantRecord is a listed enterprise as its entries share it: the fields
// every entry copies.
struct PlantRecord {
  const v1::Enterprise* enterprise = nullptr;
  double cap_percent = -1;       // the livelihood cap (PlantDecision::cap_percent)
  std::string industry;          // e.g. 铸造 (C3391)
  std::string plant_safety;      // the enterprise entry's 一厂一策 line
  bool exempt_at_start = false;  // the exemption holds at the season start
};

// Safety says which safety text an entry carries.
enum class Safety : uint8_t { kNone, kPlant, kEquipment };

// StoredLevels is one distinct combination of the four measures, kept once
// per store however many entries carry it (a province has a million entries
// and a few hundred combinations), with what is read of it per entry.
struct StoredLevels {
  Levels levels;
  std::string fields;                 // ListEntry fields 5-8 (season..red) as serialized
  std::array<int, 4> cut_permille{};  // CutPermille of each level
  bool cuts = false;                  // some level cuts output (CutFraction > 0)
  bool stop_lines = false;            // some level is STOP_LINES
};

// Kept is a reason kept serialized in an EntryStore: its size (4 bytes, in
// the machine's order), then its bytes, in one of the store's byte blocks
// (a province's million reasons without an allocation each).
using Kept = const char*;
inline absl::string_view KeptBytes(Kept kept) {
  uint32_t size;
  std::memcpy(&size, kept, sizeof(size));
  return absl::string_view(kept + sizeof(size), size);
}

// EntryRecord is one list entry in the engine's compact form (80 bytes): what
// it shares with its plant (the enterprise's fields, the rules' reasons and
// facts) and with other entries (its measures) is pointed to, not copied;
// reasons are kept serialized, once per plant, and the entry's reasons and
// refusals are a range of pointers in the store's pool.
// EntryStore::Materialize makes the ListEntry, EntryWriter its bytes.
struct EntryRecord {
  const PlantRecord* plant = nullptr;
  const v1::Equipment* equipment = nullptr;  // an equipment's entry
  const std::string* resource = nullptr;     // equipment, enterprise or line name
  // An equipment's process and line, a line entry's line (nullptr: not in
  // the registry, named by the id in the resource name).
  const v1::Process* process = nullptr;
  const v1::ProductionLine* line_of = nullptr;
  const std::string* effective_from = nullptr;
  const StoredLevels* levels = nullptr;
  const Kept* reasons = nullptr;  // the reasons, then the refusals, in a store's pool
  uint16_t reasons_n = 0;
  uint16_t refused_n = 0;
  v1::EntryKind kind = v1::ENTRY_KIND_UNSPECIFIED;
  bool escalated = false;
  bool line = false;  // a production line's entry ("stop x% counted by line")
  Safety safety = Safety::kNone;
};

static_assert(std::is_trivially_destructible_v<EntryRecord>, "EntryRecords frees raw blocks");

// EntryDraft is an entry while its plant's entries are being made: its
// reasons may still grow ("stop x% counted by line").
struct EntryDraft {
  EntryRecord record;
  std::vector<Kept> reasons;
  std::vector<Kept> refused;
};

// EntryRecords holds a list's entries in blocks that never move: a
// province's million entries grow without a second copy, and with one
// allocation per 32,768 entries. A block may be part full (Adopt takes
// another's blocks as they are).
class EntryRecords {
 public:
  static constexpr size_t kBlock = size_t{1} << 15;

  struct Free {
    void operator()(EntryRecord* block) const { ::operator delete(block); }
  };
  struct Block {
    std::unique_ptr<EntryRecord[], Free> data;
    size_t n = 0;  // records made in it (never 0 once listed)
  };

  template <typename Record>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = EntryRecord;
    using difference_type = std::ptrdiff_t;
    using pointer = Record*;
    using reference = Record&;
    Iterator(const std::vector<Block>* blocks, size_t block, size_t at)
        : blocks_(blocks), block_(block), at_(at) {}
    Record& operator*() const { return (*blocks_)[block_].data[at_]; }
    Record* operator->() const { return &**this; }
    Iterator& operator++() {
      if (++at_ == (*blocks_)[block_].n) {
        ++block_;
        at_ = 0;
      }
      return *this;
    }
    bool operator==(const Iterator& o) const { return block_ == o.block_ && at_ == o.at_; }
    bool operator!=(const Iterator& o) const { return !(*this == o); }

   private:
    const std::vector<Block>* blocks_;
    size_t block_, at_;
  };
  using iterator = Iterator<EntryRecord>;
  using const_iterator = Iterator<const EntryRecord>;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  EntryRecord& operator[](size_t i) { return At(i); }
  const EntryRecord& operator[](size_t i) const { return At(i); }
  EntryRecord& emplace_back(const EntryRecord& r) {
    // Raw memory, made into records one at a time: a block's pages are
    // touched only as far as it is filled.
    if (blocks_.empty() || blocks_.back().n == kBlock) {
      starts_.push_back(size_);
      blocks_.push_back({std::unique_ptr<EntryRecord[], Free>(static_cast<EntryRecord*>(
                             ::operator new(kBlock * sizeof(EntryRecord)))),
                         0});
    }
    Block& b = blocks_.back();
    ++size_;
    return *new (&b.data[b.n++]) EntryRecord(r);
  }
  // Adopt appends the records of `other` (which it empties) without copying
  // them: they stay where they are.
  void Adopt(EntryRecords* other) {
    for (Block& b : other->blocks_) {
      starts_.push_back(size_);
      size_ += b.n;
      blocks_.push_back(std::move(b));
    }
    other->blocks_.clear();
    other->starts_.clear();
    other->size_ = 0;
  }
  iterator begin() { return iterator(&blocks_, 0, 0); }
  iterator end() { return iterator(&blocks_, blocks_.size(), 0); }
  const_iterator begin() const { return const_iterator(&blocks_, 0, 0); }
  const_iterator end() const { return const_iterator(&blocks_, blocks_.size(), 0); }

 private:
  EntryRecord& At(size_t i) const {
    const size_t b = std::upper_bound(starts_.begin(), starts_.end(), i) - starts_.begin() - 1;
    return blocks_[b].data[i - starts_[b]];
  }

  std::vector<Block> blocks_;
  std::vector<size_t> starts_;  // the index of each block's first record
  size_t size_ = 0;
};

// EntryStore owns a list's entries in compact form and what they point to
// (besides the registry snapshot, which must outlive it).
class EntryStore {
 public:
  // Keep keeps `reason` serialized.
  Kept Keep(const v1::Reason& reason);
  const std::string* KeepString(std::string s) {
    strings_.push_back(std::move(s));
    return &strings_.back();
  }
  // Intern keeps one copy of each of the few distinct dates.
  const std::string* Intern(const std::string& s) { return &*interned_.insert(s).first; }
  // InternLevels keeps one copy of each distinct combination of measures.
  const StoredLevels* InternLevels(const Levels& levels);
  PlantRecord* AddPlant() { return &plants_.emplace_back(); }

  // Add appends the entry of `draft` (its reasons into the pool).
  void Add(const EntryDraft& draft);
  // Absorb appends the entries of `part` (made on another thread) after this
  // store's, and keeps what they point to.
  void Absorb(std::unique_ptr<EntryStore> part);
  // AddReason adds `reason` after the entry's other reasons.
  void AddReason(EntryRecord* record, Kept reason);
  // The entry's reasons and refusals.
  static absl::Span<const Kept> Reasons(const EntryRecord& r) {
    return absl::MakeConstSpan(r.reasons, r.reasons_n);
  }
  static absl::Span<const Kept> Refused(const EntryRecord& r) {
    return absl::MakeConstSpan(r.reasons + r.reasons_n, r.refused_n);
  }

  // Materialize writes `record` into `entry` (cleared first).
  void Materialize(const EntryRecord& record, v1::ListEntry* entry) const;

  EntryRecords entries;
  // Scratch for AppendPlantEntries, reused from plant to plant (the first
  // `drafts_used` are the plant's).
  std::vector<EntryDraft> drafts;
  size_t drafts_used = 0;

 private:
  std::deque<std::string> strings_;
  // The kept reasons' bytes, in blocks that never move.
  static constexpr size_t kBytesBlock = size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> bytes_;
  char* bytes_next_ = nullptr;
  size_t bytes_left_ = 0;
  std::set<std::string> interned_;
  std::deque<PlantRecord> plants_;
  std::deque<StoredLevels> levels_;
  absl::flat_hash_map<std::string, const StoredLevels*> levels_index_;  // by `fields`
  // The pool of reason pointers, in chunks that never move (no copy as it
  // grows); an entry's range is within one chunk.
  static constexpr size_t kChunk = size_t{1} << 17;
  Kept* Reserve(size_t n);
  std::vector<std::unique_ptr<Kept[]>> chunks_;
  Kept* pool_next_ = nullptr;
  size_t pool_left_ = 0;
  // Absorbed stores: what their entries point to.
  std::vector<std::unique_ptr<EntryStore>> parts_;
};

// EntryWriter writes entries in compact form as the bytes of their ListEntry's
// deterministic serialization, without making the message.
class EntryWriter {
 public:
  explicit EntryWriter(const EntryStore& store) : store_(store) {}

  // Write returns the bytes of `record` as a ListEntry named `name` (none when
  // empty); valid until the next call.
  const std::string& Write(const EntryRecord& record, absl::string_view name = "");

 private:
  const EntryStore& store_;
  std::string out_;
};

// MissingPollutants lists the expected pollutants (ExpectedPollutants) whose
// annual emissions the equipment does not record.
std::vector<v1::Pollutant> MissingPollutants(const v1::Equipment& q);

// AppendPlantEntries appends the entries of one listed enterprise to `store`
// (`record` is the plant's in the store; the decision may go afterwards).
void AppendPlantEntries(const PlantFacts& plant, const PlantDecision& decision,
                        const PlantRecord& record, const EntryContext& context, EntryStore* store);

// FillPlantRecord sets the fields the entries copy from `record`'s enterprise.
void FillPlantRecord(PlantRecord* record);

// SafetyText is what keeps a stop or a limit safe for this kind of
// equipment (SP6, T78).
const char* SafetyText(const v1::Equipment& q);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_ENTRIES_H_
