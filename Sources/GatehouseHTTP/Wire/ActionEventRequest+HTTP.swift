import GatehouseIdentity
import Hummingbird

extension ActionEventRequest {
    /// `event.request` of an asynchronous trigger a request fires (`auth0-actions.md` §2.5,
    /// §2.6): the client's address, method, host, user agent and language, without the query or
    /// the body (which may hold the password).
    init(_ request: Request, context: GatehouseRequestContext) {
        self.init(request, remoteIP: context.remoteIP)
    }

    init(_ request: Request, context: ManagementRequestContext) {
        self.init(request, remoteIP: context.remoteIP)
    }

    private init(_ request: Request, remoteIP: String) {
        self.init(
            ip: remoteIP, method: request.method.rawValue, hostname: request.head.authority, userAgent: request.headers[.userAgent],
            language: RequestParameters.language(request))
    }
}
