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
            + TriggerCatalogEndpoints(catalog: actions.catalog).endpoints
            + AttackProtectionEndpoints(services: services).endpoints + SessionEndpoints(services: services).endpoints
            + GuardianEndpoints(services: services).endpoints + AuthenticationMethodEndpoints(services: services).endpoints
            + TicketEndpoints(services: services).endpoints + JobEndpoints(services: services).endpoints
            + EmailEndpoints(services: services).endpoints
            + BrandingEndpoints(services: services).endpoints + PhoneProviderEndpoints(services: services).endpoints
            + RuleEndpoints(rules: RulesService(storage: services.storage)).endpoints
            + HookEndpoints(hooks: HooksService(actions: actions)).endpoints
    }

    func register(on router: Router<GatehouseRequestContext>) {
        let endpoints = endpoints
        let document = OpenAPIDocument(endpoints: endpoints, issuer: services.configuration.issuer).json.jsonText()
        router.get("api/v2/openapi.json") { _, _ in JSONResponse.raw(document) }
        let audit = ManagementAudit(recorder: services.flows?.recorder)
        let errors = ManagementErrorMiddleware(logger: services.logger)
        let group = router.group("api/v2")
            .add(
                middleware: ManagementAuthenticator(
                    verifier: services.verifier, audience: services.configuration.managementAudience, audit: audit,
                    operatorAccess: services.operatorAccess)
            )
            .add(middleware: errors)
            .group(context: ManagementRequestContext.self)
        for endpoint in endpoints {
            group.on(RouterPath(endpoint.routerPath), method: endpoint.method) { request, context in
                do {
                    let response = try await endpoint.run(request, context)
                    await audit.record(endpoint, request, context, status: response.status)
                    return response
                } catch {
                    let refusal = errors.map(error, request: request)
                    await audit.record(endpoint, request, context, status: refusal.status, refusal: refusal)
                    throw refusal
                }
            }
        }
        registerMethodNotAllowed(on: router, endpoints: endpoints)
    }

    /// RFC 9110 §15.5.6: a method a declared path does not support is 405 with an `Allow`
    /// header naming those it does (before authentication: it says nothing about any data).
    func registerMethodNotAllowed(on router: Router<GatehouseRequestContext>, endpoints: [ManagementEndpoint]) {
        let order: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
        // Methods no operation uses answer 405 too (`QUERY` is the draft's safe method with a body).
        let others: [HTTPRequest.Method] = [.trace] + (HTTPRequest.Method("QUERY").map { [$0] } ?? [])
        let declared = Dictionary(grouping: endpoints, by: \.routerPath).mapValues { Set($0.map(\.method)) }
        let group = router.group("api/v2")
        for (path, methods) in declared {
            let allow = order.filter(methods.contains).map(\.rawValue).joined(separator: ", ")
            for method in order + others where !methods.contains(method) {
                group.on(RouterPath(path), method: method) { request, context -> Response in
                    var response = try ManagementAPIError(
                        status: .methodNotAllowed, message: "\(method.rawValue) is not allowed here; allowed: \(allow).",
                        errorCode: "method_not_allowed"
                    ).response(from: request, context: context)
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }
}

extension ManagementEndpoint {
    /// Checks the caller's scope, the query string and the body against this declaration, then
    /// runs the handler.
    func run(_ request: Request, _ context: ManagementRequestContext) async throws -> Response {
        if let currentUserScope, context.caller.isEndUser, context.caller.scopes.contains(currentUserScope),
            try context.parameter("id") == context.caller.subject
        {
            // An end user on their own record, with the scope that opens it.
        } else {
            try context.require(scope)
        }
        try checkQuery(RequestParameters.query(request))
        guard let body = self.request else { return try await handler(request, context) }
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        let value: JSONValue
        if buffer.readableBytes == 0, body.optional {
            value = .object([:])
        } else if buffer.readableBytes == 0 {
            throw ManagementAPIError.badRequest("Payload validation error: 'Expected type object but found type null'.")
        } else {
            guard let parsed = JSONValue(jsonText: String(buffer: buffer)) else {
                throw ManagementAPIError.badRequest("Payload validation error: the body is not valid JSON.")
            }
            value = parsed
        }
        if let violation = body.schema.violation(of: value) {
            throw ManagementAPIError.badRequest(violation.message)
        }
        if buffer.readableBytes == 0 { request.body = .init(buffer: ByteBuffer(string: "{}")) }
        return try await handler(request, context)
    }

    /// Auth0's "Query validation error" for a declared parameter that is missing or out of bounds.
    func checkQuery(_ values: [String: String]) throws {
        for parameter in queryParameters {
            guard let text = values[parameter.name] else {
                if parameter.required {
                    throw ManagementAPIError.badRequest(
                        "Query validation error: 'Missing required property: \(parameter.name)'.", errorCode: "invalid_query_string")
                }
                continue
            }
            let value: JSONValue
            switch parameter.schema.nonNull {
            case .integer: value = Int(text).map { .number(Double($0)) } ?? .string(text)
            case .boolean: value = ["true": JSONValue.bool(true), "false": .bool(false)][text] ?? .string(text)
            default: value = .string(text)
            }
            if let violation = parameter.schema.violation(of: value, at: parameter.name) {
                throw ManagementAPIError.badRequest(
                    "Query validation error: '\(violation.problem)' on property \(parameter.name).", errorCode: "invalid_query_string")
            }
        }
    }
}

/// Verifies the Bearer token and records the caller; the child context refuses to exist without one.
struct ManagementAuthenticator: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let verifier: TokenVerifier
    let audience: String
    /// Records refused writes (`fapi`), whose caller is unknown here.
    let audit: ManagementAudit
    /// What a user's token may reach: current-user scopes, plus the operator scopes of the
    /// user's roles on the dashboard's own tokens (asked again on every request).
    let operatorAccess: OperatorAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = BearerToken.from(request) else {
            throw await audit.refused(request, context, ManagementAPIError.unauthorized("Missing authentication"))
        }
        let claims: ClaimSet
        do {
            claims = try await verifier.verify(token, audience: audience)
        } catch let error as OAuthError {
            throw await audit.refused(
                request, context, ManagementAPIError(status: .unauthorized, message: error.description, errorCode: "invalid_token"))
        }
        var context = context
        let subject = claims["sub"]?.stringValue ?? ""
        let clientID = claims["azp"]?.stringValue
        context.logNote.clientID = clientID
        var caller = ManagementCaller(subject: subject, clientID: clientID, scopes: Set(ScopeList(claims["scope"]?.stringValue).values))
        if caller.isEndUser {
            caller.scopes.formIntersection(try await operatorAccess.managementScopes(userID: subject, clientID: clientID))
        }
        context.managementCaller = caller
        return try await next(request, context)
    }
}

