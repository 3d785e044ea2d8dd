import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `/api/v2/attack-protection/brute-force-protection` and `/suspicious-ip-throttling` (Auth0's
/// shapes and scopes), and `/api/v2/user-blocks` to list and lift brute-force blocks.
struct AttackProtectionEndpoints {
    let services: IdentityServices

    static let bruteForceExample = JSONValue.sample(BruteForceProtectionSettings())
    static let throttlingExample = JSONValue.sample(SuspiciousIPThrottlingSettings())
    static let blocksExample: JSONValue = .object([
        "blocked_for": .array([
            .object(["identifier": "jane@example.com", "ip": "10.0.0.1", "connection": "Username-Password-Authentication"])
        ])
    ])

    /// The PATCH bodies as auth0-python 6.8 sends them; every member may be left out. The
    /// settings' own `patched(with:)` checks the same rules and the allowlist's addresses.
    static let bruteForcePatch = JSONSchema.object(
        JSONSchema.ObjectSchema(
            properties: [
                .init(name: "enabled", schema: .boolean),
                .init(name: "shields", schema: .array(.string(BruteForceProtectionSettings.shieldValues))),
                .init(name: "allowlist", schema: .array(.string())),
                .init(name: "mode", schema: .string(BruteForceProtectionSettings.modeValues)),
                .init(name: "max_attempts", schema: .integer(1...100)),
                .init(name: "form_submission_mode", schema: .string(BruteForceProtectionSettings.formSubmissionModeValues)),
            ], closed: true))
    static let stagePatch = JSONSchema.object(
        JSONSchema.ObjectSchema(
            properties: [
                .init(name: "max_attempts", schema: .integer(1...100_000)), .init(name: "rate", schema: .integer(1...2_592_000_000)),
            ],
            closed: true))
    static let throttlingPatch = JSONSchema.object(
        JSONSchema.ObjectSchema(
            properties: [
                .init(name: "enabled", schema: .boolean),
                .init(name: "shields", schema: .array(.string(SuspiciousIPThrottlingSettings.shieldValues))),
                .init(name: "allowlist", schema: .array(.string())),
                .init(
                    name: "stage",
                    schema: .object(
                        JSONSchema.ObjectSchema(
                            properties: SuspiciousIPThrottlingSettings.stageNames.map { .init(name: $0, schema: stagePatch) }, closed: true)
                    )),
            ], closed: true))
    static let blocksSchema = JSONSchema.object(
        [
            "blocked_for": .array(
                .object(["identifier": .string(), "ip": .string(), "connection": .string()], required: ["identifier", "connection"]))
        ],
        required: ["blocked_for"])

    /// A PATCH body as a JSON object, its validation errors as Auth0's 400.
    static func patch<T: Sendable>(
        _ request: Request, _ context: ManagementRequestContext, _ apply: @Sendable ([String: JSONValue]) async throws -> T
    ) async throws -> T {
        let body = try await context.body([String: JSONValue].self, from: request)
        do {
            return try await apply(body)
        } catch let error as AttackProtectionValidationError {
            throw ManagementAPIError.badRequest(error.message)
        }
    }

    /// `{"blocked_for": [{identifier, ip, connection}]}`; `ip` is left out of blocks that hold
    /// for every IP (`count_per_identifier`), as on Auth0.
    static func blockedFor(_ blocks: [LoginBlockRecord]) -> JSONValue {
        .object([
            "blocked_for": .array(
                blocks.map { block in
                    var entry: [String: JSONValue] = ["identifier": .string(block.identifier), "connection": .string(block.connection)]
                    if !block.ip.isEmpty { entry["ip"] = .string(block.ip) }
                    return .object(entry)
                })
        ])
    }

    static func enforcedOnly(_ request: Request) throws -> Bool {
        switch RequestParameters.query(request)["consider_brute_force_enablement"] {
        case nil, "false": return false
        case "true": return true
        case let other?:
            throw ManagementAPIError.badRequest(
                "Query validation error: 'Expected type boolean but found type string' on property consider_brute_force_enablement (got \(other)).",
                errorCode: "invalid_query_string")
        }
    }

    static func identifier(_ request: Request) throws -> String {
        guard let identifier = RequestParameters.query(request)["identifier"], !identifier.isEmpty else {
            throw ManagementAPIError.badRequest(
                "Query validation error: 'Missing required property: identifier'.", errorCode: "invalid_query_string")
        }
        return identifier
    }

    var endpoints: [ManagementEndpoint] {
        let protection = services.attackProtection
        return [
            ManagementEndpoint(
                .get, "/attack-protection/brute-force-protection", scope: "read:attack_protection", tag: "attack-protection",
                summary: "Get the brute-force protection settings", response: .record(BruteForceProtectionSettings.self)
            ) { _, _ in try JSONResponse.make(try await protection.bruteForceSettings()) },
            ManagementEndpoint(
                .patch, "/attack-protection/brute-force-protection", scope: "update:attack_protection", tag: "attack-protection",
                summary: "Update the brute-force protection settings (members left out keep their value)",
                request: .init(
                    schema: Self.bruteForcePatch, example: .object(["max_attempts": 10, "mode": "count_per_identifier_and_ip"]),
                    optional: false),
                response: .record(BruteForceProtectionSettings.self)
            ) { request, context in
                try JSONResponse.make(try await Self.patch(request, context) { try await protection.updateBruteForce($0) })
            },
            ManagementEndpoint(
                .get, "/attack-protection/suspicious-ip-throttling", scope: "read:attack_protection", tag: "attack-protection",
                summary: "Get the suspicious IP throttling settings", response: .value(.inferred(from: Self.throttlingExample))
            ) { _, _ in try JSONResponse.make(try await protection.throttlingSettings()) },
            ManagementEndpoint(
                .patch, "/attack-protection/suspicious-ip-throttling", scope: "update:attack_protection", tag: "attack-protection",
                summary: "Update the suspicious IP throttling settings (a stage given replaces the members it names)",
                request: .init(
                    schema: Self.throttlingPatch,
                    example: .object(["stage": .object(["pre-login": .object(["max_attempts": 100, "rate": 864_000])])]),
                    optional: false),
                response: .value(.inferred(from: Self.throttlingExample))
            ) { request, context in
                try JSONResponse.make(try await Self.patch(request, context) { try await protection.updateThrottling($0) })
            },
            ManagementEndpoint(
                .get, "/user-blocks", scope: "read:users", tag: "user-blocks",
                summary: "List the brute-force blocks of the user with this identifier (email or username)",
                response: .value(Self.blocksSchema)
            ) { request, _ in
                let blocks = try await protection.blocks(
                    identifier: try Self.identifier(request), enforcedOnly: try Self.enforcedOnly(request))
                return try JSONResponse.make(Self.blockedFor(blocks))
            },
            ManagementEndpoint(
                .delete, "/user-blocks", scope: "update:users", tag: "user-blocks",
                summary: "Lift the brute-force blocks of the user with this identifier", success: .noContent
            ) { request, _ in
                try await protection.unblock(identifier: try Self.identifier(request))
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .get, "/user-blocks/{id}", scope: "read:users", tag: "user-blocks", summary: "List the brute-force blocks of a user",
                response: .value(Self.blocksSchema)
            ) { request, context in
                guard
                    let blocks = try await protection.blocks(
                        userID: try context.parameter("id"), enforcedOnly: try Self.enforcedOnly(request))
                else { throw UserEndpoints.notFound }
                return try JSONResponse.make(Self.blockedFor(blocks))
            },
            ManagementEndpoint(
                .delete, "/user-blocks/{id}", scope: "update:users", tag: "user-blocks", summary: "Lift the brute-force blocks of a user",
                success: .noContent
            ) { _, context in
                guard try await protection.unblock(userID: try context.parameter("id")) else { throw UserEndpoints.notFound }
                return JSONResponse.empty()
            },
        ]
    }
}
