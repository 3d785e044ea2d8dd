import Foundation

extension JSONValue {
    /// Compact (or indented), key-sorted JSON text. Written directly as UTF-8 rather than through
    /// `JSONEncoder`: this runs on the sandbox round trip of every flow.
    public func jsonText(pretty: Bool = false) -> String {
        String(decoding: jsonData(pretty: pretty), as: UTF8.self)
    }

    /// The same, as UTF-8 bytes.
    public func jsonData(pretty: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(512)
        write(to: &output, pretty: pretty, indent: 0, sortedKeys: true)
        return output
    }

    /// Appends compact JSON to `output`. Without `sortedKeys`, object members come in the
    /// dictionary's order: faster, for text that is read once and never compared (the sandbox's
    /// request frames).
    public func append(to output: inout [UInt8], sortedKeys: Bool = true) {
        write(to: &output, pretty: false, indent: 0, sortedKeys: sortedKeys)
    }

    private func write(to output: inout [UInt8], pretty: Bool, indent: Int, sortedKeys: Bool) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value): output.append(contentsOf: Self.format(value).utf8)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            if values.isEmpty {
                output.append(contentsOf: "[]".utf8)
                return
            }
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                if pretty { Self.newline(&output, indent + 1) }
                value.write(to: &output, pretty: pretty, indent: indent + 1, sortedKeys: sortedKeys)
            }
            if pretty { Self.newline(&output, indent) }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty {
                output.append(contentsOf: "{}".utf8)
                return
            }
            output.append(UInt8(ascii: "{"))
            if sortedKeys {
                for (index, key) in members.keys.sorted().enumerated() {
                    if index > 0 { output.append(UInt8(ascii: ",")) }
                    if pretty { Self.newline(&output, indent + 1) }
                    Self.writeString(key, to: &output)
                    output.append(UInt8(ascii: ":"))
                    if pretty { output.append(UInt8(ascii: " ")) }
                    members[key]!.write(to: &output, pretty: pretty, indent: indent + 1, sortedKeys: true)
                }
            } else {
                var first = true
                for (key, member) in members {
                    if !first { output.append(UInt8(ascii: ",")) }
                    first = false
                    Self.writeString(key, to: &output)
                    output.append(UInt8(ascii: ":"))
                    member.write(to: &output, pretty: false, indent: 0, sortedKeys: false)
                }
            }
            if pretty { Self.newline(&output, indent) }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ output: inout [UInt8], _ indent: Int) {
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    /// Integers print without a fraction; non-finite numbers (never produced by parsing) as null.
    private static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value.rounded() == value, abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// RFC 8259 §7 string escaping, on UTF-8 bytes (multi-byte sequences pass through). Runs of
    /// bytes that need no escape are copied at once: most strings have none.
    private static func writeString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // `withUTF8` gives every string, small ones included, as one contiguous buffer.
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
                case UInt8(ascii: "\n"): output.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): output.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): output.append(UInt8(ascii: "t"))
                default:
                    output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    output.append(hexDigits[Int(byte >> 4)])
                    output.append(hexDigits[Int(byte & 0x0F)])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        output.append(UInt8(ascii: "\""))
    }
}
