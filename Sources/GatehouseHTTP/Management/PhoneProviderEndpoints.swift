import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// The tenant's phone provider, as Auth0's Management API serves it (Auth0 "Management API:
/// Branding", `/branding/phone/providers`, scopes `*:phone_providers`): one per tenant (a
/// second is 409), `custom` or `twilio`; `credentials` are write-only and never answered.
struct PhoneProviderEndpoints {
    let services: IdentityServices

    static func apiError(_ error: PhoneProviderError) -> ManagementAPIError {
        switch error.code {
        case .notFound: ManagementAPIError.notFound(error.message, errorCode: error.code.rawValue)
        case .exists: ManagementAPIError.conflict(error.message, errorCode: error.code.rawValue)
        case .invalidBody: ManagementAPIError.badRequest(error.message)
        case .cannotDeliver: ManagementAPIError.badRequest(error.message, errorCode: error.code.rawValue)
        }
    }

    static func mapping<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PhoneProviderError {
            throw apiError(error)
        }
    }

    static let deliveryMethods = JSONSchema.array(.string(PhoneProviderService.deliveryMethods), maxItems: 2)
    static let configurationRequest = JSONSchema.object(
        JSONSchema.ObjectSchema(
            properties: [
                .init(name: "delivery_methods", schema: deliveryMethods),
                .init(name: "sid", schema: .string(minLength: 1, maxLength: 255)),
                .init(name: "mssid", schema: .string(maxLength: 255)),
                .init(name: "default_from", schema: .string(maxLength: 255)),
            ], closed: true))
    static let credentialsRequest = JSONSchema.object(
        JSONSchema.ObjectSchema(properties: [.init(name: "auth_token", schema: .string(minLength: 1, maxLength: 255))], closed: true))
    static func providerRequest(required: [String]) -> JSONSchema {
        .object(
            JSONSchema.ObjectSchema(
                properties: [
                    .init(name: "name", schema: .string(PhoneProviderService.names)),
                    .init(name: "disabled", schema: .boolean),
                    .init(name: "configuration", schema: configurationRequest),
                    .init(name: "credentials", schema: credentialsRequest),
                ], required: required, closed: true))
    }
    static let providerSchema = JSONSchema.object(
        [
            "id": .string(), "tenant": .string(), "name": .string(PhoneProviderService.names), "channel": .string(["phone"]),
            "disabled": .boolean,
            "configuration": .object(
                ["delivery_methods": deliveryMethods, "sid": .string(), "mssid": .string(), "default_from": .string()]),
            "created_at": .string(format: "date-time"), "updated_at": .string(format: "date-time"),
        ], required: ["id", "tenant", "name", "channel", "disabled", "configuration", "created_at", "updated_at"])
    static let example: JSONValue = .object([
        "name": "custom", "disabled": false, "configuration": .object(["delivery_methods": .array(["text", "voice"])]),
        "credentials": .object([:]),
    ])

    var endpoints: [ManagementEndpoint] {
        let phone = services.phoneProvider
        return [
            ManagementEndpoint(
                .get, "/branding/phone/providers", scope: "read:phone_providers", tag: "branding",
                summary: "List the tenant's phone provider (none or one; credentials are never returned)",
                response: .value(.object(["providers": .array(Self.providerSchema)], required: ["providers"])),
                query: [.init("disabled", .boolean, "Only a provider whose disabled flag has this value.")]
            ) { request, _ in
                let flag = RequestParameters.query(request)["disabled"]
                let providers = try await phone.list(disabled: flag.map { $0 == "true" })
                return try JSONResponse.make(JSONValue.object(["providers": .array(try providers.map { try JSONValue(encoding: $0) })]))
            },
            ManagementEndpoint(
                .post, "/branding/phone/providers", scope: "create:phone_providers", tag: "branding",
                summary: "Configure the tenant's phone provider: custom (the custom-phone-provider action delivers) or twilio"
                    + " (stored, but this server cannot reach Twilio); one per tenant",
                success: .created,
                request: .init(schema: Self.providerRequest(required: ["name"]), example: Self.example, optional: false),
                response: .value(Self.providerSchema)
            ) { request, context in
                let body = try await context.body([String: JSONValue].self, from: request)
                return try JSONResponse.make(try await Self.mapping { try await phone.create(body) }, status: .created)
            },
            ManagementEndpoint(
                .get, "/branding/phone/providers/{id}", scope: "read:phone_providers", tag: "branding",
                summary: "Get the phone provider (credentials are never returned)", response: .value(Self.providerSchema)
            ) { _, context in
                let id = try context.parameter("id")
                return try JSONResponse.make(try await Self.mapping { try await phone.get(id) })
            },
            ManagementEndpoint(
                .patch, "/branding/phone/providers/{id}", scope: "update:phone_providers", tag: "branding",
                summary: "Update the phone provider (members left out keep their value; configuration and credentials replace)",
                request: .init(schema: Self.providerRequest(required: []), example: .object(["disabled": true]), optional: false),
                response: .value(Self.providerSchema)
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body([String: JSONValue].self, from: request)
                return try JSONResponse.make(try await Self.mapping { try await phone.update(id, body) })
            },
            ManagementEndpoint(
                .delete, "/branding/phone/providers/{id}", scope: "delete:phone_providers", tag: "branding",
                summary: "Delete the phone provider (MFA codes go by the phone factor's selected provider again)", success: .noContent
            ) { _, context in
                let id = try context.parameter("id")
                try await Self.mapping { try await phone.delete(id) }
                return JSONResponse.empty()
            },
        ]
    }
}
