import HTTPTypes
import Hummingbird
import Synchronization

/// A set of routes answered inside the server, without a socket: how the dashboard calls the
/// token endpoint and the Management API exactly as an outside client would, through the same
/// authentication, scope checks, validation and audit.
struct InProcessResponder: Sendable {
    let responder: RouterResponder<GatehouseRequestContext>

    init(_ register: (Router<GatehouseRequestContext>) -> Void) {
        let router = Router(context: GatehouseRequestContext.self)
        register(router)
        responder = router.buildResponder()
    }

    /// The response to `request`, errors included (as the HTTP server would write them).
    func respond(to request: Request, context: GatehouseRequestContext) async throws -> Response {
        var context = context
        context.managementCaller = nil
        context.dashboardSession = nil
        do {
            return try await responder.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context)
        }
    }
}

extension Response {
    /// The whole body of an in-process response (small JSON answers only).
    func collectedBody() async throws -> ByteBuffer {
        let collector = BodyCollector()
        try await body.write(collector)
        return collector.buffer.withLock { $0 }
    }
}

/// A `ResponseBodyWriter` that keeps what is written.
private final class BodyCollector: ResponseBodyWriter, Sendable {
    let buffer = Mutex(ByteBuffer())

    func write(_ part: ByteBuffer) async throws {
        buffer.withLock { $0.writeImmutableBuffer(part) }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
