import GatehouseCore

/// The shape of a JSON value the Management API accepts or returns: what the OpenAPI document
/// declares and what request bodies are validated against, from one value. Derived from the
/// Swift body and record types (`JSONSchema+Reflection.swift`), then refined where Swift's types
/// say too little (enumerations, bounds, nullability).
indirect enum JSONSchema: Sendable {
    case string(StringRules)
    /// An integer, within `range` when one is given.
    case integer(ClosedRange<Int>? = nil)
    case number
    case boolean
    case array(JSONSchema, maxItems: Int? = nil)
    /// An object with named properties; `closed` refuses any other property.
    case object(ObjectSchema)
    /// An object with free keys whose values all have one shape (metadata).
    case map(JSONSchema)
    /// Any JSON value, `null` included.
    case any
    /// `null` or the wrapped shape.
    case nullable(JSONSchema)
    /// One of several shapes (the two shapes of a list).
    case oneOf([JSONSchema])

    struct StringRules: Sendable {
        var allowed: [String]? = nil
        var minLength: Int? = nil
        var maxLength: Int? = nil
        var format: String? = nil
    }

    struct Property: Sendable {
        var name: String
        var schema: JSONSchema
    }

    struct ObjectSchema: Sendable {
        var properties: [Property] = []
        var required: [String] = []
        var closed = false

        subscript(name: String) -> JSONSchema? {
            properties.first { $0.name == name }?.schema
        }
    }

    static func string(_ allowed: [String]) -> JSONSchema { .string(StringRules(allowed: allowed)) }
    static func string(minLength: Int? = nil, maxLength: Int? = nil, format: String? = nil) -> JSONSchema {
        .string(StringRules(minLength: minLength, maxLength: maxLength, format: format))
    }

    static func object(_ properties: KeyValuePairs<String, JSONSchema>, required: [String] = []) -> JSONSchema {
        .object(ObjectSchema(properties: properties.map { Property(name: $0.key, schema: $0.value) }, required: required))
    }

    // MARK: - Refinement

    /// This schema with the property at `path` (`a.b` descends into objects and array items)
    /// replaced by `transform` of it. A path that does not exist is a programming error.
    func refining(_ path: String, _ transform: (JSONSchema) -> JSONSchema) -> JSONSchema {
        refining(path.split(separator: ".").map(String.init)[...], transform)
    }

    private func refining(_ path: ArraySlice<String>, _ transform: (JSONSchema) -> JSONSchema) -> JSONSchema {
        guard let head = path.first else { return transform(self) }
        switch self {
        case .object(var object):
            guard let index = object.properties.firstIndex(where: { $0.name == head }) else {
                preconditionFailure("schema refinement of an unknown property \(head)")
            }
            object.properties[index].schema = object.properties[index].schema.refining(path.dropFirst(), transform)
            return .object(object)
        case .nullable(let wrapped): return .nullable(wrapped.refining(path, transform))
        case .array(let items, let maxItems): return .array(items.refining(path, transform), maxItems: maxItems)
        default: preconditionFailure("schema refinement below a non-object at \(head)")
        }
    }

    /// This schema with `shape` for the property at `path`, keeping its nullability.
    func setting(_ path: String, _ shape: JSONSchema) -> JSONSchema {
        refining(path) { old in
            if case .nullable = old, !shape.isNullable { return .nullable(shape) }
            return shape
        }
    }

    /// This object schema with `names` required (and, for a request body, no null for them).
    func requiring(_ names: [String]) -> JSONSchema {
        guard case .object(var object) = self else { return self }
        for name in names where !object.required.contains(name) { object.required.append(name) }
        return .object(object)
    }

    /// This object schema with any other property refused.
    var closed: JSONSchema {
        guard case .object(var object) = self else { return self }
        object.closed = true
        return .object(object)
    }

    /// This object schema with one more property.
    func adding(_ name: String, _ schema: JSONSchema, required: Bool = false) -> JSONSchema {
        guard case .object(var object) = self else { return self }
        object.properties.append(Property(name: name, schema: schema))
        if required { object.required.append(name) }
        return .object(object)
    }

    /// The same shape without the top-level `null` a Swift optional gave it.
    var nonNull: JSONSchema {
        if case .nullable(let wrapped) = self { return wrapped }
        return self
    }

    var isNullable: Bool {
        switch self {
        case .nullable, .any: true
        default: false
        }
    }

    // MARK: - Requests

    /// The schema a request body is checked against: an optional in the Swift body type means
    /// "may be left out", not "may be null", so the top-level `null`s that reflection found are
    /// removed (nested metadata maps keep theirs), the object is closed, and `required` is set.
    func requestBody(required: [String]) -> JSONSchema {
        guard case .object(var object) = self else { return self }
        object.properties = object.properties.map { Property(name: $0.name, schema: $0.schema.withoutOptionalNulls) }
        return JSONSchema.object(object).requiring(required).closed
    }

    private var withoutOptionalNulls: JSONSchema {
        switch self {
        case .nullable(let wrapped): wrapped.withoutOptionalNulls
        case .array(let items, let maxItems): .array(items.withoutOptionalNulls, maxItems: maxItems)
        case .object(var object):
            .object(
                {
                    object.properties = object.properties.map { Property(name: $0.name, schema: $0.schema.withoutOptionalNulls) }
                    return object
                }())
        default: self
        }
    }

    // MARK: - OpenAPI 3.0

    /// The schema as OpenAPI 3.0 writes it.
    var openAPI: JSONValue {
        switch self {
        case .string(let rules):
            var object: [String: JSONValue] = ["type": "string"]
            if let allowed = rules.allowed { object["enum"] = .array(allowed.map(JSONValue.string)) }
            if let value = rules.minLength { object["minLength"] = .number(Double(value)) }
            if let value = rules.maxLength { object["maxLength"] = .number(Double(value)) }
            if let value = rules.format { object["format"] = .string(value) }
            return .object(object)
        case .integer(let range):
            var object: [String: JSONValue] = ["type": "integer"]
            if let range {
                object["minimum"] = .number(Double(range.lowerBound))
                object["maximum"] = .number(Double(range.upperBound))
            }
            return .object(object)
        case .number: return .object(["type": "number"])
        case .boolean: return .object(["type": "boolean"])
        case .array(let items, let maxItems):
            var object: [String: JSONValue] = ["type": "array", "items": items.openAPI]
            if let maxItems { object["maxItems"] = .number(Double(maxItems)) }
            return .object(object)
        case .object(let schema):
            var object: [String: JSONValue] = [
                "type": "object",
                "properties": .object(Dictionary(schema.properties.map { ($0.name, $0.schema.openAPI) }, uniquingKeysWith: { a, _ in a })),
            ]
            if !schema.required.isEmpty { object["required"] = .array(schema.required.map(JSONValue.string)) }
            if schema.closed { object["additionalProperties"] = false }
            return .object(object)
        case .map(let values): return .object(["type": "object", "additionalProperties": values.openAPI])
        case .any: return .object([:])
        case .nullable(let wrapped):
            guard var object = wrapped.openAPI.objectValue else { return wrapped.openAPI }
            if object.isEmpty { return .object([:]) }
            if object["oneOf"] != nil { return .object(["oneOf": object["oneOf"]!, "nullable": true]) }
            object["nullable"] = true
            return .object(object)
        case .oneOf(let choices): return .object(["oneOf": .array(choices.map(\.openAPI))])
        }
    }

    /// A schema describing the shape of `example`, for the few bodies built by hand as JSON
    /// values (the actions views): no property is required and every present one is typed.
    static func inferred(from example: JSONValue) -> JSONSchema {
        switch example {
        case .null: .any
        case .bool: .boolean
        case .number(let value): value.rounded() == value ? .integer() : .number
        case .string: .string()
        case .array(let items): .array(items.first.map(inferred(from:)) ?? .any)
        case .object(let members):
            .object(
                ObjectSchema(
                    properties: members.sorted { $0.key < $1.key }.map { Property(name: $0.key, schema: inferred(from: $0.value)) }))
        }
    }
}
