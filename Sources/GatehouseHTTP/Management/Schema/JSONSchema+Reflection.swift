import GatehouseCore

/// A type that says more about its JSON shape than its Swift properties do (enumerations,
/// bounds, null values): reflection applies `refine` to the schema derived from the type,
/// wherever the type appears.
protocol SchemaRefined {
    static func refine(_ schema: JSONSchema) -> JSONSchema
}

extension JSONSchema {
    /// The schema of a `Decodable` type, derived by running its `init(from:)` against a decoder
    /// that records what it asks for: `decode` is a required property, `decodeIfPresent` an
    /// optional (nullable) one, arrays and string-keyed dictionaries give their element's
    /// schema, `JSONValue` is any value. A type whose decoder cannot run this way is `.any`.
    static func of<T: Decodable>(_ type: T.Type) -> JSONSchema {
        (try? SchemaReflector.describe(type).schema) ?? .any
    }
}

/// Optionals and string-keyed dictionaries, seen through their generic parameter.
private protocol ReflectedOptional { static var wrappedSchema: JSONSchema { get } }
extension Optional: ReflectedOptional where Wrapped: Decodable {
    fileprivate static var wrappedSchema: JSONSchema { .nullable(JSONSchema.of(Wrapped.self)) }
}
private protocol ReflectedMap { static var valueSchema: JSONSchema { get } }
extension Dictionary: ReflectedMap where Key == String, Value: Decodable {
    fileprivate static var valueSchema: JSONSchema { .map(JSONSchema.of(Value.self)) }
}

enum SchemaReflector {
    struct Unsupported: Error {}

    static func describe<T: Decodable>(_ type: T.Type) throws -> (schema: JSONSchema, value: T) {
        var result: (schema: JSONSchema, value: T)
        if let primitive = primitive(type) {
            result = primitive
        } else {
            let recorder = Recorder()
            let value = try T(from: recorder)
            var schema = recorder.schema
            if T.self == JSONValue.self {
                schema = .any
            } else if let optional = T.self as? any ReflectedOptional.Type {
                schema = optional.wrappedSchema
            } else if let map = T.self as? any ReflectedMap.Type {
                schema = map.valueSchema
            }
            result = (schema, value)
        }
        if let refined = T.self as? any SchemaRefined.Type { result.schema = refined.refine(result.schema) }
        return result
    }

    private static func primitive<T>(_ type: T.Type) -> (JSONSchema, T)? {
        switch type {
        case is String.Type: (.string(), "" as! T)
        case is Bool.Type: (.boolean, false as! T)
        case is Double.Type: (.number, 0.0 as! T)
        case is Float.Type: (.number, Float(0) as! T)
        default:
            if let integer = type as? any BinaryInteger.Type { (.integer(), integer.init(0) as! T) } else { nil }
        }
    }

    /// The decoder: records what `init(from:)` asks for.
    final class Recorder: Decoder {
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] = [:]
        var object: JSONSchema.ObjectSchema?
        var items: JSONSchema?
        var single: JSONSchema?

        var schema: JSONSchema {
            if let object { return .object(object) }
            if let items { return .array(items) }
            return single ?? .any
        }

        func record<T: Decodable>(_ type: T.Type, key: String, required: Bool) throws -> T {
            let (schema, value) = try SchemaReflector.describe(type)
            if object == nil { object = JSONSchema.ObjectSchema() }
            object?.properties.append(JSONSchema.Property(name: key, schema: required ? schema : .nullable(schema.nonNull)))
            if required { object?.required.append(key) }
            return value
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            if object == nil { object = JSONSchema.ObjectSchema() }
            return KeyedDecodingContainer(Keyed<Key>(recorder: self))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { Unkeyed(recorder: self) }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(recorder: self) }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let recorder: Recorder
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) throws -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try recorder.record(type, key: key.stringValue, required: true)
        }
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            try recorder.record(type, key: key.stringValue, required: false)
        }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try recorder.record(type, key: key.stringValue, required: true) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String {
            try recorder.record(type, key: key.stringValue, required: true)
        }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
            try recorder.record(type, key: key.stringValue, required: true)
        }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try recorder.record(type, key: key.stringValue, required: true) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try recorder.record(type, key: key.stringValue, required: true) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try recorder.record(type, key: key.stringValue, required: true) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try recorder.record(type, key: key.stringValue, required: true) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try recorder.record(type, key: key.stringValue, required: true) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try recorder.record(type, key: key.stringValue, required: true) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try recorder.record(type, key: key.stringValue, required: true) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try recorder.record(type, key: key.stringValue, required: true) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
            try recorder.record(type, key: key.stringValue, required: true)
        }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
            try recorder.record(type, key: key.stringValue, required: true)
        }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
            try recorder.record(type, key: key.stringValue, required: true)
        }
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
        func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type, key) }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
        func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type, key) }
        func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type, key) }
        func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type, key) }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type, key) }
        func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type, key) }
        private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
            try recorder.record(type, key: key.stringValue, required: false)
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        { throw Unsupported() }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { throw Unsupported() }
        func superDecoder() throws -> any Decoder { throw Unsupported() }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw Unsupported() }
    }

    /// An array: one element is decoded, which gives the items' schema.
    struct Unkeyed: UnkeyedDecodingContainer {
        let recorder: Recorder
        var codingPath: [any CodingKey] { [] }
        var count: Int? { nil }
        var isAtEnd: Bool { currentIndex > 0 }
        var currentIndex = 0
        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try decode(generic: type) }
        private mutating func decode<T: Decodable>(generic type: T.Type) throws -> T {
            let (schema, value) = try SchemaReflector.describe(type)
            recorder.items = schema
            currentIndex += 1
            return value
        }
        mutating func decode(_ type: Bool.Type) throws -> Bool { try decode(generic: type) }
        mutating func decode(_ type: String.Type) throws -> String { try decode(generic: type) }
        mutating func decode(_ type: Double.Type) throws -> Double { try decode(generic: type) }
        mutating func decode(_ type: Float.Type) throws -> Float { try decode(generic: type) }
        mutating func decode(_ type: Int.Type) throws -> Int { try decode(generic: type) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try decode(generic: type) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try decode(generic: type) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try decode(generic: type) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try decode(generic: type) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try decode(generic: type) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(generic: type) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(generic: type) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(generic: type) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(generic: type) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            throw Unsupported()
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { throw Unsupported() }
        mutating func superDecoder() throws -> any Decoder { throw Unsupported() }
    }

    /// A single value: `null` where the type allows it (an optional, `JSONValue`), otherwise the
    /// primitive asked for.
    struct Single: SingleValueDecodingContainer {
        let recorder: Recorder
        var codingPath: [any CodingKey] { [] }
        func decodeNil() -> Bool { true }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decode(generic: type) }
        private func decode<T: Decodable>(generic type: T.Type) throws -> T {
            let (schema, value) = try SchemaReflector.describe(type)
            recorder.single = schema
            return value
        }
        func decode(_ type: Bool.Type) throws -> Bool { try decode(generic: type) }
        func decode(_ type: String.Type) throws -> String { try decode(generic: type) }
        func decode(_ type: Double.Type) throws -> Double { try decode(generic: type) }
        func decode(_ type: Float.Type) throws -> Float { try decode(generic: type) }
        func decode(_ type: Int.Type) throws -> Int { try decode(generic: type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try decode(generic: type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try decode(generic: type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try decode(generic: type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try decode(generic: type) }
        func decode(_ type: UInt.Type) throws -> UInt { try decode(generic: type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(generic: type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(generic: type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(generic: type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(generic: type) }
    }
}
