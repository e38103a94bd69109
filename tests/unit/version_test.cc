#include "lib/version/version.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cuofeng {
namespace {

using ::testing::MatchesRegex;

TEST(VersionTest, VersionIsDottedNumbers) {
  EXPECT_THAT(ProjectVersion(), MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
}

TEST(VersionTest, CommitIsSetAndHasNoNewline) {
  const std::string commit = ProjectCommit();
  EXPECT_FALSE(commit.empty());
  EXPECT_EQ(commit.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace cuofeng
