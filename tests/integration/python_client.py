#!/usr/bin/python3
"""A client that is not our C++ code: Debian's python3-grpcio with stubs that
protoc generated from proto/. Run by server_e2e_test against a real server.

usage: python_client.py STUBS_DIR SERVER ADMIN_KEY
"""
import sys

stubs, server, key = sys.argv[1:4]
sys.path.insert(0, stubs)

import grpc  # noqa: E402
from cuofeng.v1 import admin_pb2, admin_pb2_grpc, registry_pb2, registry_pb2_grpc  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402

checks = 0


def check(cond, what):
    global checks
    if not cond:
        print("FAILED:", what)
        sys.exit(1)
    checks += 1


channel = grpc.insecure_channel(server)
auth = [("authorization", "Bearer " + key)]

# grpc.health.v1.Health/Check, encoded by hand (Debian has no grpc_health):
# HealthCheckRequest{service=1}; HealthCheckResponse{status=1}, SERVING = 1.
check_health = channel.unary_unary("/grpc.health.v1.Health/Check")
for name in ["", "cuofeng.v1.RegistryService", "cuofeng.v1.AdminService"]:
    req = b"" if not name else b"\x0a" + bytes([len(name)]) + name.encode()
    check(check_health(req) == b"\x08\x01", "health SERVING for %r" % name)
try:
    check_health(b"\x0a\x07missing")
    check(False, "health of an unknown service must fail")
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.NOT_FOUND, "unknown service is NOT_FOUND")

# Server reflection: ServerReflectionRequest{list_services=7} lists our services.
reflect = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
answer = b"".join(reflect(iter([b"\x3a\x00"])))
check(b"cuofeng.v1.RegistryService" in answer, "reflection lists RegistryService")

registry = registry_pb2_grpc.RegistryServiceStub(channel)
admin = admin_pb2_grpc.AdminServiceStub(channel)

me = admin.GetCaller(admin_pb2.GetCallerRequest(), metadata=auth)
check(me.role == admin_pb2.ADMIN, "the key is an admin key")

district = registry.CreateDistrict(
    registry_pb2.CreateDistrictRequest(
        district_id="120225", district=registry_pb2.District(display_name="蓟县", city="天津市")),
    metadata=auth)
check(district.name == "districts/120225", "created a district from Python")
town = registry.CreateTownship(
    registry_pb2.CreateTownshipRequest(
        parent=district.name, township_id="yuyang", township=registry_pb2.Township(display_name="渔阳镇")),
    metadata=auth)
got = registry.GetTownship(registry_pb2.GetTownshipRequest(name=town.name), metadata=auth)
check(got.display_name == "渔阳镇" and got.etag == "1", "read the township back")

# A bad request carries google.rpc.BadRequest in grpc-status-details-bin.
try:
    registry.CreateTownship(
        registry_pb2.CreateTownshipRequest(parent=district.name, township_id="Bad Id",
                                           township=registry_pb2.Township()),
        metadata=auth)
    check(False, "a bad id must be refused")
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.INVALID_ARGUMENT, "bad id is INVALID_ARGUMENT")
    details = dict(e.trailing_metadata()).get("grpc-status-details-bin")
    check(details is not None, "status details are sent")
    status = status_pb2.Status.FromString(details)
    bad = error_details_pb2.BadRequest()
    check(status.details[0].Unpack(bad), "details hold a BadRequest")
    check([v.field for v in bad.field_violations] == ["township_id"], "the violation names township_id")

try:
    registry.ListDistricts(registry_pb2.ListDistrictsRequest())
    check(False, "a call without a key must be refused")
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.UNAUTHENTICATED, "no key is UNAUTHENTICATED")

print("python client: %d passed, 0 failed" % checks)
