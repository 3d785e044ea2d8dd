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

    struct SignupError: Error, HTTPResponseError {
        var name = "BadRequestError"
        var code: String
        var description: String
        var status: HTTPResponse.Status = .badRequest

        func response(from request: Request, context: some RequestContext) throws -> Response {
            JSONResponse.raw(
                JSONLiteral.object([
                    "name": .string(name), "code": .string(code), "description": .string(description),
                    "message": .string(description), "statusCode": .int(status.code),
                ]).text, status: status)
        }
    }

    func register(on router: Router<GatehouseRequestContext>) {
        router.post("dbconnections/signup") { request, context in
            let body: SignupRequest
            do {
                body = try await request.decode(as: SignupRequest.self, context: context)
            } catch {
                throw SignupError(code: "invalid_body", description: "The request body must be a JSON object.")
            }
            guard let clientID = body.client_id,
                let client = try await services.storage.read({ try await $0.clients.get(clientID) })
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
                user = try await services.users.register(
                    connectionName: connection.name, email: body.email, username: body.username, password: password,
                    profile: profile, viaSignup: true, ip: context.remoteIP,
                    origin: PostUserRegistration.Origin(client: client, request: ActionEventRequest(request, context: context)))
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
