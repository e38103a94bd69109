// Files compiled into a binary by cuofeng_embed (see CMakeLists.txt).
#ifndef CUOFENG_LIB_DB_EMBEDDED_FILES_H_
#define CUOFENG_LIB_DB_EMBEDDED_FILES_H_

#include <vector>

namespace cuofeng {

// EmbeddedFile is one file: its path relative to the embedded folder, and
// its bytes.
struct EmbeddedFile {
  const char* path;
  const char* contents;
};

// SqlMigrations returns every file under sql/, sorted by path.
const std::vector<EmbeddedFile>& SqlMigrations();

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DB_EMBEDDED_FILES_H_
