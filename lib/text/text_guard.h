// The text guard: a gRPC server interceptor that applies the text rules
// (lib/text/text.h) to every request of cuofeng's services that arrives in
// one message (unary and server-streaming calls), so that no handler meets a
// NUL, a control character in a single-line field or an over-long value.
// It cannot answer a call itself: it notes what it found, and CallGuard,
// which every handler goes through, refuses the call with INVALID_ARGUMENT
// naming the fields. Streams of rows (ingest, import) check each row where
// they read it, naming file, row and column.
#ifndef CUOFENG_LIB_TEXT_TEXT_GUARD_H_
#define CUOFENG_LIB_TEXT_TEXT_GUARD_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "absl/status/status.h"

namespace cuofeng {

// NewTextGuardFactory returns the interceptor factory.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewTextGuardFactory();

// TextStatusOf is OK, or the INVALID_ARGUMENT the guard found in this call's
// request.
absl::Status TextStatusOf(const grpc::ServerContextBase* ctx);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_TEXT_TEXT_GUARD_H_
