import Foundation

extension JSONValue {
    /// `value` as JSON (through its `Encodable` conformance).
    public init(encoding value: some Encodable) throws {
        let data = try JSONEncoder().encode(value)
        guard let parsed = JSONValue(jsonData: [UInt8](data)) else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "not representable as JSON"))
        }
        self = parsed
    }

    /// This JSON decoded as `type`.
    public func decoded<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(jsonData()))
    }
}
