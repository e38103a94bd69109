// The cuofeng-server process itself: migrations at start, refusing edited
// migrations, --services, clean shutdown with a call in flight, and a client
// that is not our C++ code.
#include <signal.h>

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"
#include "tools/gen/generator.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace ::cuofeng::testing;

TEST(ServerTest, AppliesMigrationsOnceAndRefusesEditedOnes) {
  std::string dsn = FreshDatabase("migrations");
  std::string error;
  auto first = ServerProcess::Start(dsn, &error);
  ASSERT_NE(first, nullptr) << error;
  EXPECT_EQ(first->Stop(), 0);
  EXPECT_THAT(first->Log(), HasSubstr("applied migration registry/V001__registry.sql"));
  auto second = ServerProcess::Start(dsn, &error);
  ASSERT_NE(second, nullptr) << error;
  EXPECT_EQ(second->Stop(), 0);
  EXPECT_THAT(second->Log(), Not(HasSubstr("applied migration")));

  // Someone edits an applied migration: its recorded checksum no longer matches.
  SqlScalar(dsn,
            "UPDATE core.schema_migrations SET sha256 = repeat('0', 64) "
            "WHERE path = 'registry/V001__registry.sql' RETURNING path");
  auto refused = ServerProcess::Start(dsn, &error);
  EXPECT_EQ(refused, nullptr);
  EXPECT_THAT(error, HasSubstr("registry/V001__registry.sql was edited after it was applied"));

  // A migration from a newer build is refused too.
  SqlScalar(dsn,
            "UPDATE core.schema_migrations SET sha256 = 'x', path = 'registry/V999__future.sql' "
            "WHERE path = 'registry/V001__registry.sql' RETURNING path");
  refused = ServerProcess::Start(dsn, &error);
  EXPECT_EQ(refused, nullptr);
  EXPECT_THAT(error, HasSubstr("registry/V999__future.sql"));
}

TEST(ServerTest, UnknownServiceGroupIsRefused) {
  std::string dsn = FreshDatabase("groups");
  std::string error;
  EXPECT_EQ(ServerProcess::Start(dsn, &error, {"--services=billing"}), nullptr);
  EXPECT_THAT(error, HasSubstr("unknown service group \"billing\""));
  auto registry_only = ServerProcess::Start(dsn, &error, {"--services=registry"});
  ASSERT_NE(registry_only, nullptr) << error;
}

TEST(ServerTest, SigtermLetsAnInFlightImportFinish) {
  std::string dsn = FreshDatabase("shutdown");
  std::string admin = BootstrapAdmin(dsn);
  std::string error;
  auto server = ServerProcess::Start(dsn, &error);
  ASSERT_NE(server, nullptr) << error;
  auto stub = v1::RegistryService::NewStub(Connect(server->address()));
  {
    grpc::ClientContext ctx;
    AddKey(&ctx, admin);
    v1::CreateDistrictRequest req;
    req.set_district_id("120119");
    req.mutable_district()->set_display_name("蓟州区");
    v1::District out;
    ASSERT_TRUE(stub->CreateDistrict(&ctx, req, &out).ok());
  }
  std::string dir = TempDir();
  DistrictSpec spec;
  spec.enterprises = 2000;
  spec.equipment = 10000;
  ASSERT_TRUE(GenerateDistrict(spec, dir).ok());
  auto files = ReadTemplateDir(dir);
  ASSERT_TRUE(files.ok());
  std::promise<void> started;
  auto result = std::async(std::launch::async, [&] {
    return ImportFiles(*stub, admin, "districts/120119", *files, false, "",
                       [&, once = true](int64_t sent, int64_t total) mutable {
                         // Halfway: flow control means the server is reading it.
                         if (once && sent * 2 >= total) {
                           started.set_value();
                           once = false;
                         }
                       });
  });
  started.get_future().wait();
  // The import's stream is open: SIGTERM must not cut it off.
  ASSERT_EQ(server->Stop(), 0);
  auto imported = result.get();
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_GT(imported->created(), 10000);
  EXPECT_THAT(server->Log(), HasSubstr("finishing in-flight calls"));
  EXPECT_EQ(SqlScalar(dsn, "SELECT count(*) FROM registry.equipment"), "10000");
}

TEST(ServerTest, PythonGrpcClientWithStubsFromOurProtos) {
  std::string dsn = FreshDatabase("python");
  std::string admin = BootstrapAdmin(dsn);
  std::string error;
  auto server = ServerProcess::Start(dsn, &error);
  ASSERT_NE(server, nullptr) << error;
  const char* source = std::getenv("CUOFENG_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  CommandResult r =
      RunCommand({"/usr/bin/python3", absl::StrCat(source, "/tests/integration/python_client.py"),
                  BinDir() + "/../gen/python", server->address(), admin});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("0 failed"));
}

}  // namespace
}  // namespace cuofeng
