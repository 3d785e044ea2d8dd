import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `POST /dbconnections/signup`: Auth0's Authentication API sign-up for database connections.
///
/// Success answers `{"_id", "email", "email_verified", …}`; failures answer Auth0's
/// `{"name", "code", "description", "statusCode"}` body with status 400.
struct DatabaseSignupRoutes {
    let services: IdentityServices

    struct SignupRequest: Decodable {
        var client_id: String?
        var email: String?
        var password: String?
        var connection: String?
        var username: String?
        var given_name: String?
        var family_name: String?
        var name: String?
        var nickname: String?
        var picture: String?
        var user_metadata: [String: JSONValue]?
    }

    /// `POST /dbconnections/change_password` (Auth0 Authentication API "Change Password"): the
    /// body names the application, the connection and the e-mail address.
    struct ChangePasswordRequest: Decodable {
        var client_id: String?
        var email: String?
        var connection: String?
    }

    /// Sends a reset link when the address names a user of the connection (`AccountMail`), and
    /// answers Auth0's sentence whatever happened: the answer never says whether an account
    /// exists. A request naming no application or a connection it cannot use is refused.
    func changePassword(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        let body: ChangePasswordRequest
        do {
            body = try await request.decode(as: ChangePasswordRequest.self, context: context)
        } catch {
            throw SignupError(code: "invalid_body", description: "The request body must be a JSON object.")
        }
        guard let clientID = body.client_id, let client = try await services.storage.read({ try await $0.clients.get(clientID) })
        else { throw SignupError(code: "invalid_client", description: "Unknown client: \(body.client_id ?? "")") }
        guard let connectionName = body.connection,
            let connection = try await services.storage.read({ try await $0.connections.get(name: connectionName) }),
            connection.enabled_clients.contains(clientID)
        else { throw SignupError(code: "invalid_connection", description: "Connection does not exist or is not enabled for this client") }
        guard let email = body.email, EmailAddress.isPlausible(email.lowercased()) else {
            throw SignupError(code: "invalid_request", description: "email is required and must be an e-mail address")
        }
        try await services.accountMail.sendPasswordReset(
            to: email, connection: connection.name, client: client, request: ActionEventRequest(request, context: context))
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: "We've just sent you an email to reset your password.")))
    }

    struct SignupError: Error, HTTPResponseError {
        var name = "BadRequestError"
        var code: String
        var description: String
        var status: HTTPResponse.Status = .badRequest
        /// A password the policy refused: Auth0's `message`, `description` (`{rules, verified}`
        /// for strength) and `policy`, which clients such as Lock show.
        var password: PasswordPolicyError?

        func response(from request: Request, context: some RequestContext) throws -> Response {
            var body: [String: JSONValue] = [
                "name": .string(name), "code": .string(code), "description": .string(description),
                "message": .string(description), "statusCode": .number(Double(status.code)),
            ]
            if let password {
                body["message"] = .string(password.message)
                body["description"] = password.descriptionJSON
                body["policy"] = .string(password.policy)
            }
            return try JSONResponse.make(JSONValue.object(body), status: status)
        }
    }

    func register(on router: Router<GatehouseRequestContext>) {
        router.post("dbconnections/change_password") { request, context in
            try await changePassword(request, context: context)
        }
        router.post("dbconnections/signup") { request, context in
            let body: SignupRequest
            do {
                body = try await request.decode(as: SignupRequest.self, context: context)
            } catch {
                throw SignupError(code: "invalid_body", description: "The request body must be a JSON object.")
            }
            guard let clientID = body.client_id, let client = try await services.storage.read({ try await $0.clients.get(clientID) })
            else { throw SignupError(code: "invalid_client", description: "Unknown client: \(body.client_id ?? "")") }
            guard let connectionName = body.connection,
                let connection = try await services.storage.read({ try await $0.connections.get(name: connectionName) })
            else { throw SignupError(code: "invalid_connection", description: "Connection does not exist") }
            guard connection.enabled_clients.contains(clientID) else {
                throw SignupError(code: "invalid_connection", description: "Connection is not enabled for this client")
            }
            guard let password = body.password else {
                throw SignupError(code: "invalid_password", description: "Missing password")
            }
            var profile = UserProfileFields()
            profile.given_name = body.given_name
            profile.family_name = body.family_name
            profile.name = body.name
            profile.nickname = body.nickname
            profile.picture = body.picture
            profile.user_metadata = body.user_metadata
            let user: UserRecord
            do {
                var fields = ["client_id": clientID, "connection": connection.name]
                fields["email"] = body.email
                fields["username"] = body.username
                let origin = RegistrationOrigin(
                    client: client,
                    request: ActionEventRequest(
                        ip: context.remoteIP, method: "POST", hostname: request.head.authority, userAgent: request.headers[.userAgent],
                        language: RequestParameters.language(request), body: fields),
                    configurationVersion: try await services.configurationCache.snapshot().version)
                user = try await services.users.register(
                    connectionName: connection.name, email: body.email, username: body.username, password: password,
                    profile: profile, viaSignup: true, ip: context.remoteIP, origin: origin,
                    writes: services.accountMail.newUserWrites(client: client, request: origin.request, welcome: true))
            } catch let error as UserDirectory.RegistrationError {
                switch error.kind {
                case .exists: throw SignupError(code: "user_exists", description: error.message)
                case .signupDisabled: throw SignupError(code: "operation_not_supported", description: error.message)
                case .connectionNotFound: throw SignupError(code: "invalid_connection", description: error.message)
                case .passwordTooLong:
                    throw SignupError(name: "PasswordStrengthError", code: "invalid_password", description: error.message)
                case .tooManySignups:
                    throw SignupError(
                        name: "TooManyRequestsError", code: "too_many_attempts", description: error.message, status: .tooManyRequests)
                case .weakPassword:
                    throw SignupError(
                        name: error.passwordPolicy?.name ?? "PasswordStrengthError", code: "invalid_password",
                        description: error.message, password: error.passwordPolicy)
                case .deniedByAction:
                    // Auth0's answer when a pre-user-registration action refuses: the user message.
                    throw SignupError(name: "ExtensibilityError", code: "extensibility_error", description: error.message)
                case .unavailable:
                    throw SignupError(
                        name: "ServiceUnavailableError", code: "temporarily_unavailable", description: error.message,
                        status: .serviceUnavailable)
                case .invalid:
                    throw SignupError(
                        name: error.message.hasPrefix("Password") ? "PasswordStrengthError" : "BadRequestError",
                        code: error.message.hasPrefix("Password") ? "invalid_password" : "invalid_signup",
                        description: error.message)
                }
            }
            var result: [String: JSONValue] = [
                "_id": .string(user.localID), "email": .string(user.email ?? ""),
                "email_verified": .bool(user.email_verified),
            ]
            if let username = user.username { result["username"] = .string(username) }
            if let givenName = user.given_name { result["given_name"] = .string(givenName) }
            if let familyName = user.family_name { result["family_name"] = .string(familyName) }
            if !(user.user_metadata.objectValue ?? [:]).isEmpty { result["user_metadata"] = user.user_metadata }
            return try JSONResponse.make(JSONValue.object(result))
        }
    }
}
