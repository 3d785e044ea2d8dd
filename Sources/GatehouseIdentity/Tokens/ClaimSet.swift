import GatehouseCore
import JWTKit

/// A JWT payload of arbitrary claims: what access and ID tokens are built from, and what incoming
/// tokens are read into. Time and audience checks are done by `TokenVerifier`, not here.
public struct ClaimSet: JWTPayload, Equatable {
    public var claims: [String: JSONValue]

    public init(_ claims: [String: JSONValue] = [:]) {
        self.claims = claims
    }

    public subscript(name: String) -> JSONValue? {
        get { claims[name] }
        set { claims[name] = newValue }
    }

    public init(from decoder: any Decoder) throws {
        claims = try JSONValue(from: decoder).objectValue ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONValue.object(claims).encode(to: encoder)
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// `aud` as a list, whether it was written as a string or an array.
    public var audiences: [String] {
        switch claims["aud"] {
        case .string(let audience): [audience]
        case .array(let values): values.compactMap(\.stringValue)
        default: []
        }
    }
}
