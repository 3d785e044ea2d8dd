import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// The tenant's MFA factors and Guardian enrolments, as Auth0's Management API serves them:
/// `/guardian/factors`, `/guardian/factors/{name}`, `/guardian/factors/phone/selected-provider`,
/// `/guardian/enrollments/{id}` (Auth0 "Management API: Guardian"; "Multi-Factor Authentication
/// Factors"). Gatehouse offers `otp`, `sms` and `recovery-code`; the other factors are listed,
/// always disabled, and enabling one is refused.
struct GuardianEndpoints {
    let services: IdentityServices

    static let enrollmentNotFound = ManagementAPIError.notFound("The enrollment does not exist.", errorCode: "inexistent_enrollment")

    /// A refusal of the MFA service as Auth0's error body.
    static func apiError(_ error: MultifactorError) -> ManagementAPIError {
        switch error.code {
        case .userNotFound: UserEndpoints.notFound
        case .enrollmentNotFound, .notEnrolled: ManagementAPIError.notFound(error.message, errorCode: error.code.rawValue)
        case .tooManyAttempts, .tooManyMessages:
            ManagementAPIError(status: .tooManyRequests, message: error.message, errorCode: error.code.rawValue)
        default: ManagementAPIError.badRequest(error.message, errorCode: error.code.rawValue)
        }
    }

    /// Runs `body`, turning the MFA service's refusals into Auth0's errors.
    static func mapping<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MultifactorError {
            throw apiError(error)
        }
    }

    static let factorSchema = JSONSchema.object(
        ["name": .string(GuardianFactorSettings.allNames), "enabled": .boolean, "trial_expired": .boolean],
        required: ["name", "enabled"])
    static let providerBody = ManagementEndpoint.RequestBody(
        schema: .object(
            JSONSchema.ObjectSchema(
                properties: [.init(name: "provider", schema: .string(GuardianFactorSettings.phoneProviders))], required: ["provider"],
                closed: true)),
        example: .object(["provider": "phone-message-hook"]), optional: false)
    static let providerSchema = JSONSchema.object(
        ["provider": .string(GuardianFactorSettings.phoneProviders)], required: ["provider"])

    /// A Guardian enrolment (Auth0's `GET /guardian/enrollments/{id}` and
    /// `GET /users/{id}/enrollments` item): OTP is an `authenticator`, SMS is `sms`.
    static func enrollmentView(_ enrollment: MultifactorEnrollmentRecord) -> JSONValue {
        let method: JSONValue = enrollment.kind == .phone ? "sms" : "authenticator"
        var view: [String: JSONValue] = [
            "id": .string(enrollment.id), "status": .string(enrollment.status.rawValue), "type": method, "auth_method": method,
            "enrolled_at": .string(Timestamp.iso8601(enrollment.created_at)),
        ]
        if let phone = enrollment.phone_number {
            view["phone_number"] = .string(phone)
            view["name"] = .string(phone)
        }
        if let last = enrollment.last_auth_at { view["last_auth"] = .string(Timestamp.iso8601(last)) }
        return .object(view)
    }

    static let date = JSONSchema.string(format: "date-time")
    static let enrollmentSchema = JSONSchema.object(
        [
            "id": .string(), "status": .string(["pending", "confirmed"]), "type": .string(),
            "auth_method": .string(["authenticator", "sms"]),
            "name": .string(), "phone_number": .string(), "enrolled_at": date, "last_auth": date,
        ], required: ["id", "status"])

    var endpoints: [ManagementEndpoint] {
        let multifactor = services.multifactor
        return [
            ManagementEndpoint(
                .get, "/guardian/factors", scope: "read:guardian_factors", tag: "guardian",
                summary: "List the MFA factors and whether each is enabled", response: .value(.array(Self.factorSchema))
            ) { _, _ in
                let settings = try await multifactor.settings()
                return try JSONResponse.make(
                    JSONValue.array(
                        GuardianFactorSettings.allNames.map { name in
                            .object(["name": .string(name), "enabled": .bool(settings.enabled.contains(name)), "trial_expired": false])
                        }))
            },
            ManagementEndpoint(
                .put, "/guardian/factors/{name}", scope: "update:guardian_factors", tag: "guardian",
                summary: "Enable or disable an MFA factor (otp, sms and recovery-code can be enabled)",
                request: .body(GuardianFactorBody.self, required: ["enabled"], example: .object(["enabled": true])),
                response: .value(.object(["enabled": .boolean], required: ["enabled"]))
            ) { request, context in
                let body = try await context.body(GuardianFactorBody.self, from: request)
                let enabled = try await Self.mapping {
                    try await multifactor.setFactor(try context.parameter("name"), enabled: body.enabled)
                }
                return try JSONResponse.make(JSONValue.object(["enabled": .bool(enabled)]))
            },
            ManagementEndpoint(
                .get, "/guardian/factors/phone/selected-provider", scope: "read:guardian_factors", tag: "guardian",
                summary: "Get the phone factor's provider (phone-message-hook delivers through the send-phone-message trigger)",
                response: .value(Self.providerSchema)
            ) { _, _ in
                try JSONResponse.make(JSONValue.object(["provider": .string(try await multifactor.settings().phoneProvider)]))
            },
            ManagementEndpoint(
                .put, "/guardian/factors/phone/selected-provider", scope: "update:guardian_factors", tag: "guardian",
                summary: "Select the phone factor's provider (only phone-message-hook can deliver on this server)",
                request: Self.providerBody, response: .value(Self.providerSchema)
            ) { request, context in
                let body = try await context.body(PhoneProviderBody.self, from: request)
                try await Self.mapping { try await multifactor.setPhoneProvider(body.provider) }
                return try JSONResponse.make(JSONValue.object(["provider": .string(body.provider)]))
            },
            ManagementEndpoint(
                .get, "/guardian/enrollments/{id}", scope: "read:guardian_enrollments", tag: "guardian",
                summary: "Get a Guardian enrollment (an authenticator app or a phone)", response: .value(Self.enrollmentSchema)
            ) { _, context in
                let id = try context.parameter("id")
                guard let enrollment = try await services.storage.read({ try await $0.multifactor.get(id) }),
                    enrollment.kind != .recoveryCode
                else { throw Self.enrollmentNotFound }
                return try JSONResponse.make(Self.enrollmentView(enrollment))
            },
            ManagementEndpoint(
                .delete, "/guardian/enrollments/{id}", scope: "delete:guardian_enrollments", tag: "guardian",
                summary: "Delete a Guardian enrollment (the recovery code goes with the user's last one)", success: .noContent
            ) { _, context in
                guard try await multifactor.delete(methodID: try context.parameter("id")) else { throw Self.enrollmentNotFound }
                return JSONResponse.empty()
            },
        ]
    }
}

/// `PUT /api/v2/guardian/factors/{name}`.
struct GuardianFactorBody: Codable, Sendable {
    var enabled: Bool
}

/// `PUT /api/v2/guardian/factors/phone/selected-provider`.
struct PhoneProviderBody: Codable, Sendable {
    var provider: String
}
