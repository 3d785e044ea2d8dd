/// Why an Actions management operation was refused, mapped by the HTTP layer to Auth0's bodies.
public struct ActionsError: Error, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case invalid
        case notFound
        case conflict
    }

    public var kind: Kind
    public var message: String
    public var errorCode: String

    public static func invalid(_ message: String, code: String = "invalid_body") -> Self {
        Self(kind: .invalid, message: message, errorCode: code)
    }

    public static func notFound(_ message: String, code: String) -> Self {
        Self(kind: .notFound, message: message, errorCode: code)
    }

    public static func conflict(_ message: String, code: String) -> Self {
        Self(kind: .conflict, message: message, errorCode: code)
    }
}
