import GatehouseActions
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird
import Logging

/// The Management API (`/api/v2`): Bearer tokens from our own `/oauth/token` for audience
/// `{issuer}api/v2/`, a scope check per operation, Auth0-shaped errors.
struct ManagementAPI {
    let services: IdentityServices
    let actions: ActionsService

    var endpoints: [ManagementEndpoint] {
        ClientEndpoints(services: services).endpoints + ResourceServerEndpoints(services: services).endpoints
            + UserEndpoints(services: services).endpoints + ConnectionEndpoints(services: services).endpoints
            + RoleEndpoints(services: services).endpoints + ActionEndpoints(actions: actions, recorder: services.flows?.recorder).endpoints
            + AttackProtectionEndpoints(services: services).endpoints + SessionEndpoints(services: services).endpoints
    }

    func register(on router: Router<GatehouseRequestContext>) {
        let endpoints = endpoints
        let document = OpenAPIDocument(endpoints: endpoints, issuer: services.configuration.issuer).json.jsonText()
        router.get("api/v2/openapi.json") { _, _ in JSONResponse.raw(document) }
        let group = router.group("api/v2")
            .add(middleware: ManagementAuthenticator(verifier: services.verifier, audience: services.configuration.managementAudience))
            .add(middleware: ManagementErrorMiddleware(logger: services.logger))
            .group(context: ManagementRequestContext.self)
        for endpoint in endpoints {
            let handler = endpoint.handler
            let scope = endpoint.scope
            let currentUserScope = endpoint.currentUserScope
            group.on(RouterPath(endpoint.routerPath), method: endpoint.method) { request, context in
                if let currentUserScope, context.caller.isEndUser, context.caller.scopes.contains(currentUserScope),
                    try context.parameter("id") == context.caller.subject
                {
                    return try await handler(request, context)
                }
                try context.require(scope)
                return try await handler(request, context)
            }
        }
    }
}

/// Verifies the Bearer token and records the caller; the child context refuses to exist without one.
struct ManagementAuthenticator: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let verifier: TokenVerifier
    let audience: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = BearerToken.from(request) else {
            throw ManagementAPIError.unauthorized("Missing authentication")
        }
        let claims: ClaimSet
        do {
            claims = try await verifier.verify(token, audience: audience)
        } catch let error as OAuthError {
            throw ManagementAPIError(status: .unauthorized, message: error.description, errorCode: "invalid_token")
        }
        var context = context
        context.managementCaller = ManagementCaller(
            subject: claims["sub"]?.stringValue ?? "", clientID: claims["azp"]?.stringValue,
            scopes: Set(ScopeList(claims["scope"]?.stringValue).values))
        return try await next(request, context)
    }
}

extension ManagementCaller {
    /// The caller as the token names it. A token whose `sub` is not `{azp}@clients` was issued to
    /// an end user, and an end user never holds more than `ManagementScopes.currentUser`, however
    /// the token was minted: that is enforced here as well as where tokens are issued.
    init(subject: String, clientID: String?, scopes: Set<String>) {
        let isEndUser = clientID.map { subject != "\($0)@clients" } ?? true
        self.init(
            subject: subject, clientID: clientID, isEndUser: isEndUser,
            scopes: isEndUser ? scopes.intersection(ManagementScopes.currentUser) : scopes)
    }
}

/// Maps what escapes a handler to Auth0's error body; nothing leaves as a bare 500.
struct ManagementErrorMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ManagementAPIError {
            throw error
        } catch let error as ActionsError {
            let status: HTTPResponse.Status =
                switch error.kind {
                case .invalid: .badRequest
                case .notFound: .notFound
                case .conflict: .conflict
                }
            throw ManagementAPIError(status: status, message: error.message, errorCode: error.errorCode)
        } catch StorageError.conflict(let what) {
            throw ManagementAPIError.conflict("\(what) already exists", errorCode: "conflict")
        } catch let error as HTTPError where error.status == .notFound {
            throw ManagementAPIError.notFound("Not Found", errorCode: "not_found")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw ManagementAPIError(
                status: .contentTooLarge, message: "The request body is larger than 1 MiB.", errorCode: "payload_too_large")
        } catch {
            logger.error("management API request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw ManagementAPIError(
                status: .internalServerError, message: "Internal error: see the server log.", errorCode: "internal_error")
        }
    }
}