extension ManagementCaller {
    /// The caller as the token names it. A token whose `sub` is not `{azp}@clients` was issued to
    /// an end user, and an end user never holds more than `OperatorAccess` allows (the
    /// current-user scopes; on the dashboard's client, also what the user's roles grant of the
    /// operator scopes), however the token was minted: `ManagementAuthenticator` narrows the
    /// scopes again on every request, as the token issuer did.
    init(subject: String, clientID: String?, scopes: Set<String>) {
        let isEndUser = clientID.map { subject != "\($0)@clients" } ?? true
        self.init(subject: subject, clientID: clientID, isEndUser: isEndUser, scopes: scopes)
    }
}

/// Maps what escapes a handler to Auth0's error body; nothing leaves as a bare 500.
struct ManagementErrorMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw map(error, request: request)
        }
    }

    /// The Management API error `error` is answered with.
    func map(_ error: any Error, request: Request) -> ManagementAPIError {
        switch error {
        case let error as ManagementAPIError: return error
        case let error as ActionsError:
            let status: HTTPResponse.Status =
                switch error.kind {
                case .invalid: .badRequest
                case .notFound: .notFound
                case .conflict: .conflict
                }
            return ManagementAPIError(status: status, message: error.message, errorCode: error.errorCode)
        case StorageError.conflict(let what):
            return ManagementAPIError.conflict("\(what) already exists", errorCode: "conflict")
        case let error as HTTPError where error.status == .notFound:
            return ManagementAPIError.notFound("Not Found", errorCode: "not_found")
        case let error as HTTPError where error.status == .contentTooLarge:
            return ManagementAPIError(
                status: .contentTooLarge, message: "The request body is larger than 1 MiB.", errorCode: "payload_too_large")
        default:
            logger.error("management API request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return ManagementAPIError(
                status: .internalServerError, message: "Internal error: see the server log.", errorCode: "internal_error")
        }
    }
}
