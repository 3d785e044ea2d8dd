import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// A user's MFA authenticators, as Auth0's Management API serves them ("Manage Authentication
/// Methods with Management API", "Reset User Multi-factor Authentication and Recovery Codes"):
/// `/users/{id}/enrollments`, `/users/{id}/authentication-methods[/{method_id}]`,
/// `/users/{id}/recovery-code-regeneration` and
/// `/users/{id}/multifactor/actions/invalidate-remember-browser`. No response holds a secret:
/// a TOTP key is never shown again, and a recovery code only once, when it is made.
struct AuthenticationMethodEndpoints {
    let services: IdentityServices

    static let methodNotFound = ManagementAPIError.notFound(
        "The authentication method does not exist.", errorCode: "authentication_method_not_found")

    /// Auth0's authentication-method shape.
    static func view(_ enrollment: MultifactorEnrollmentRecord) -> JSONValue {
        var view: [String: JSONValue] = [
            "id": .string(enrollment.methodID), "type": .string(enrollment.kind.rawValue),
            "confirmed": .bool(enrollment.status == .confirmed), "created_at": .string(Timestamp.iso8601(enrollment.created_at)),
        ]
        if enrollment.status == .confirmed { view["enrolled_at"] = .string(Timestamp.iso8601(enrollment.created_at)) }
        if let last = enrollment.last_auth_at { view["last_auth_at"] = .string(Timestamp.iso8601(last)) }
        if let phone = enrollment.phone_number {
            view["phone_number"] = .string(phone)
            view["name"] = .string(phone)
            view["preferred_authentication_method"] = "sms"
        }
        return .object(view)
    }

    static let date = JSONSchema.string(format: "date-time")
    static let methodSchema = JSONSchema.object(
        [
            "id": .string(), "type": .string(MultifactorEnrollmentRecord.Kind.allCases.map(\.rawValue)), "confirmed": .boolean,
            "created_at": date, "enrolled_at": date, "last_auth_at": date, "name": .string(), "phone_number": .string(),
            "preferred_authentication_method": .string(["sms", "voice"]),
        ], required: ["id", "type", "created_at"])

    /// The user's authenticators; 404 when the user does not exist.
    static func enrollments(of id: String, _ multifactor: MultifactorService) async throws -> [MultifactorEnrollmentRecord] {
        guard let enrollments = try await multifactor.enrollments(userID: id) else { throw UserEndpoints.notFound }
        return enrollments
    }

    var endpoints: [ManagementEndpoint] {
        let multifactor = services.multifactor
        return [
            ManagementEndpoint(
                .get, "/users/{id}/enrollments", scope: "read:users", tag: "users",
                summary: "List a user's Guardian enrollments (authenticator apps and phones)",
                response: .value(.array(GuardianEndpoints.enrollmentSchema))
            ) { _, context in
                let enrollments = try await Self.enrollments(of: try context.parameter("id"), multifactor)
                return try JSONResponse.make(
                    JSONValue.array(enrollments.filter { $0.kind != .recoveryCode }.map(GuardianEndpoints.enrollmentView)))
            },
            ManagementEndpoint(
                .get, "/users/{id}/authentication-methods", scope: "read:authentication_methods", tag: "users",
                summary: "List a user's authentication methods (TOTP, phone, recovery code), pending ones included",
                response: .list(key: "authenticators", item: Self.methodSchema)
            ) { request, context in
                let query = try ListQuery(request)
                let methods = try await Self.enrollments(of: try context.parameter("id"), multifactor).map(Self.view)
                return try query.response(Page(items: query.slice(methods), total: methods.count), key: "authenticators")
            },
            ManagementEndpoint(
                .delete, "/users/{id}/authentication-methods", scope: "delete:authentication_methods", tag: "users",
                summary: "Delete every authentication method of a user (reset their MFA)", success: .noContent
            ) { _, context in
                guard try await multifactor.deleteAll(userID: try context.parameter("id")) else { throw UserEndpoints.notFound }
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .get, "/users/{id}/authentication-methods/{method_id}", scope: "read:authentication_methods", tag: "users",
                summary: "Get one authentication method of a user", response: .value(Self.methodSchema)
            ) { _, context in
                let methodID = try context.parameter("method_id")
                let enrollments = try await Self.enrollments(of: try context.parameter("id"), multifactor)
                guard let method = enrollments.first(where: { $0.methodID == methodID || $0.id == methodID }) else {
                    throw Self.methodNotFound
                }
                return try JSONResponse.make(Self.view(method))
            },
            ManagementEndpoint(
                .delete, "/users/{id}/authentication-methods/{method_id}", scope: "delete:authentication_methods", tag: "users",
                summary: "Delete one authentication method of a user", success: .noContent
            ) { _, context in
                let id = try context.parameter("id")
                _ = try await Self.enrollments(of: id, multifactor)
                guard try await multifactor.delete(methodID: try context.parameter("method_id"), userID: id) else {
                    throw Self.methodNotFound
                }
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .post, "/users/{id}/recovery-code-regeneration", scope: "update:users", tag: "users",
                summary: "Replace a user's MFA recovery code; the new one is returned once",
                response: .value(.object(["recovery_code": .string()], required: ["recovery_code"]))
            ) { _, context in
                guard let code = try await multifactor.regenerateRecoveryCode(userID: try context.parameter("id")) else {
                    throw UserEndpoints.notFound
                }
                return try JSONResponse.make(JSONValue.object(["recovery_code": .string(code)]))
            },
            ManagementEndpoint(
                .post, "/users/{id}/multifactor/actions/invalidate-remember-browser", scope: "update:users", tag: "users",
                summary: "Forget every browser the user asked to be remembered: MFA is asked again on each", success: .noContent
            ) { _, context in
                guard try await multifactor.forgetBrowsers(userID: try context.parameter("id")) else { throw UserEndpoints.notFound }
                return JSONResponse.empty()
            },
        ]
    }
}
