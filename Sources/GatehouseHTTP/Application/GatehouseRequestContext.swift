import GatehouseStorage
import Hummingbird
import NIOCore
import Synchronization

/// The context of every request: who is on the other end of the socket, and — once the
/// Management API's middleware has checked a Bearer token — which caller it is.
public struct GatehouseRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address: the TCP peer's, or — when the peer is a trusted proxy
    /// (`GATEHOUSE_TRUSTED_PROXIES`) — the one `ClientAddressMiddleware` reads from
    /// `X-Forwarded-For`. Every throttle, log and `event.request.ip` uses this value.
    public internal(set) var remoteIP: String
    /// The TCP peer's IP address, whatever the headers say.
    public let peerIP: String
    /// Set only by `ManagementAuthenticator` for `/api/v2` routes.
    var managementCaller: ManagementCaller?
    /// Set only by `DashboardSessionMiddleware` for the dashboard's signed-in routes.
    var dashboardSession: DashboardSessionRecord?
    /// What handlers learn for the request's log line (the client they authenticated); shared by
    /// every copy of this context, so `RequestLoggerMiddleware` sees what a handler noted.
    let logNote = RequestLogNote()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerIP = source.channel.remoteAddress?.ipAddress ?? "0.0.0.0"
        self.remoteIP = peerIP
    }

    /// Auth0 accepts request bodies up to 1 MiB on the Management API; so do we, everywhere.
    public var maxUploadSize: Int { 1 << 20 }
}

/// The context of Management API handlers: the caller is always there, so a handler cannot run
/// without an authenticated, scope-bearing token (the type makes the check impossible to skip).
struct ManagementRequestContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let caller: ManagementCaller
    let remoteIP: String

    init(context: GatehouseRequestContext) throws {
        guard let caller = context.managementCaller else {
            throw ManagementAPIError.unauthorized("Missing authentication")
        }
        self.coreContext = context.coreContext
        self.caller = caller
        self.remoteIP = context.remoteIP
    }

    /// Throws Auth0's 403 unless the token carries `scope`.
    func require(_ scope: String) throws {
        guard caller.scopes.contains(scope) else {
            throw ManagementAPIError(
                status: .forbidden, message: "Insufficient scope, expected any of: \(scope)",
                errorCode: "insufficient_scope")
        }
    }
}

/// Who called the Management API, read from a verified access token.
struct ManagementCaller: Sendable {
    let subject: String
    let clientID: String?
    /// A user's token (not a client's, `{client_id}@clients`): it reaches only the operations that
    /// accept a current-user scope, and only on that user.
    let isEndUser: Bool
    var scopes: Set<String>
}

/// Facts a handler learns that the per-request log line should carry. A reference, since request
/// contexts are values copied on their way down the middleware chain.
final class RequestLogNote: Sendable {
    private let client = Mutex<String?>(nil)

    /// The client the request was made by or for, once a handler has identified it.
    var clientID: String? {
        get { client.withLock { $0 } }
        set { client.withLock { $0 = newValue } }
    }
}
