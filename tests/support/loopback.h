// A TCP connection to a port on this machine, for tests that play a device.
#ifndef CUOFENG_TESTS_SUPPORT_LOOPBACK_H_
#define CUOFENG_TESTS_SUPPORT_LOOPBACK_H_

namespace cuofeng {
namespace testing {

// ConnectLoopback connects to 127.0.0.1:`port`; the socket, or -1 when
// nothing listens there.
int ConnectLoopback(int port);

}  // namespace testing
}  // namespace cuofeng

#endif  // CUOFENG_TESTS_SUPPORT_LOOPBACK_H_
