import GatehouseCore

/// OpenAPI 3.0 document of the Management API, generated from the same endpoint list the router
/// is built from. Its schemas are those the endpoints declare (`ManagementEndpoint.RequestBody`,
/// `ResponseBody`, `QueryParameter`), derived from the Swift body and record types.
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
        if let response = endpoint.response {
            success["content"] = .object(["application/json": .object(["schema": response.schema.openAPI])])
        }
        responses[String(endpoint.successStatus.code)] = .object(success)
        var errors = [
            ("400", "Invalid request"), ("401", "Missing or invalid token"), ("403", "Insufficient scope"), ("404", "Not found"),
            ("409", "Conflict"),
        ]
        if endpoint.request != nil { errors.append(("413", "The body is larger than 1 MiB")) }
        for (code, text) in errors {
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
        parameters += endpoint.queryParameters.map { parameter in
            .object([
                "name": .string(parameter.name), "in": "query", "required": .bool(parameter.required),
                "description": .string(parameter.description), "schema": parameter.schema.openAPI,
            ])
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body = endpoint.request {
            var media: [String: JSONValue] = ["schema": body.schema.openAPI]
            if let example = body.example { media["example"] = example }
            operation["requestBody"] = .object([
                "required": .bool(!body.optional), "content": .object(["application/json": .object(media)]),
            ])
        }
        return .object(operation)
    }

    static let errorSchema: JSONValue = .object([
        "type": "object",
        "properties": .object([
            "statusCode": .object(["type": "integer"]), "error": .object(["type": "string"]),
            "message": .object(["type": "string"]), "errorCode": .object(["type": "string"]),
        ]),
        "required": .array(["statusCode", "error", "message"]),
    ])
}
