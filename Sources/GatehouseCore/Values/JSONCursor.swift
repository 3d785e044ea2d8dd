/// Reads one JSON document (RFC 8259) member by member, for callers that know its shape and
/// want their own types out of it without a `JSONValue` tree in between: no dictionary per
/// object, no second lookup per field. The sandbox reads every flow's result this way.
///
/// Each method reads the value at the cursor and moves past it; `nil` or `false` means the
/// text is not what was asked for (or not JSON), and the cursor is then unusable.
public struct JSONCursor {
    private var parser: JSONParser

    public init(_ bytes: some Collection<UInt8>) {
        parser = JSONParser(bytes: Array(bytes))
    }

    /// Whether only whitespace is left.
    public mutating func isAtEnd() -> Bool {
        parser.skipWhitespace()
        return parser.index == parser.bytes.count
    }

    /// Reads an object, calling `member` with each key; `member` must read that member's value
    /// (with any method of the cursor, `skip()` included) and return `false` to give up.
    public mutating func object(_ member: (inout JSONCursor, String) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        while true {
            parser.skipWhitespace()
            guard peek() == UInt8(ascii: "\""), let key = parser.parseString(), consume(UInt8(ascii: ":")),
                member(&self, key)
            else { return false }
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "}"))
        }
    }

    /// Reads an array, calling `element` for each element, which it must read.
    public mutating func array(_ element: (inout JSONCursor) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "[")) else { return false }
        if consume(UInt8(ascii: "]")) { return true }
        while true {
            guard element(&self) else { return false }
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "]"))
        }
    }

    public mutating func string() -> String? {
        parser.skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { return nil }
        return parser.parseString()
    }

    /// Reads `null` if that is what comes next (and returns `true`); otherwise reads nothing.
    public mutating func null() -> Bool {
        parser.skipWhitespace()
        guard peek() == UInt8(ascii: "n") else { return false }
        return parser.literal("null", .null) != nil
    }

    /// Reads any value as a `JSONValue`.
    public mutating func value() -> JSONValue? {
        parser.parseValue(depth: 1)
    }

    /// Reads and drops any value.
    public mutating func skip() -> Bool {
        value() != nil
    }

    private mutating func peek() -> UInt8? {
        parser.index < parser.bytes.count ? parser.bytes[parser.index] : nil
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        parser.skipWhitespace()
        guard peek() == byte else { return false }
        parser.index += 1
        return true
    }
}
