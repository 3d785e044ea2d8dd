import GatehouseCore

/// OpenAPI 3.0 document of the Management API, generated from the same endpoint list the router
/// is built from. Schemas are inferred from each endpoint's example body.
struct OpenAPIDocument {
    let endpoints: [ManagementEndpoint]
    let issuer: String

    var json: JSONValue {
        var paths: [String: JSONValue] = [:]
        for endpoint in endpoints {
            var operations = paths[endpoint.path]?.objectValue ?? [:]
            operations[endpoint.method.rawValue.lowercased()] = operation(endpoint)
            paths[endpoint.path] = .object(operations)
        }
        return .object([
            "openapi": "3.0.3",
            "info": .object([
                "title": .string("Gatehouse Management API"), "version": .string("2"),
                "description": .string("Auth0-compatible Management API. Authenticate with a Bearer token for audience \(issuer)api/v2/."),
            ]),
            "servers": .array([.object(["url": .string(issuer + "api/v2")])]),
            "paths": .object(paths),
            "components": .object([
                "securitySchemes": .object([
                    "bearerAuth": .object(["type": "http", "scheme": "bearer", "bearerFormat": "JWT"])
                ]),
                "schemas": .object(["Error": Self.errorSchema]),
            ]),
        ])
    }

    private func operation(_ endpoint: ManagementEndpoint) -> JSONValue {
        var responses: [String: JSONValue] = [:]
        var success: [String: JSONValue] = ["description": .string(endpoint.successStatus.reasonPhrase)]
        if let example = endpoint.responseExample {
            success["content"] = .object(["application/json": .object(["schema": Self.schema(of: example)])])
        }
        responses[String(endpoint.successStatus.code)] = .object(success)
        for (code, text) in [
            ("400", "Invalid request"), ("401", "Missing or invalid token"), ("403", "Insufficient scope"), ("404", "Not found"),
            ("409", "Conflict"),
        ] {
            responses[code] = .object([
                "description": .string(text),
                "content": .object(["application/json": .object(["schema": .object(["$ref": "#/components/schemas/Error"])])]),
            ])
        }
        var operation: [String: JSONValue] = [
            "summary": .string(endpoint.summary),
            "operationId": .string(endpoint.method.rawValue.lowercased() + endpoint.path.replacingOccurrences(of: "/", with: "_")),
            "tags": .array([.string(endpoint.tag)]),
            "security": .array([.object(["bearerAuth": .array([])])]),
            "x-required-scope": .string(endpoint.scope),
            "responses": .object(responses),
        ]
        var parameters: [JSONValue] = endpoint.pathParameters.map { name in
            .object(["name": .string(name), "in": "path", "required": true, "schema": .object(["type": "string"])])
        }
        if endpoint.method == .get, endpoint.responseExample?.arrayValue != nil {
            parameters += [
                Self.query("page", "integer", "Page index, from 0."),
                Self.query("per_page", "integer", "Items per page, 1 to 100 (default 50)."),
                Self.query("include_totals", "boolean", "Wrap the list in an object with start, limit, length and total."),
            ]
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let example = endpoint.requestExample {
            operation["requestBody"] = .object([
                "required": true, "content": .object(["application/json": .object(["schema": Self.schema(of: example)])]),
            ])
        }
        return .object(operation)
    }

    private static func query(_ name: String, _ type: String, _ description: String) -> JSONValue {
        .object([
            "name": .string(name), "in": "query", "required": false, "description": .string(description),
            "schema": .object(["type": .string(type)]),
        ])
    }

    static let errorSchema: JSONValue = .object([
        "type": "object",
        "properties": .object([
            "statusCode": .object(["type": "integer"]), "error": .object(["type": "string"]),
            "message": .object(["type": "string"]), "errorCode": .object(["type": "string"]),
        ]),
        "required": .array(["statusCode", "error", "message"]),
    ])

    /// A JSON Schema describing the shape of `example`.
    static func schema(of example: JSONValue) -> JSONValue {
        switch example {
        case .null: .object(["nullable": true])
        case .bool: .object(["type": "boolean"])
        case .number(let value): .object(["type": value.rounded() == value ? "integer" : "number"])
        case .string: .object(["type": "string"])
        case .array(let items): .object(["type": "array", "items": items.first.map(schema(of:)) ?? .object([:])])
        case .object(let members):
            .object(["type": "object", "properties": .object(members.mapValues(schema(of:)))])
        }
    }
}
